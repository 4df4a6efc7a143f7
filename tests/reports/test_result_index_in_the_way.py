"""Something that is no index where the index goes — a file named `.tinybench-index`, a folder or FIFO named like
one of its files, a folder named like the export's snapshot — gives a build and an export that work, with a note
naming it and saying what to do: never a traceback, never a hang (SQLite would block reading a FIFO), and
nothing of the user's removed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .test_result_index import results, seed  # noqa: F401 - its fixtures: 6 real bundles

SETUPS = {
    "index folder is a file": (".tinybench-index", "file", "is not a folder"),
    "index is a folder": (".tinybench-index/index.sqlite", "folder", "is not a regular file"),
    "index is a FIFO": (".tinybench-index/index.sqlite", "fifo", "is not a regular file"),
    "WAL is a folder": (".tinybench-index/index.sqlite-wal", "folder", "is not a regular file"),
    "lock is a folder": (".tinybench-index/index.lock", "folder", "is not a regular file"),
    "snapshot is a folder": (".tinybench-index/export.parquet", "folder", "could not be written"),
}


def tinybench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tinybench", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("setup", sorted(SETUPS))
def test_a_build_and_an_export_work_past_what_is_in_the_way_and_say_so(results, tmp_path, setup):
    rel, kind, said = SETUPS[setup]
    place = results / rel
    place.parent.mkdir(parents=True, exist_ok=True)
    {"file": lambda p: p.write_text("mine"), "folder": lambda p: p.mkdir(), "fifo": os.mkfifo}[kind](place)
    build = tinybench("report", "build", "--results", str(results), "--out", str(tmp_path / "site"))
    assert build.returncode == 0, build.stderr[-2000:]
    assert "Traceback" not in build.stderr
    assert "6 results" in build.stdout
    export = tinybench("report", "export", "--results", str(results), "--to", str(tmp_path / "out.csv"))
    assert export.returncode == 0, export.stderr[-2000:]
    assert "Traceback" not in export.stderr
    assert f"{rel.split('/')[-1]}" in export.stderr and said in export.stderr, export.stderr
    assert len((tmp_path / "out.csv").read_text().splitlines()) > 6
    assert place.exists() or place.is_fifo(), "what was in the way was removed"
