"""review8: links and foreign tables where the index goes. A results folder from someone else (an archive keeps
links) may hold `.tinybench-index/index.sqlite-wal` (or the index, its lock, its folder) as a symbolic link to a
file elsewhere: SQLite opens links, so a build wrote its WAL — or our tables, or deleted a `meta` table's rows —
into whatever the link names, as the user running it (often root). A link there is something in the way: the index
is kept in memory, and nothing outside the results folder is created or changed. An index whose tables are not
tinybench's (a `results` table with other columns, a CHECK that refuses every row) is rebuilt, not a traceback."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest

from .test_result_index import results, seed  # noqa: F401 - its fixtures: 6 real bundles


def tinybench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tinybench", *args], capture_output=True, text=True, timeout=120)


def build_and_export(results, tmp_path):  # noqa: F811
    build = tinybench("report", "build", "--results", str(results), "--out", str(tmp_path / "site"))
    export = tinybench("report", "export", "--results", str(results), "--to", str(tmp_path / "out.csv"))
    for done in (build, export):
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert "6 results" in build.stdout
    assert len((tmp_path / "out.csv").read_text().splitlines()) > 6
    return build, export


@pytest.mark.parametrize("name", ["index.sqlite", "index.sqlite-wal", "index.sqlite-shm", "index.lock"])
@pytest.mark.parametrize("dangling", [True, False], ids=["dangling", "to a file"])
def test_a_link_where_an_index_file_goes_changes_nothing_it_names(results, tmp_path, name, dangling):  # noqa: F811
    outside = tmp_path / "elsewhere" / "victim"
    outside.parent.mkdir()
    if not dangling:
        outside.write_bytes(b"the user's own file\n")
    (results / ".tinybench-index").mkdir()
    os.symlink(outside, results / ".tinybench-index" / name)
    build, export = build_and_export(results, tmp_path)
    if dangling:
        assert not outside.exists(), f"a build created {outside} through a link"
    else:
        assert outside.read_bytes() == b"the user's own file\n", f"a build wrote {outside} through a link"
    assert name in export.stderr and "in memory" in export.stderr, export.stderr


def test_a_link_to_another_programs_database_leaves_it_as_it_was(results, tmp_path):  # noqa: F811
    other = tmp_path / "app.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute("INSERT INTO meta VALUES ('mine', 'keep me')")
    before = other.read_bytes()
    (results / ".tinybench-index").mkdir()
    os.symlink(other, results / ".tinybench-index" / "index.sqlite")
    build_and_export(results, tmp_path)
    assert other.read_bytes() == before


def test_a_linked_index_folder_is_not_used(results, tmp_path):  # noqa: F811
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, results / ".tinybench-index")
    build, export = build_and_export(results, tmp_path)
    assert list(elsewhere.iterdir()) == []
    assert ".tinybench-index" in export.stderr and "in memory" in export.stderr


@pytest.mark.parametrize("sql", [
    "CREATE TABLE results(path TEXT NOT NULL)",
    "CREATE TABLE bundles(path TEXT PRIMARY KEY, ino, stamped, stamp, sha256, status CHECK (0), reason, run_id, "
    "created_utc, workload, system_id, division, written)",
], ids=["results table with one column", "a CHECK refusing every row"])
def test_an_index_with_tables_of_another_layout_is_rebuilt(results, tmp_path, sql):  # noqa: F811
    (results / ".tinybench-index").mkdir()
    with sqlite3.connect(results / ".tinybench-index" / "index.sqlite") as conn:
        conn.execute(sql)
    build, export = build_and_export(results, tmp_path)
    assert "rebuilt" in build.stderr + build.stdout
