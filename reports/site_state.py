"""What a built site shows, kept beside it (`<site>/.tinybench-site.sqlite`) so the next build is incremental.

Tables: `shown` (each published run: its source, content hash, and whether its page rendered),
`summaries` (its slim result, the workload given by id only) and `descriptions` (its workload's
description, by digest into `workloads`, where each text is stored once: pages read the newest run's
only), `boards` (one leaderboard row per workload × system
× division, as JSON), `series` (one line per history series) and `systems` (one line per system:
its runs and number of pages). The next build compares
the runs it accepts with `shown` and recomputes only the rows, series and systems those runs belong
to; every page is rendered from these tables, by the same code whether the build is full or
incremental, which is why both write the same bytes.

The state is a cache of the site, like the results index is of the bundles: a missing, corrupt or
foreign one (another tinybench version or other templates) makes the build a full one, with a note.
All changes of a build are one transaction, committed after its pages are written: a build that
stops half way leaves the old state, and the next build renders those pages again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from pathlib import Path

from tinybench import __version__

STATE_NAME = ".tinybench-site.sqlite"
FORMAT = "6"
_TABLES = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS shown(
  run_id TEXT PRIMARY KEY, source TEXT NOT NULL, sha256 TEXT NOT NULL,
  status TEXT NOT NULL,              -- 'ok', or 'failed' (its run page could not be rendered: reason)
  reason TEXT, workload TEXT, system_id TEXT, division TEXT, created_utc TEXT);
CREATE TABLE IF NOT EXISTS summaries(run_id TEXT PRIMARY KEY, summary TEXT NOT NULL);  -- apart: scans of shown stay small
CREATE TABLE IF NOT EXISTS descriptions(run_id TEXT PRIMARY KEY, digest TEXT NOT NULL);  -- each run's workload:
CREATE TABLE IF NOT EXISTS workloads(digest TEXT PRIMARY KEY, workload TEXT NOT NULL);  -- each text once
CREATE INDEX IF NOT EXISTS shown_board ON shown(workload, system_id, division);
DROP INDEX IF EXISTS shown_system;
CREATE INDEX IF NOT EXISTS shown_system_runs ON shown(system_id, status, created_utc, run_id);  -- system pages
CREATE INDEX IF NOT EXISTS shown_newest ON shown(workload, created_utc, run_id);
CREATE INDEX IF NOT EXISTS shown_status ON shown(status, created_utc);
CREATE INDEX IF NOT EXISTS shown_failed ON shown(run_id) WHERE status = 'failed';
CREATE TABLE IF NOT EXISTS boards(workload TEXT, system_id TEXT, division TEXT, row TEXT NOT NULL,
  PRIMARY KEY (workload, system_id, division));
CREATE TABLE IF NOT EXISTS series(system_id TEXT, workload TEXT, info TEXT NOT NULL, PRIMARY KEY (system_id, workload));
CREATE TABLE IF NOT EXISTS systems(system_id TEXT PRIMARY KEY, info TEXT NOT NULL);
"""


# the modules that decide what a page shows (sww_views: the sww01 pages, where present)
SITE_MODULES = ("site.py", "site_pages.py", "site_state.py", "leaderboard.py", "history.py", "run_view.py",
                "html_fragments.py", "svg_charts.py", "formatting.py", "results_store.py", "result_index.py",
                "sww_views.py", "system_pages.py", "cache_json.py")


@lru_cache(maxsize=1)
def site_fingerprint() -> str:
    """tinybench's version and the source of the page code, templates and assets: pages made by others are stale."""
    digest = hashlib.sha256(f"{FORMAT}|{__version__}".encode())
    package = resources.files("tinybench.reports")
    names = list(SITE_MODULES)
    names += [f"{folder}/{t.name}" for folder in ("templates", "static") for t in package.joinpath(folder).iterdir()]
    for name in sorted(names):
        with contextlib.suppress(OSError):
            digest.update(name.encode() + b"\0" + package.joinpath(*name.split("/")).read_bytes())
    return digest.hexdigest()


