"""The results index: a SQLite cache of checked bundles beside them, so builds read only what changed.

`<results>/.tinybench-index.sqlite` holds, per bundle folder (its path relative to the results
folder): a *stamp* (name, type, size, mtime_ns and ctime_ns of each top-level entry), the SHA-256
of its files (names, sizes and bytes), and the verdict of the full check — schema validation and
every figure recomputed from the raw files (:mod:`local_bundles`) — either the verified result
(zlib-compressed JSON), a slim summary for the aggregate pages and its export rows, or the reason
it was rejected (rejections are cached by hash too).

Freshness, never trusting a stale row:

- the cheap check is the stamp: if any entry's size, mtime or *ctime* differs (ctime cannot be set
  from user space, so `touch -d`, `rsync -t` or `cp -p` still change it), the files are hashed;
- if the hash equals the stored one, only the stamp is updated (a copied or touched tree costs one
  hashing pass, no re-verification); otherwise the bundle is checked again;
- rows of folders that disappeared are deleted; the whole index is dropped when the checking code
  changes (its fingerprint: the source of the modules that verify and the result schema).

The index is a cache: deleting it only costs time. One that cannot be opened or read (corrupt,
truncated, not a database) is rebuilt, with a note. Several writers (two builds, a build and an
export) can sync at once: WAL journal, a busy timeout, and every change in one `BEGIN IMMEDIATE`
transaction; a checked bundle's row is written with the stamp taken *before* it was hashed, so a
bundle changed while it was being checked is checked again next time.

SQLite rather than DuckDB: it is in the standard library (no new dependency), its WAL mode gives
concurrent readers with serialized writers across processes, and the work here is point lookups
and small upserts by path — OLTP, where SQLite is at home; a 100,000-row export is one sequential
scan that SQLite + pandas read in well under a second (benchmarks/site_build.py), so DuckDB's
columnar engine would buy nothing measurable while adding a 30 MB wheel and one-writer-process
locking.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import sqlite3
import stat
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from tinybench.bundle import PARTIAL_PREFIX, RESULT_FILE
from tinybench.reports.results_store import COLUMNS, read_bundle, rows_of, system_id

INDEX_NAME = ".tinybench-index.sqlite"
FORMAT = "1"  # the table layout; a different one is rebuilt
BUSY_TIMEOUT_MS = 60_000
HASH_CHUNK = 1 << 20
CHECKING_MODULES = ("reports/recompute.py", "reports/recompute_quality.py", "reports/local_bundles.py",
                    "reports/results_store.py", "reports/mlperf_import.py", "reports/result_index.py",
                    "reports/bounded_tables.py", "reports/safe_json.py", "reports/submission_layout.py",
                    "schemas/result.schema.json", "result_schema.py", "statistics.py")  # under the tinybench package

_TABLES = f"""
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bundles(
  path TEXT PRIMARY KEY,            -- the bundle folder, relative to the results folder (POSIX)
  stamp TEXT NOT NULL,              -- name/type/size/mtime_ns/ctime_ns of each top-level entry
  sha256 TEXT NOT NULL,             -- of the files: names, sizes and bytes
  status TEXT NOT NULL CHECK (status IN ('ok', 'rejected')),
  reason TEXT,                      -- why it was rejected
  run_id TEXT, created_utc TEXT, workload TEXT, system_id TEXT, division TEXT,
  result BLOB,                      -- zlib(JSON): the verified result, figures recomputed from raw files
  summary TEXT                      -- JSON: the slim result the aggregate pages need
);
CREATE INDEX IF NOT EXISTS bundles_run_id ON bundles(run_id);
CREATE TABLE IF NOT EXISTS results(path TEXT NOT NULL, {", ".join(f'"{c}"' for c in COLUMNS)});
CREATE INDEX IF NOT EXISTS results_path ON results(path);
"""


@dataclass
class Entry:
    """One indexed bundle as the site and export see it."""

    path: str  # relative to the results folder
    sha256: str
    status: str  # "ok" or "rejected"
    reason: str | None
    run_id: str | None
    workload: str | None
    system_id: str | None
    division: str | None


@dataclass
class SyncReport:
    bundles: int = 0
    checked: int = 0  # verified (new, changed, or the index was new)
    rehashed: int = 0  # stamp changed, same content
    removed: int = 0
    notes: list[str] = field(default_factory=list)  # e.g. "the index was corrupt; rebuilt"


@dataclass
class Record:
    """What checking one bundle folder produced (made in a worker process, written by the parent)."""

    path: str
    stamp: str
    sha256: str
    status: str
    reason: str | None = None
    run_id: str | None = None
    created_utc: str | None = None
    workload: str | None = None
    system_id: str | None = None
    division: str | None = None
    result: bytes | None = None
    summary: str | None = None
    rows: list[tuple] = field(default_factory=list)


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 of the sources that decide a bundle's verdict and figures: rows made by other code are stale."""
    digest = hashlib.sha256()
    package = resources.files("tinybench")
    for name in CHECKING_MODULES:
        try:
            digest.update(name.encode() + b"\0" + package.joinpath(*name.split("/")).read_bytes())
        except OSError:
            digest.update(name.encode() + b"\0missing")
    return digest.hexdigest()


