"""review8: `report query` reads only an index made here for this folder. With --no-sync it read whatever file was at
`.tinybench-index/index.sqlite`: one copied along with someone else's folder (its verdicts never reached here), one
whose `results` is a view showing any figures, or — with or without --no-sync — one a link leads to, another folder's
index. Such an index is refused with a message saying to build; the build starts it over (or keeps it in memory)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys

from .test_result_index import results, seed  # noqa: F401 - its fixtures: 6 real bundles


def tb(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tinybench", *args], capture_output=True, text=True, timeout=120)


def query(folder, *extra: str) -> subprocess.CompletedProcess:
    return tb("report", "query", "--results", str(folder), *extra, "--format", "csv",
              "SELECT count(*) AS n FROM bundles")


def test_query_no_sync_refuses_an_index_copied_with_another_folder(results, tmp_path):  # noqa: F811
    assert query(results).stdout.split() == ["n", "6"]
    copy = tmp_path / "copy"
    shutil.copytree(results, copy, symlinks=True)  # cp -a: the index comes along, made for the other folder
    shutil.rmtree(sorted(copy.glob("2*"))[0])  # (what was copied differs from what the index says)
    done = query(copy, "--no-sync")
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stdout + done.stderr
    assert "report build" in done.stderr
    assert query(copy).stdout.split() == ["n", "5"]  # synced: started over, its own bundles only


def test_query_no_sync_refuses_an_index_with_a_view(results):  # noqa: F811
    assert query(results).returncode == 0
    with sqlite3.connect(results / ".tinybench-index" / "index.sqlite") as conn:
        conn.execute("CREATE VIEW forged AS SELECT 1")
    done = query(results, "--no-sync")
    assert done.returncode != 0 and "Traceback" not in done.stderr and "report build" in done.stderr, done.stderr


def test_query_does_not_read_another_folders_index_through_a_link(results, tmp_path):  # noqa: F811
    other = tmp_path / "other"
    other.mkdir()
    first = sorted(results.glob("2*"))[0]
    shutil.copytree(first, other / first.name)
    assert query(other).stdout.split() == ["n", "1"]
    shutil.rmtree(results / ".tinybench-index", ignore_errors=True)
    os.symlink(other / ".tinybench-index", results / ".tinybench-index")
    for extra in ((), ("--no-sync",)):
        done = query(results, *extra)
        assert done.stdout.split() != ["n", "1"], "another folder's index was read"
        assert "Traceback" not in done.stderr
        assert extra or "is a link" in done.stderr, done.stderr  # synced: the note says why