class SiteState:
    """The state of the site in `out`. `fresh` is True when it had to start empty (a full build)."""

    def __init__(self, out: Path, full: bool, attach: list[tuple[str, str]] = ()) -> None:
        """`attach`: (alias, results index file), attached read-only (before the build's transaction). A full build
        makes its state in a new file (no journal: it is not the state until `commit` renames it into place), so a
        build that fails leaves the old state as it was."""
        self.path = Path(out) / STATE_NAME
        self.attach = list(attach)
        self.notes: list[str] = []
        self.new: Path | None = None  # the new state file of a full build
        self.conn: sqlite3.Connection | None = None
        try:
            self.fresh = True if full else self._check()
        except sqlite3.DatabaseError as exc:
            self.notes.append(f"the site state {self.path} could not be read ({exc}); the site is rebuilt in full")
            self.fresh = True
        if self.fresh:
            self._start_new()

    def _connect(self, path: Path, new: bool = False) -> sqlite3.Connection:
        conn = sqlite3.connect(path.resolve().as_uri(), uri=True, timeout=60, isolation_level=None)
        if new:  # nobody reads it before it is complete and renamed: no journal, no waiting for the disk
            conn.execute("PRAGMA journal_mode=OFF")
            conn.execute("PRAGMA synchronous=OFF")
        else:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # WAL stays consistent; a commit lost to a power cut is rebuilt
            conn.executescript(_TABLES)
        for alias, index in self.attach:
            conn.execute(f"ATTACH DATABASE ? AS {alias}", (f"{Path(index).resolve().as_uri()}?mode=ro",))
        conn.execute("BEGIN IMMEDIATE")  # one transaction per build, committed once its pages are written
        if new:
            for statement in _TABLES.split(";"):  # (executescript would end the transaction)
                if statement.strip():
                    conn.execute(statement)
        return conn

    def _check(self) -> bool:
        """Open the state; True (and closed again) when it was made by other code and the site must be rebuilt."""
        self.conn = self._connect(self.path)
        found = dict(self.conn.execute("SELECT key, value FROM meta"))
        if found.get("fingerprint") == site_fingerprint():
            self.conn.execute("SELECT count(*) FROM shown").fetchone()
            return False
        if found:
            self.notes.append("the site was made by another tinybench version or other templates; rebuilt in full")
        return True

    def _start_new(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")
            with contextlib.suppress(sqlite3.Error):
                self.conn.close()
        for stale in self.path.parent.glob(f"{STATE_NAME}.new-*"):  # a build that died (builds hold the site's lock)
            _remove(stale)
        self.new = self.path.with_name(f"{STATE_NAME}.new-{os.getpid()}")
        self.conn = self._connect(self.new, new=True)
        self.conn.execute("INSERT INTO meta VALUES ('fingerprint', ?)", (site_fingerprint(),))

    @contextlib.contextmanager
    def indexes_made_after(self, table: str) -> Iterator[None]:
        """Fill `table` with its indexes dropped and made again afterwards: 100,000 rows in random key order
        load ~2.5 times faster (a full build). Inside the build's transaction: nothing is seen half-made."""
        found = self.conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                                  "AND sql IS NOT NULL", (table,)).fetchall()
        for name, _ in found:
            self.conn.execute(f'DROP INDEX "{name}"')
        try:
            yield
        finally:
            for _, sql in found:
                self.conn.execute(sql)

    def get(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def put(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def commit(self) -> None:
        """Commit the build; the query planner's statistics are made after a full build and kept fresh (bounded
        sampling): without them SQLite picks indexes that scan whole tables at 100,000 runs. A full build's new
        file then replaces the old state (its write-ahead log removed first: it belongs to the old file)."""
        self.conn.execute("PRAGMA analysis_limit=1000")
        self.conn.execute("ANALYZE main" if self.fresh else "PRAGMA main.optimize")
        self.conn.execute("COMMIT")
        self.conn.close()
        if self.new is not None:
            for suffix in ("-wal", "-shm", "-journal"):
                _remove(Path(f"{self.path}{suffix}"))
            os.replace(self.new, self.path)

    def abandon(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.conn.execute("ROLLBACK")
        self.conn.close()
        if self.new is not None:
            _remove(self.new)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
