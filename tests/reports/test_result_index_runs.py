"""A run keeps the results index: `tinybench run` (and an MLPerf Tiny import) checks the bundle it has just
written and stores the verdict, so the next build checks nothing — and never creates, wipes or waits long on an
index, nor loses its run over one."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from .scale_bundles import copy_bundle
from .test_result_index import results, seed, sync  # noqa: F401 - its fixtures: 6 real bundles
from tinybench.reports import result_index
from tinybench.reports.result_index import INDEX_NAME, ResultIndex, add_written_bundle, hash_of
from tinybench.reports.results_store import frame_from_index


def test_a_real_run_adds_its_bundle_and_the_next_build_checks_nothing(results):
    sync(results)  # the index exists (a build made it)
    before = {p.name for p in results.iterdir()}
    new = real_bundle_in(results, before)
    conn = sqlite3.connect(results / INDEX_NAME)
    row = conn.execute("SELECT status, sha256 FROM bundles WHERE path = ?", (new.name,)).fetchone()
    conn.close()
    assert row == ("ok", hash_of(new)), "the run did not add its own bundle to the index"
    report, entries = sync(results)
    assert report.checked == 0, f"the build checked {report.checked} bundle(s) the run had already checked"
    assert new.name in [e.path for e in entries]


def real_bundle_in(results, before):
    subprocess.run([sys.executable, "-m", "tinybench", "run", "-w", "kws01", "--quick", "--out", str(results)],
                   check=True, capture_output=True, timeout=600)
    (name,) = {p.name for p in results.iterdir()} - before
    return results / name


def test_what_a_run_added_exports_and_lists_as_a_check_from_nothing_would(seed, results):
    sync(results)
    assert frame_from_index([results]).frame.shape[0] > 0  # the export snapshot exists before the add
    added = copy_bundle(seed, results, 7)  # written as a run would, then added as the run does
    assert add_written_bundle(results, added) is None
    kept = frame_from_index([results]).frame
    kept_entries = sync(results)[1]
    shutil.rmtree(results / INDEX_NAME.split("/")[0])  # the cache deleted: everything checked from nothing
    fresh = frame_from_index([results]).frame
    assert kept.equals(fresh)
    assert kept_entries == sync(results)[1]


def test_no_index_none_made_and_an_index_of_other_code_left_alone(seed, results):
    added = copy_bundle(seed, results, 9)
    assert add_written_bundle(results, added) is None
    assert not (results / INDEX_NAME).exists(), "a run made an index nobody asked for"
    sync(results)
    conn = sqlite3.connect(results / INDEX_NAME)
    conn.execute("UPDATE meta SET value = 'other' WHERE key = 'code'")
    conn.commit()
    rows = conn.execute("SELECT count(*) FROM bundles").fetchone()
    conn.close()
    another = copy_bundle(seed, results, 10)
    assert add_written_bundle(results, another) is None
    conn = sqlite3.connect(results / INDEX_NAME)
    assert conn.execute("SELECT count(*) FROM bundles").fetchone() == rows, "a run wiped or changed another's index"
    conn.close()
    report, entries = sync(results)  # the build, as before: made by other code, so every bundle checked again
    assert report.checked == len(entries) == 8


def test_a_rejected_bundle_is_stored_as_rejected_with_its_reason(seed, results):
    sync(results)
    bad = copy_bundle(seed, results, 11)
    text = (bad / "result.json").read_text()
    (bad / "result.json").write_text(text.replace('"schema": "tinybench.result/1"', '"schema": "tinybench.result/9"'))
    why = add_written_bundle(results, bad)
    assert why is not None and "rejects this bundle" in why and bad.name in why
    report, entries = sync(results)
    assert report.checked == 0
    assert {e.path: e.status for e in entries}[bad.name] == "rejected"


LOCKER = textwrap.dedent("""
    import sqlite3, sys, time
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    print("locked", flush=True)
    sys.stdin.readline()
    conn.execute("ROLLBACK")
""")


def test_a_busy_index_gives_a_line_not_a_wait_and_the_build_checks_the_bundle(seed, results, monkeypatch):
    sync(results)
    monkeypatch.setattr(result_index, "RUN_BUSY_TIMEOUT_MS", 300)
    locker = subprocess.Popen([sys.executable, "-c", LOCKER, str(results / INDEX_NAME)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert locker.stdout.readline().strip() == "locked"
        added = copy_bundle(seed, results, 12)
        why = add_written_bundle(results, added)
    finally:
        locker.communicate("\n", timeout=60)
    assert why is not None and "not updated" in why and "next report build checks this bundle" in why
    report, entries = sync(results)
    assert report.checked == 1 and added.name in [e.path for e in entries]


@pytest.mark.parametrize("damage", ["garbage", "directory"])
def test_a_corrupt_index_or_a_folder_outside_gives_a_line_never_a_traceback(seed, results, damage):
    sync(results)
    added = copy_bundle(seed, results, 13)
    if damage == "garbage":
        for suffix in ("", "-wal", "-shm"):
            path = results / f"{INDEX_NAME}{suffix}"
            if path.exists():
                path.write_bytes(b"not a database" * 100)
        why = add_written_bundle(results, added)
    else:
        why = add_written_bundle(results / "elsewhere", added)  # no index there: nothing to keep
        assert why is None
        why = add_written_bundle(results, results.parent / "not-under-results")
    assert why is not None and "not updated" in why


WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[3])
    from scale_bundles import copy_bundle
    from tinybench.reports.result_index import ResultIndex, add_written_bundle
    root, seed = Path(sys.argv[1]), Path(sys.argv[2])
    for i in range(100, 112):
        if sys.argv[4] == "run":
            problem = add_written_bundle(root, copy_bundle(seed, root, i))
            assert problem is None or "not updated" in problem, problem
        else:
            index = ResultIndex(root)
            index.sync()
            index.close()
""")


def test_runs_adding_while_a_build_syncs_leave_a_consistent_index(seed, results):
    """Real processes: one adds bundles as runs do while another syncs again and again."""
    sync(results)
    here = str(__import__("pathlib").Path(__file__).parent)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(results), str(seed), here, role],
                              stderr=subprocess.PIPE) for role in ("run", "sync")]
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err.decode()[-2000:]
    conn = sqlite3.connect(results / INDEX_NAME)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    report, entries = sync(results)
    on_disk = sorted(p.name for p in results.iterdir() if (p / "result.json").is_file())
    assert [e.path for e in entries] == on_disk
    assert all(e.status == "ok" and e.sha256 == hash_of(results / e.path) for e in entries)
