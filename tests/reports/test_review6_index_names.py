"""Review 6: a results folder holding a folder whose name is not UTF-8 (legal on Linux: b"r\\xff", e.g. from an
archive made elsewhere) — `report export` and `report build` ended with a UnicodeEncodeError traceback while
listing it, and the crashed sync had already remembered the results folder as listed: every later export then wrote
"0 rows from 0 bundles" without a word, the good bundles beside it silently gone."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from .conftest import tb
from .scale_bundles import copy_bundle, real_bundle


def test_a_folder_name_that_is_not_utf8_is_named_and_skipped_and_nothing_else_is_lost(tmp_path):
    seed = real_bundle(tmp_path / "seed")
    results = tmp_path / "results"
    copy_bundle(seed, results, 0)
    shutil.copytree(os.fsencode(seed), os.fsencode(results) + b"/r\xff")  # a bundle with a name that is no text
    os.makedirs(os.fsencode(results) + b"/nested/d\xfe")
    shutil.copytree(os.fsencode(seed), os.fsencode(results) + b"/nested/d\xfe/b")  # and one under such a folder
    for attempt in range(2):  # the second: the index as the first left it
        done = tb("report", "export", "--results", str(results), "--to", str(tmp_path / "t.csv"))
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-1500:]
        assert "wrote 2 rows from 1 bundles" in done.stdout, (attempt, done.stdout)
        assert "r\\xff" in done.stderr and "nested/d\\xfe" in done.stderr and "not UTF-8" in done.stderr, done.stderr
    done = tb("report", "build", "--results", str(results), "--out", str(tmp_path / "site"))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-1500:]
    assert "1 results" in done.stdout and "r\\xff" in done.stderr, (done.stdout, done.stderr)


def test_a_results_folder_whose_path_is_not_utf8_gets_a_clear_error(tmp_path):
    """The results folder itself under such a name: a UnicodeEncodeError traceback from SQLite in export and build."""
    seed = real_bundle(tmp_path / "seed")
    results = os.fsencode(tmp_path) + b"/results\xfe"
    os.makedirs(results)
    shutil.copytree(os.fsencode(seed), results + b"/b1")
    for args in (("export", "--results", results, "--to", os.fsencode(tmp_path / "t.csv")),
                 ("build", "--results", results, "--out", os.fsencode(tmp_path / "site"))):
        done = subprocess.run([os.fsencode(sys.executable), b"-m", b"tinybench", b"report",
                               *(a.encode() if isinstance(a, str) else a for a in args)], capture_output=True, timeout=600)
        err = done.stderr.decode("utf-8", "replace")
        assert done.returncode == 2 and "Traceback" not in err and "not UTF-8" in err, err[-1500:]
