"""review8: `report build` and `report export` with stderr not a terminal (a pipe, a CI log) print nothing there when
there is nothing to say — the progress display wrote an empty line on stopping."""

from __future__ import annotations

import subprocess
import sys

from .test_result_index import results, seed  # noqa: F401 - its fixtures: 6 real bundles


def test_nothing_on_stderr_off_a_terminal(results, tmp_path):  # noqa: F811
    for args in (("build", "--out", str(tmp_path / "site")), ("export", "--to", str(tmp_path / "out.csv"))):
        done = subprocess.run([sys.executable, "-m", "tinybench", "report", args[0], "--results", str(results),
                               *args[1:]], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0
        assert done.stderr == "", repr(done.stderr)
