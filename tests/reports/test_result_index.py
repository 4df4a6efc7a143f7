"""The results index: only new or changed bundles are checked, stale rows are never used, a corrupt
index is rebuilt with a note, and writers in separate processes leave it consistent."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from .scale_bundles import copy_bundle, real_bundle
from tinybench.reports.result_index import INDEX_NAME, ResultIndex, hash_of


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    return real_bundle(tmp_path_factory.mktemp("seed"))


@pytest.fixture
def results(seed, tmp_path):
    folder = tmp_path / "results"
    for i in range(6):
        copy_bundle(seed, folder, i)
    return folder


def sync(root):
    index = ResultIndex(root)
    try:
        return index.sync(), index.entries()
    finally:
        index.close()


def test_only_new_or_changed_bundles_are_checked_and_removed_ones_dropped(seed, results):
    first, entries = sync(results)
    assert first.checked == 6 and all(e.status == "ok" for e in entries)
    assert (results / INDEX_NAME).is_file()
    again, _ = sync(results)
    assert (again.checked, again.rehashed, again.removed) == (0, 0, 0)
    added = copy_bundle(seed, results, 6)
    os.utime(results / entries[0].path / "run.log")  # touched, same bytes: hashed again, not re-checked
    import shutil

    shutil.rmtree(results / entries[1].path)
    later, entries = sync(results)
    assert (later.checked, later.rehashed, later.removed) == (1, 1, 1)
    assert added.name in {e.path for e in entries} and len(entries) == 6


def test_a_changed_file_is_checked_again_even_with_its_old_size_and_mtime(results):
    _, entries = sync(results)
    folder = results / entries[0].path
    path = folder / "performance_windows.csv"
    before = path.stat()
    lines = path.read_text().splitlines()
    fields = lines[1].split(",")
    value = fields[5]  # window 0's throughput, one digit changed: same length
    fields[5] = value[:1] + ("1" if value[1] != "1" else "2") + value[2:]
    lines[1] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")
    assert path.stat().st_size == before.st_size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # hide the change from size + mtime
    report, entries = sync(results)
    assert report.checked == 1  # the ctime gave it away, the hash confirmed it
    (entry,) = [e for e in entries if e.path == folder.name]
    assert entry.status == "rejected" and "throughput" in entry.reason, entry.reason
    assert entry.sha256 == hash_of(folder)
    again, _ = sync(results)
    assert again.checked == 0  # the rejection is cached too, by hash


@pytest.mark.parametrize("damage", ["garbage", "truncated", "wal-garbage"])
def test_a_corrupt_or_truncated_index_is_rebuilt_with_a_note(results, damage):
    _, entries = sync(results)
    path = results / INDEX_NAME
    if damage == "garbage":
        path.write_bytes(b"this is not a database" * 100)
    elif damage == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3])
    else:
        path.write_bytes(b"\0" * 4096 + path.read_bytes()[4096:])  # header page destroyed
    report, rebuilt = sync(results)
    assert any("rebuilt" in note for note in report.notes), report.notes
    assert report.checked == len(entries)
    assert [(e.path, e.sha256, e.status) for e in rebuilt] == [(e.path, e.sha256, e.status) for e in entries]
    assert sync(results)[0].notes == []


WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from tinybench.reports.result_index import ResultIndex
    for _ in range(int(sys.argv[2])):
        index = ResultIndex(Path(sys.argv[1]))
        index.sync()
        index.close()
""")


def test_concurrent_writers_in_separate_processes_leave_a_consistent_index(seed, results):
    """Two processes sync the same index again and again while bundles appear and disappear."""
    import shutil

    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(results), "6"], stderr=subprocess.PIPE)
               for _ in range(2)]
    for i in range(6, 16):
        copy_bundle(seed, results, i)
        if i % 3 == 0:
            shutil.rmtree(next(p for p in sorted(results.iterdir()) if p.is_dir() and not p.name.startswith(".")))
    for writer in writers:
        _, err = writer.communicate(timeout=600)
        assert writer.returncode == 0, err.decode()[-2000:]
    conn = sqlite3.connect(results / INDEX_NAME)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    report, entries = sync(results)  # what the writers left is either right or visibly stale (then checked)
    on_disk = sorted(p.name for p in results.iterdir() if (p / "result.json").is_file())
    assert [e.path for e in entries] == on_disk
    assert all(e.sha256 == hash_of(results / e.path) and e.status == "ok" for e in entries)
    conn = sqlite3.connect(results / INDEX_NAME)
    per_bundle = dict(conn.execute("SELECT path, count(*) FROM results GROUP BY path"))
    assert per_bundle == {e.path: len(json.loads((results / e.path / "result.json").read_text())["modes"])
                          for e in entries}
    conn.close()
    assert report.checked <= len(entries)


def test_a_folder_that_is_one_bundle_gets_no_index_file(seed, tmp_path):
    folder = copy_bundle(seed, tmp_path, 0)
    index = ResultIndex(folder)
    assert index.sync().checked == 1 and index.entries()[0].path == "."
    index.close()
    assert not (folder / INDEX_NAME).parent.exists()


def test_an_edit_in_place_is_found_by_the_sweep_or_a_thorough_sync(results, monkeypatch):
    """Known folders (same path and inode) are not stat-ed at every sync; the sweep re-stamps the oldest ones."""
    from tinybench.reports import result_index

    _, entries = sync(results)
    monkeypatch.setattr(result_index, "SWEEP_MIN", 1)
    monkeypatch.setattr(result_index, "SWEEP_SECONDS", 0.0)
    (results / entries[2].path / "spinup.csv").write_text("forged\n")  # same folder, same inode
    index = ResultIndex(results)
    found = [index.sync().checked for _ in range(len(entries))]  # one bundle re-stamped a sync: all within 6
    assert sum(found) == 1
    (results / entries[4].path / "spinup.csv").write_text("forged too\n")
    assert index.sync(thorough=True).checked == 1  # report build --full compares every stamp
    assert {e.path for e in index.entries() if e.status == "rejected"} == {entries[2].path, entries[4].path}
    index.close()


def test_the_code_fingerprint_reads_every_checking_module():
    """A module the fingerprint cannot read would let rows made by older checking code look current."""
    from tinybench.reports.result_index import CHECKING_MODULES, _source

    for name in CHECKING_MODULES:
        assert len(_source(name)) > 100, name