def bundle_folders(root: Path) -> Iterator[Path]:
    """Every bundle folder under `root` (one holding result.json), sorted; hidden and partial ones skipped."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not d.startswith(PARTIAL_PREFIX))
        if RESULT_FILE in filenames:
            yield Path(dirpath)
            dirnames[:] = []


def stamp_of(folder: Path) -> str:
    """Name, type, size, mtime_ns and ctime_ns of each top-level entry (lstat: links are not followed)."""
    parts = []
    with os.scandir(folder) as entries:
        for entry in entries:
            st = entry.stat(follow_symlinks=False)
            kind = "f" if stat.S_ISREG(st.st_mode) else "d" if stat.S_ISDIR(st.st_mode) else "o"
            parts.append(f"{entry.name}\0{kind}{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}")
    return "\n".join(sorted(parts))


def hash_of(folder: Path) -> str:
    """SHA-256 over each top-level regular file's name, size and bytes (sorted by name); other entries by name."""
    digest = hashlib.sha256()
    with os.scandir(folder) as entries:
        items = sorted((e.name, e.is_file(follow_symlinks=False)) for e in entries)
    for name, regular in items:
        digest.update(name.encode("utf-8", "surrogateescape") + b"\0")
        if not regular:
            digest.update(b"<not a regular file>\0")
            continue
        try:
            fd = os.open(folder / name, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        except OSError as exc:
            digest.update(f"<unreadable {exc.errno}>\0".encode())
            continue
        try:
            digest.update(str(os.fstat(fd).st_size).encode() + b"\0")
            while chunk := os.read(fd, HASH_CHUNK):
                digest.update(chunk)
        finally:
            os.close(fd)
    return digest.hexdigest()


def slim(result: dict) -> dict:
    """The parts of a verified result that leaderboards, system and history pages read (same shape as result)."""
    modes = {}
    for name, block in result["modes"].items():
        part = {k: block[k] for k in ("status", "reason", "metrics", "quality_target", "valid_for_submission")
                if k in block}
        if "stability" in block:
            part["stability"] = {"stable": (block.get("stability") or {}).get("stable", True)}
        column = {"performance": "throughput_inf_s", "energy": "uj_per_inference"}.get(name)
        if column and block.get("windows"):
            part["windows"] = [{column: w.get(column)} if isinstance(w, dict) else w for w in block["windows"]]
        modes[name] = part
    model = result["model"]
    return {"run_id": result["run_id"], "created_utc": result.get("created_utc", ""),
            "finished_utc": result.get("finished_utc", ""), "workload": result["workload"],
            "target": result["target"], "origin": result.get("origin", "tinybench"),
            "model": {k: model.get(k) for k in ("source", "division", "division_basis", "bytes")},
            "memory_bytes": {k: v for k, v in (result.get("memory_bytes") or {}).items() if k == "arena_used"},
            "valid_for_submission": result.get("valid_for_submission", False), "modes": modes}


def check_folder(root: Path, folder: Path, stamp: str | None = None) -> Record:
    """Hash and fully check one bundle folder (schema + every figure recomputed); never raises on bad input."""
    from tinybench.reports.local_bundles import verify_bundle

    rel = folder.relative_to(root).as_posix() if folder != root else "."
    stamp = stamp if stamp is not None else stamp_of(folder)
    sha = hash_of(folder)
    result, why = read_bundle(folder / RESULT_FILE)
    if result is None:
        return Record(rel, stamp, sha, "rejected", why)
    verified = verify_bundle(result)
    if verified.result is None:
        return Record(rel, stamp, sha, "rejected", "; ".join(verified.problems[:3]))
    result = verified.result
    rows = [tuple(row.get(c) for c in COLUMNS) for row in rows_of(result)]
    return Record(rel, stamp, sha, "ok", None, result["run_id"], result.get("created_utc"), result["workload"]["id"],
                  system_id(result), result["model"]["division"],
                  zlib.compress(json.dumps(result, separators=(",", ":")).encode(), 6),
                  json.dumps(slim(result), separators=(",", ":")), rows)


_PENDING: tuple[Path, list[tuple[Path, str]]] | None = None  # what forked workers check


def _check_range(bounds: tuple[int, int]) -> list[Record]:
    root, items = _PENDING
    return [check_folder(root, folder, stamp) for folder, stamp in items[bounds[0]:bounds[1]]]


def check_all(root: Path, items: list[tuple[Path, str]]) -> list[Record]:
    """check_folder for each (folder, stamp), in forked processes (one per core) when there are many."""
    global _PENDING
    import multiprocessing

    workers = min(os.cpu_count() or 1, 8)
    if workers < 2 or len(items) < 64 or "fork" not in multiprocessing.get_all_start_methods():
        return [check_folder(root, f, s) for f, s in items]
    _PENDING = (root, items)
    try:
        step = max(16, -(-len(items) // (workers * 8)))
        chunks = [(i, min(i + step, len(items))) for i in range(0, len(items), step)]
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return [r for part in pool.imap(_check_range, chunks) for r in part]
    finally:
        _PENDING = None


class ResultIndex:
    """The index of one results folder. `sync()` brings it up to date; the rest reads it."""

    def __init__(self, root: Path, path: Path | None = None) -> None:
        self.root = Path(root)
        self.notes: list[str] = []
        if path is None:
            # a folder that is itself one bundle gets no file beside its own (its file list is checked)
            path = None if (self.root / RESULT_FILE).is_file() else self.root / INDEX_NAME
        self.path = path
        self.conn = self._open()

    # -- opening, and rebuilding an index that cannot be used ---------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        target = ":memory:" if self.path is None else str(self.path)
        conn = sqlite3.connect(target, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if self.path is not None:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        conn.executescript(_TABLES)
        wanted = {"format": FORMAT, "code": code_fingerprint()}
        found = dict(conn.execute("SELECT key, value FROM meta"))
        if found != wanted:
            with self._write(conn):
                if found:
                    self.notes.append("the index was made by other checking code or layout; every bundle is checked again")
                conn.execute("DELETE FROM bundles")
                conn.execute("DELETE FROM results")
                conn.execute("DELETE FROM meta")
                conn.executemany("INSERT INTO meta VALUES (?, ?)", wanted.items())
        conn.execute("SELECT count(*) FROM bundles").fetchone()
        return conn

    def _open(self) -> sqlite3.Connection:
        if self.path is not None and not os.access(self.path.parent, os.W_OK):
            self.notes.append(f"{self.path.parent} is not writable: the index is kept in memory for this build")
            self.path = None
        try:
            return self._connect()
        except sqlite3.DatabaseError as exc:
            return self._rebuild(exc)

    def _rebuild(self, exc: Exception) -> sqlite3.Connection:
        """Delete a corrupt index (and its WAL) under a lock, so two processes do not both recreate it."""
        self.notes.append(f"the results index {self.path} could not be read ({exc}); it is rebuilt")
        with contextlib.suppress(Exception):
            self.conn.close()
        assert self.path is not None
        with open(self.path.with_name(INDEX_NAME + ".lock"), "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                try:  # another process may have rebuilt it meanwhile
                    return self._connect()
                except sqlite3.DatabaseError:
                    pass
                for suffix in ("", "-wal", "-shm", "-journal"):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(f"{self.path}{suffix}")
                return self._connect()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    @staticmethod
    @contextlib.contextmanager
    def _write(conn: sqlite3.Connection) -> Iterator[None]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()

    # -- bringing it up to date ---------------------------------------------------------------------------------
    def sync(self, progress: Callable[[int, int], None] | None = None) -> SyncReport:
        """Check new and changed bundles, drop removed ones. A corrupt index found here is rebuilt once."""
        try:
            return self._sync(progress)
        except sqlite3.DatabaseError as exc:
            if self.path is None:
                raise
            self.conn = self._rebuild(exc)
            return self._sync(progress)

    def _sync(self, progress: Callable[[int, int], None] | None) -> SyncReport:
        report = SyncReport()
        seen = {}
        for folder in bundle_folders(self.root):
            rel = folder.relative_to(self.root).as_posix() if folder != self.root else "."
            try:
                seen[rel] = (folder, stamp_of(folder))
            except OSError:
                continue  # vanished while walking: it is gone
        report.bundles = len(seen)
        known = {path: (stamp, sha) for path, stamp, sha in self.conn.execute("SELECT path, stamp, sha256 FROM bundles")}
        removed = [p for p in known if p not in seen]
        restamped, to_check = [], []
        for rel, (folder, stamp) in seen.items():
            old = known.get(rel)
            if old is not None and old[0] == stamp:
                continue
            if old is not None:
                try:
                    if hash_of(folder) == old[1]:
                        restamped.append((stamp, rel))
                        continue
                except OSError:
                    pass
            to_check.append((folder, stamp))
        records = check_all(self.root, to_check) if to_check else []
        if progress:
            progress(len(records), len(to_check))
        if removed or restamped or records:
            with self._write(self.conn):
                for chunk in _chunks(removed, 500):
                    marks = ",".join("?" * len(chunk))
                    self.conn.execute(f"DELETE FROM bundles WHERE path IN ({marks})", chunk)
                    self.conn.execute(f"DELETE FROM results WHERE path IN ({marks})", chunk)
                self.conn.executemany("UPDATE bundles SET stamp = ? WHERE path = ?", restamped)
                self.conn.executemany("DELETE FROM results WHERE path = ?", [(r.path,) for r in records])
                self.conn.executemany(
                    "INSERT OR REPLACE INTO bundles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(r.path, r.stamp, r.sha256, r.status, r.reason, r.run_id, r.created_utc, r.workload, r.system_id,
                      r.division, r.result, r.summary) for r in records])
                marks = ",".join("?" * (len(COLUMNS) + 1))
                self.conn.executemany(f"INSERT INTO results VALUES ({marks})",
                                      [(r.path, *row) for r in records for row in r.rows])
        report.checked, report.rehashed, report.removed = len(records), len(restamped), len(removed)
        report.notes = list(self.notes)
        return report

    # -- reading ---------------------------------------------------------------------------------------------
    def entries(self) -> list[Entry]:
        """Every indexed bundle, sorted by path (the order a build accepts them in)."""
        return [Entry(*row) for row in self.conn.execute(
            "SELECT path, sha256, status, reason, run_id, workload, system_id, division FROM bundles ORDER BY path")]

    def result(self, path: str) -> dict:
        """The verified result of an accepted bundle (figures recomputed from its raw files when it was checked)."""
        (blob,) = self.conn.execute("SELECT result FROM bundles WHERE path = ? AND status = 'ok'", (path,)).fetchone()
        result = json.loads(zlib.decompress(blob))
        result["_bundle"] = str(self.root / path) if path != "." else str(self.root)
        return result

    def summaries(self, paths: list[str]) -> dict[str, str]:
        """path → slim result (JSON text) of accepted bundles."""
        out = {}
        for chunk in _chunks(paths, 500):
            marks = ",".join("?" * len(chunk))
            out.update(self.conn.execute(
                f"SELECT path, summary FROM bundles WHERE status = 'ok' AND path IN ({marks})", chunk).fetchall())
        return out


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
