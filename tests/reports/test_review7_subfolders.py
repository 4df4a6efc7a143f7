"""Review 7: a bundle written into a subfolder that already existed is found by the next incremental build.

The results folder's own stamp (inode, mtime, ctime) lets a sync skip the listing when "every bundle sits directly
in it"; a subfolder holding no bundle at that sync did not count, yet a bundle renamed into it later changes the
subfolder, not the results folder. So `tinybench run --out results/nightly` (or `import mlperf-tiny`, whose default is
`tinybench-results/imported`) into a folder emptied or made before the last build was never shown by incremental
builds — only by `--full`."""

from __future__ import annotations

import shutil
import subprocess
import sys

from .scale_bundles import copy_bundle, site_files
from .test_result_index import results, seed, sync  # noqa: F401 - its fixtures: 6 real bundles
from tinybench.reports.site import build_site


def test_a_run_into_an_existing_subfolder_is_in_the_next_incremental_build(seed, results, tmp_path):
    old = copy_bundle(seed, results / "imported", 40)  # an earlier import
    build_site([results], tmp_path / "site")
    shutil.rmtree(old)  # its bundles deleted (to import them again, say): the subfolder stays, empty
    assert build_site([results], tmp_path / "site").removed == 1
    build_site([results], tmp_path / "site")  # (the results folder itself is as last time from here on)
    subprocess.run([sys.executable, "-m", "tinybench", "run", "-w", "kws01", "--quick", "--out",
                    str(results / "imported")], check=True, capture_output=True, timeout=600)
    built = build_site([results], tmp_path / "site")
    assert built.checked == 1, "the incremental build did not see the run written into the subfolder"
    _, entries = sync(results)
    assert sum(e.path.startswith("imported/") for e in entries) == 1
    full = build_site([results], tmp_path / "full", full=True)
    assert site_files(tmp_path / "site") == site_files(full.out)
