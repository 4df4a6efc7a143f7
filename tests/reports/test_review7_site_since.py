"""Review 7 (held): runs that add their bundles while a build renders are in the next incremental build.

Every add takes a new generation (max + 1); a build remembers "one less than the newest" and the next build reads
what was written after it. Two adds landing between a build's diff and the moment it remembers would make the first
one older than what is remembered — unless the newest is read from the snapshot the diff read (the site state's
transaction): this pins that down with two real processes adding while a real build renders."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tinybench.reports import site as site_module
from tinybench.reports.site import build_site

from .scale_bundles import copy_bundle, site_files
from .test_result_index import results, seed  # noqa: F401 - its fixtures: 6 real bundles

ADD = textwrap.dedent("""
    import sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[4])
    from scale_bundles import copy_bundle
    from tinybench.reports.result_index import add_written_bundle
    root = Path(sys.argv[1])
    print(add_written_bundle(root, copy_bundle(Path(sys.argv[2]), root, int(sys.argv[3]))))
""")


def test_two_runs_adding_while_a_build_renders_are_in_the_next_incremental_build(seed, results, tmp_path,
                                                                                  monkeypatch):
    site = tmp_path / "site"
    build_site([results], site)
    render = site_module._Builder.run

    def render_while_runs_finish(self, *args, **kwargs):  # the real render; two runs end during it
        report = render(self, *args, **kwargs)
        for number in (20, 21):
            out = subprocess.run([sys.executable, "-c", ADD, str(results), str(seed), str(number),
                                  str(Path(__file__).parent)], capture_output=True, text=True, check=True)
            assert out.stdout.strip() == "None", out.stdout + out.stderr
        return report

    monkeypatch.setattr(site_module._Builder, "run", render_while_runs_finish)
    copy_bundle(seed, results, 10)
    build_site([results], site)
    monkeypatch.setattr(site_module._Builder, "run", render)
    after = build_site([results], site)
    assert after.checked == 0  # the runs checked their bundles
    runs = {p.stem for p in (site / "runs").iterdir()}
    assert {r[-5:] for r in runs} >= {"00020", "00021"}, sorted(runs)
    assert site_files(site) == site_files(build_site([results], tmp_path / "full", full=True).out)
