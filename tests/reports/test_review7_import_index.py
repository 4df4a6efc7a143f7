"""Review 7 (held): `tinybench import mlperf-tiny` keeps the index of the folder it writes into, and its default
nested layout (`tinybench-results/imported`, an index kept for `tinybench-results`) is found by the next build."""

from __future__ import annotations

import subprocess
import sys

from .scale_bundles import copy_bundle
from .test_mlperf_import import published  # noqa: F401 - its fixture: a published results layout, 3 results
from .test_result_index import results, seed, sync  # noqa: F401 - its fixtures: 6 real bundles


def import_into(source, out):
    proc = subprocess.run([sys.executable, "-m", "tinybench", "import", "mlperf-tiny", str(source), "--out",
                           str(out)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "results index" not in proc.stderr, proc.stderr  # added: nothing to say
    return proc


def test_an_import_adds_its_bundles_and_the_next_build_checks_nothing(published, results):
    sync(results)
    import_into(published, results)
    report, entries = sync(results)
    assert report.checked == 0, f"the build checked {report.checked} bundle(s) the import had already checked"
    assert sum(e.path.startswith("mlperf-") and e.status == "ok" for e in entries) == 3


def test_the_default_nested_layout_is_found_by_the_next_build(published, seed, tmp_path):
    root = tmp_path / "tinybench-results"
    copy_bundle(seed, root, 0)
    sync(root)
    sync(root)  # (the results folder as last time)
    import_into(published, root / "imported")  # no index there: nothing added, the build checks them
    report, entries = sync(root)
    assert report.checked == 3 and sum(e.path.startswith("imported/") for e in entries) == 3
