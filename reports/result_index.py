"""The results index: a SQLite cache of checked bundles beside them, so builds read only what changed.

`<results>/.tinybench-index/index.sqlite` holds, per bundle folder (its path relative to the results
folder): a *stamp* (name, type, size, mtime_ns and ctime_ns of each top-level entry), the SHA-256
of its files (names, sizes and bytes), and the verdict of the full check — schema validation and
every figure recomputed from the raw files (:mod:`local_bundles`) — either the verified result
(zlib-compressed JSON), a slim summary for the aggregate pages and its export rows, or the reason
it was rejected (rejections are cached by hash too).

Freshness, never trusting a stale row — what is checked, and when:

- every sync lists the folders (no stat): a folder the index does not know by path *and inode* is new or
  was replaced (bundles appear by rename, so a rewritten bundle is a new folder), and is stamped; a known
  path that is no longer listed is removed;
- the stamp is a digest of the name, type, size, mtime_ns and *ctime_ns* of each top-level entry (ctime
  cannot be set from user space, so `touch -d`, `rsync -t` or `cp -p` still change it); a changed stamp
  makes the files hashed: the same hash only updates the stamp (a copied or touched tree costs one hashing
  pass, no re-check), another hash makes the bundle checked again;
- a file edited *in place* inside a known folder keeps the folder's inode, so it is found by comparing
  stamps: each sync re-stamps the bundles stamped longest ago for `SWEEP_SECONDS` (at least `SWEEP_MIN`
  of them; on a collection of a few hundred, all of them), and `sync(thorough=True)` (`report build
  --full`) re-stamps every one. On this machine a stat costs 15-70 µs, so stamping 100,000 bundles at
  every build would take seconds: that is the trade made for sub-second incremental builds;
- the whole index is dropped when the checking code changes (its fingerprint: the source of the modules
  that verify, and the result schema).

The index is a cache: deleting it only costs time. One that cannot be opened or read (corrupt,
truncated, not a database) is rebuilt, with a note. Several writers (two builds, a build and an
export) can sync at once: WAL journal, a busy timeout, and every change in one `BEGIN IMMEDIATE`
transaction; a checked bundle's row is written with the stamp taken *before* it was hashed, so a
bundle changed while it was being checked is checked again next time.

SQLite rather than DuckDB: it is in the standard library (no new dependency), its WAL mode gives
concurrent readers with serialized writers across processes, and the work here is point lookups
and small upserts by path — OLTP, where SQLite is at home; the one columnar read, the 100,000-row
export, is served by a Parquet snapshot beside the index patched with the rows `written` since
(results_store), so DuckDB's columnar engine would buy nothing measurable while adding a 30 MB
wheel and one-writer-process locking.

Each row has two generations: `stamped` (the sync that last compared its stamp: the sweep's order)
and `written` (the sync that stored its verdict): readers (the site, the export snapshot) ask what was
written since the generation they saw, so the sweep's re-stamps are not changes to them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import sqlite3
import stat
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from tinybench.bundle import PARTIAL_PREFIX, RESULT_FILE
from tinybench.progress import Progress
from tinybench.reports import cache_json
from tinybench.reports.results_store import COLUMNS, read_bundle, rows_of, system_id

INDEX_DIR = ".tinybench-index"  # its own folder: the WAL and caches written beside it leave the results folder as it was
INDEX_NAME = f"{INDEX_DIR}/index.sqlite"  # relative to the results folder
FORMAT = "4"  # the table layout; a different one is rebuilt
SWEEP_SECONDS, SWEEP_MIN = 0.05, 32  # each sync re-stamps the longest-unstamped bundles for this long (at least this many)
BUSY_TIMEOUT_MS = 60_000
RUN_BUSY_TIMEOUT_MS = 5_000  # a run adding its bundle waits this long for a busy index, then leaves it to the build
RUN_BUSY_STEP_MS = 50  # … in steps this long, between which a Ctrl-C is seen
RUN_SQL_SECONDS = 10.0  # all of a run's work on the index (waits included): SQL still running then is interrupted
HASH_CHUNK = 1 << 20
CHECKING_MODULES = ("reports/recompute.py", "reports/recompute_quality.py", "reports/local_bundles.py",
                    "reports/results_store.py", "reports/mlperf_import.py",
                    "reports/bounded_tables.py", "reports/safe_json.py", "reports/submission_layout.py",
                    "schemas/result.schema.json", "result_schema.py", "statistics.py",
                    "reports/recompute_stream.py", "reports/recompute_kitti.py", "reports/sww_bounds.py",
                    "reports/sww_truth.py", "reports/cache_json.py", "workloads/metrics/sww_scoring.py",
                    "workloads/metrics/kitti_ap.py",
                    "workloads/metrics/kitti_devkit.py", "workloads/metrics/kitti_exact.py",
                    "workloads/metrics/kitti_rules.py", "workloads/metrics/auc.py")  # under the tinybench package

_TABLES = f"""
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bundles(
  path TEXT PRIMARY KEY,            -- the bundle folder, relative to the results folder (POSIX)
  ino INTEGER NOT NULL,             -- the folder's inode: a folder replaced by another is a new one
  stamped INTEGER NOT NULL,         -- the sync that last compared its stamp (the sweep takes the oldest)
  stamp TEXT NOT NULL,              -- digest of name/type/size/mtime_ns/ctime_ns of each top-level entry
  sha256 TEXT NOT NULL,             -- of the files: names, sizes and bytes
  status TEXT NOT NULL CHECK (status IN ('ok', 'rejected')),
  reason TEXT,                      -- why it was rejected
  run_id TEXT, created_utc TEXT, workload TEXT, system_id TEXT, division TEXT,
  written INTEGER NOT NULL DEFAULT 0  -- the sync that wrote its verdict (readers ask what changed since a sync)
);
CREATE TABLE IF NOT EXISTS payloads(  -- apart, so that scans of `bundles` stay small
  path TEXT PRIMARY KEY,
  result BLOB NOT NULL,             -- zlib(JSON): the verified result, figures recomputed from raw files
  summary TEXT NOT NULL             -- JSON: the slim result the aggregate pages need
);
CREATE INDEX IF NOT EXISTS bundles_run_id ON bundles(run_id, status);
DROP INDEX IF EXISTS bundles_stamped;
CREATE INDEX IF NOT EXISTS bundles_sweep ON bundles(stamped, path, ino);  -- the sweep's order, covering
CREATE INDEX IF NOT EXISTS bundles_listing ON bundles(path, ino);
CREATE INDEX IF NOT EXISTS bundles_written ON bundles(written);  -- the listing reads these only
CREATE INDEX IF NOT EXISTS bundles_workload ON bundles(status, workload);  -- the site's menu
CREATE INDEX IF NOT EXISTS bundles_rejected ON bundles(path) WHERE status != 'ok';
CREATE TABLE IF NOT EXISTS removed(path TEXT, run_id TEXT, stamped INTEGER);  -- rows deleted or replaced, when
CREATE INDEX IF NOT EXISTS removed_stamped ON removed(stamped);
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
    ino: int
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
    stamped: int = 0


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 of the sources that decide a bundle's verdict and figures: rows made by other code are stale."""
    digest = hashlib.sha256()
    for name in CHECKING_MODULES:
        try:
            digest.update(name.encode() + b"\0" + _source(name))
        except OSError:
            digest.update(name.encode() + b"\0missing")
    return digest.hexdigest()


def _source(name: str) -> bytes:
    """A file of the package by its path under `tinybench`; `reports/…` is the `tinybench.reports` package,
    which an editable install maps to another folder than `tinybench` itself."""
    first, *rest = name.split("/")
    if rest:
        try:
            return resources.files(f"tinybench.{first}").joinpath(*rest).read_bytes()
        except ModuleNotFoundError:  # a plain folder inside the package (schemas/)
            pass
    return resources.files("tinybench").joinpath(first, *rest).read_bytes()


@dataclass
class Listing:
    """Bundle folders found by one walk: known ones by path and inode only, the others stamped."""

    known: set[tuple[str, int]] = field(default_factory=set)  # (path, inode) as in the index (not stat-ed)
    fresh: dict[str, tuple[Path, int, str]] = field(default_factory=dict)  # path → (folder, inode, stamp)
    nested: bool = False  # some bundle is not directly in the results folder, or a subfolder could get one
    not_text: list[str] = field(default_factory=list)  # folders skipped: their name is not UTF-8 (as "r\\xff")


def list_bundles(root: Path, known: set[tuple[str, int]]) -> Listing:
    """Every bundle folder under `root` (one holding result.json; hidden and partial folders skipped, a bundle's
    subfolders not searched). A folder the index knows by (path, inode) (from the directory listing, no stat) is
    not opened; any other folder is listed, and stamped when it is a bundle. The results folder's own entries
    (100,000 of them) are matched set-wise: ~0.25 s here, most of it the directory listing itself."""
    root = Path(root)
    out = Listing()
    try:
        with os.scandir(root) as listing:
            top = list(listing)
    except OSError:
        return out
    if any(e.name == RESULT_FILE for e in top):
        with contextlib.suppress(OSError):
            out.fresh["."] = (root, os.stat(root).st_ino, _stamp(top))
        return out
    pairs = {(e.name, e.inode()) for e in top}
    out.known = pairs & known
    other = {name for name, _ in pairs - out.known}
    stack = [("", [e for e in top if e.name in other] if len(other) < len(top) else top)]
    while stack:
        prefix, entries = stack.pop()
        for entry in entries:
            if entry.name.startswith(".") or entry.name.startswith(PARTIAL_PREFIX) or \
                    not entry.is_dir(follow_symlinks=False):
                continue
            rel = prefix + entry.name
            if not _is_text(entry.name):  # SQLite, the site and Parquet take text only: named, not listed
                out.not_text.append(os.fsencode(rel).decode("utf-8", "backslashreplace"))
                out.nested = True  # (listed again each time: the note is not lost)
                continue
            if (rel, entry.inode()) in known:
                out.known.add((rel, entry.inode()))
                out.nested = True  # (top-level known folders were matched above)
                continue
            try:
                with os.scandir(entry.path) as listing:
                    inner = list(listing)
                if any(e.name == RESULT_FILE for e in inner):
                    out.fresh[rel] = (Path(entry.path), entry.inode(), _stamp(inner))
                    out.nested |= bool(prefix)
                else:  # a bundle renamed into it later changes this folder, not the results folder: listed each time
                    stack.append((rel + "/", inner))
                    out.nested = True
            except OSError:
                continue  # vanished while walking: it is gone
    return out


def _is_text(name: str) -> bool:
    """Whether a file name is UTF-8 (os.scandir gives the bytes of one that is not as lone surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _stamp(entries: list[os.DirEntry]) -> str:
    """Digest of name, type, size, mtime_ns and ctime_ns of each entry (lstat: links are not followed)."""
    parts = []
    for entry in entries:
        st = entry.stat(follow_symlinks=False)
        kind = "f" if stat.S_ISREG(st.st_mode) else "d" if stat.S_ISDIR(st.st_mode) else "o"
        parts.append(f"{entry.name}\0{kind}{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}")
    return hashlib.blake2b("\n".join(sorted(parts)).encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


def _folder_stamp(folder: Path) -> str | None:
    """inode, mtime_ns and ctime_ns of a folder: they change when an entry is added, removed or renamed in it."""
    try:
        st = os.stat(folder)
    except OSError:
        return None
    return f"{st.st_ino}:{st.st_mtime_ns}:{st.st_ctime_ns}"


def stamp_of(folder: Path) -> str:
    """The stamp of one folder: what must change for its files to have changed."""
    with os.scandir(folder) as listing:
        return _stamp(list(listing))


def _stamp_range(job: tuple[str, list[str]]) -> list[str | None]:
    root, rels = job
    out = []
    for rel in rels:
        try:
            out.append(stamp_of(Path(root, rel)))
        except OSError:  # gone meanwhile
            out.append(None)
    return out


def stamp_many(root: Path, rels: list[str]) -> list[str | None]:
    """stamp_of each folder `root/rel` (None where it cannot be listed), in forked processes (one per core) when
    there are many: a `--full` build stamps all 100,000 bundles (≈ 60 µs each, mostly system calls)."""
    import multiprocessing

    workers = min(os.cpu_count() or 1, 8)
    if workers < 2 or len(rels) < 5000 or "fork" not in multiprocessing.get_all_start_methods():
        return _stamp_range((str(root), rels))
    step = -(-len(rels) // (workers * 4))
    from tinybench.reports.worker_pool import BrokenProcessPool, end_now, fork_pool, lost_worker

    pool = fork_pool(workers)
    try:
        parts = list(pool.map(_stamp_range, [(str(root), rels[i:i + step]) for i in range(0, len(rels), step)]))
    except BaseException as exc:
        end_now(pool)
        if isinstance(exc, BrokenProcessPool):
            raise lost_worker("listing bundles", "nothing was changed") from exc
        raise
    pool.shutdown(wait=True)
    return [stamp for part in parts for stamp in part]


def hash_of(folder: Path) -> str:
    """SHA-256 over each top-level regular file's name, size and bytes (sorted by name); other entries by name.

    Where the system allows, the folder is opened once and its files relative to it (no path walk per file); a
    file is read in one call when it fits (a short read of a regular file is its end)."""
    digest = hashlib.sha256()
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    relative = os.open in os.supports_dir_fd and os.scandir in os.supports_fd
    directory = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)) if relative else None
    try:
        with os.scandir(folder if directory is None else directory) as entries:
            items = sorted((e.name, e.is_file(follow_symlinks=False)) for e in entries)
        for name, regular in items:
            digest.update(name.encode("utf-8", "surrogateescape") + b"\0")
            if not regular:
                digest.update(b"<not a regular file>\0")
                continue
            try:
                fd = os.open(os.path.join(folder, name), flags) if directory is None else \
                    os.open(name, flags, dir_fd=directory)
            except OSError as exc:
                digest.update(f"<unreadable {exc.errno}>\0".encode())
                continue
            try:
                size = os.fstat(fd).st_size
                digest.update(str(size).encode() + b"\0")
                step = min(HASH_CHUNK, size + 1)  # a small file in one read, no 1 MiB buffers
                while chunk := os.read(fd, step):
                    digest.update(chunk)
                    if len(chunk) < step:
                        break
            finally:
                os.close(fd)
    finally:
        if directory is not None:
            os.close(directory)
    return digest.hexdigest()


def slim(result: dict) -> dict:
    """The parts of a verified result that leaderboards, system and history pages read (same shape as result)."""
    modes = {}
    for name, block in result["modes"].items():
        part = {k: block[k] for k in ("status", "reason", "metrics", "quality_target", "valid_for_submission")
                if k in block}
        if "stability" in block:
            part["stability"] = {"stable": (block.get("stability") or {}).get("stable", True)}
        if name == "stream":  # what the sww01 leaderboard reads beside the metrics (reports/sww_views.py)
            part["checks"] = [c for c in block.get("checks", []) if c.get("rule") == "official_stream"]
            if (block.get("energy") or {}).get("reason"):
                part["energy"] = {"reason": block["energy"]["reason"]}
            if "published" in block:
                part["published"] = {}
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


# zlib level of the stored result (its JSON written by cache_json): 1 writes it in ~60 µs, 6 in ~95 µs, for 6 % more
# bytes (a cache: any level reads)
PAYLOAD_ZLIB_LEVEL = 1


def check_folder(root: Path, folder: Path, ino: int = 0, stamp: str | None = None) -> Record:
    """Hash and fully check one bundle folder (schema + every figure recomputed); never raises on bad input."""
    from tinybench.reports.local_bundles import verify_bundle

    rel = folder.relative_to(root).as_posix() if folder != root else "."
    stamp = stamp if stamp is not None else stamp_of(folder)
    sha = hash_of(folder)
    result, why = read_bundle(folder / RESULT_FILE)
    if result is None:
        return Record(rel, ino, stamp, sha, "rejected", why)
    verified = verify_bundle(result)
    if verified.result is None:
        return Record(rel, ino, stamp, sha, "rejected", "; ".join(verified.problems[:3]))
    result = verified.result
    rows = [tuple(map(row.get, COLUMNS)) for row in rows_of(result)]
    return Record(rel, ino, stamp, sha, "ok", None, result["run_id"], result.get("created_utc"), result["workload"]["id"],
                  system_id(result), result["model"]["division"],
                  zlib.compress(cache_json.dumps(result).encode(), PAYLOAD_ZLIB_LEVEL), cache_json.dumps(slim(result)),
                  rows)


_PENDING: tuple[Path, list[tuple[Path, int, str]]] | None = None  # what forked workers check


def _check_range(bounds: tuple[int, int]) -> list[Record]:
    root, items = _PENDING
    return [check_folder(root, folder, ino, stamp) for folder, ino, stamp in items[bounds[0]:bounds[1]]]


def check_all(root: Path, items: list[tuple[Path, int, str]], batch: int = 1000) -> Iterator[list[Record]]:
    """check_folder for each (folder, inode, stamp), in forked processes (one per core) when there are many;
    yields the records in batches of about `batch` (so they can be written as they come)."""
    global _PENDING
    import multiprocessing

    workers = min(os.cpu_count() or 1, 8)
    if workers < 2 or len(items) < 64 or "fork" not in multiprocessing.get_all_start_methods():
        for start in range(0, len(items), batch):
            yield [check_folder(root, f, i, s) for f, i, s in items[start:start + batch]]
        return
    _PENDING = (root, items)
    try:
        step = max(16, min(batch, -(-len(items) // (workers * 8))))
        bounds = [(i, min(i + step, len(items))) for i in range(0, len(items), step)]
        from tinybench.reports.worker_pool import BrokenProcessPool, end_now, fork_pool, lost_worker

        pool = fork_pool(workers)  # (a killed worker raises, not waits forever: see worker_pool)
        try:
            pending: list[Record] = []
            for part in pool.map(_check_range, bounds):
                pending += part
                if len(pending) >= batch:
                    yield pending
                    pending = []
            if pending:
                yield pending
        except BrokenProcessPool as exc:
            end_now(pool)
            raise lost_worker("checking bundles", "the bundles checked before it are kept") from exc
        except BaseException:  # also the caller stopping early (Ctrl-C between two batches): the workers end now
            end_now(pool)
            raise
        pool.shutdown(wait=True)
    finally:
        _PENDING = None


class ResultIndex:
    """The index of one results folder. `sync()` brings it up to date; the rest reads it."""

    def __init__(self, root: Path, path: Path | None = None) -> None:
        self.root = Path(root)
        if not _is_text(str(self.root)):  # its path is in every row (the bundle column): SQLite takes text only
            from tinybench.errors import TinybenchError

            shown = os.fsencode(self.root).decode("utf-8", "backslashreplace")
            raise TinybenchError(f"{shown}: the results folder's path is not UTF-8 text",
                                 hint="rename the folder (or the folder it is in)")
        self.notes: list[str] = []
        self.busy_wait: float | None = None  # (s) how long add waits for a busy index in steps (None: one SQLite wait)
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
        if _foreign_sql(conn):  # before any table is read: a trigger or view could run a query that never ends
            conn.close()
            raise sqlite3.DatabaseError("it holds triggers or views, or tables of another layout, which no index "
                                        "tinybench makes has")
        conn.executescript(_TABLES)
        wanted = _meta_wanted(self.root, self.path)
        meta = "SELECT key, value FROM meta WHERE key IN ('format', 'code', 'folder')"
        if dict(conn.execute(meta)) != wanted:
            with self._write(conn):
                found = dict(conn.execute(meta))  # again, in the transaction: another build may have started it over
                if found != wanted:
                    same_code = {k: found.get(k) for k in ("format", "code")} == {k: wanted[k] for k in ("format", "code")}
                    if found and not same_code:
                        self.notes.append("the index was made by other checking code or layout; every bundle is "
                                          "checked again")
                    elif found:
                        self.notes.append("the index was made for another folder (copied or moved here with it): its "
                                          "verdicts are not taken; every bundle is checked again")
                    for table in ("bundles", "results", "payloads", "removed", "meta"):
                        conn.execute(f"DELETE FROM {table}")
                    conn.executemany("INSERT INTO meta VALUES (?, ?)", wanted.items())
                    # generations count from 1 again: readers that remember one (the site) know this index by this mark
                    conn.execute("INSERT INTO meta VALUES ('epoch', ?)", (os.urandom(8).hex(),))
        conn.execute("SELECT count(*) FROM bundles").fetchone()
        return conn

    def _open(self) -> sqlite3.Connection:
        if self.path is not None and not os.access(self.root, os.W_OK) and not self.path.parent.is_dir():
            self.notes.append(f"{self.root} is not writable: the index is kept in memory for this build")
            self.path = None
        if self.path is not None and (problem := _in_the_way(self.path)):
            self.notes.append(f"{problem}: the index is kept in memory for this build (remove or rename it; "
                              "tinybench keeps its results index there)")
            self.path = None
        if self.path is not None:
            self.path.parent.mkdir(exist_ok=True)
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
        nofollow = lambda name, flags: os.open(name, flags | getattr(os, "O_NOFOLLOW", 0))  # noqa: E731
        with open(self.path.with_name("index.lock"), "a+", opener=nofollow) as lock:
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
    def _write(conn: sqlite3.Connection, wait: float | None = None) -> Iterator[None]:
        """One write transaction. `wait` (s): how long to wait for a busy index, in SQLite busy waits of
        RUN_BUSY_STEP_MS retried here — a Ctrl-C is not seen while SQLite sleeps in C; None: the connection's own
        busy timeout, in one wait."""
        end = None if wait is None else time.monotonic() + wait
        if wait is not None:
            conn.execute(f"PRAGMA busy_timeout={min(RUN_BUSY_STEP_MS, int(wait * 1000))}")
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as exc:
                if end is None or time.monotonic() >= end or "locked" not in str(exc):
                    raise
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()

    @classmethod
    def existing(cls, root: Path, busy_ms: int | None = None, deadline: float | None = None) -> ResultIndex | None:
        """The index of `root` if one is there and was made by this checking code and layout; else None, and
        nothing is created or changed (the next build decides: a run never wipes an index another version made).
        `deadline` (time.monotonic()): SQL of this connection still running then is interrupted (sqlite3
        OperationalError "interrupted") — an index file is as trusted as the folder it is in, and one with a trigger
        or view that never ends must not hang a run. An index holding triggers or views is not this code's; nor is
        one reached through a link (a symlinked `.tinybench-index` or index file, a hard-linked index file): it may
        be another folder's, whose builds would then list a bundle that folder does not have."""
        path = Path(root) / INDEX_NAME
        if not _is_text(str(path)):
            return None
        try:
            folder, file = os.lstat(path.parent), os.lstat(path)
        except OSError:
            return None
        if not stat.S_ISDIR(folder.st_mode) or not stat.S_ISREG(file.st_mode) or file.st_nlink != 1:
            return None
        busy_ms = RUN_BUSY_TIMEOUT_MS if busy_ms is None else busy_ms
        conn = sqlite3.connect(str(path), timeout=busy_ms / 1000, isolation_level=None)
        try:
            if deadline is not None:
                conn.set_progress_handler(lambda: time.monotonic() > deadline, 1000)
            conn.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
            found = {} if _foreign_sql(conn) else dict(conn.execute(
                "SELECT key, value FROM meta WHERE key IN ('format', 'code', 'folder')"))
        except BaseException:
            conn.close()
            raise
        if found != _meta_wanted(Path(root), path):
            conn.close()
            return None
        index = cls.__new__(cls)
        index.root, index.path, index.conn, index.notes = Path(root), path, conn, []
        index.busy_wait = busy_ms / 1000
        return index

    def add(self, folder: Path) -> Record | None:
        """Check one bundle folder just written directly in the root (what `tinybench run` does with its own bundle)
        and store its verdict as a sync would: the next build finds it known with the same stamp and checks nothing.
        The stamp is taken before the check and again inside the write transaction: a bundle that changed meanwhile
        is not stored (None; a build may have stored the verdict of its new bytes while this add waited for the
        index, and the folder, known by path and inode, would be looked at again only by the sweep). The generation
        is taken inside the write transaction. ValueError for a folder that is not a visible child of the root, or
        is a link (a row the listing never finds would be kept while the results folder does not change)."""
        folder = Path(folder)
        name = folder.name
        if folder.parent != self.root or name in ("", ".", "..") or name.startswith((".", PARTIAL_PREFIX)):
            raise ValueError(f"{folder} is not a bundle folder directly in {self.root}")
        where = self.root / name
        found = os.lstat(where)
        if not stat.S_ISDIR(found.st_mode):  # a link: the listing never takes it (the row would stay while it is flat)
            raise ValueError(f"{folder} is not a folder (a link?)")
        ino = found.st_ino
        stamp = stamp_of(where)
        record = check_folder(self.root, where, ino, stamp)
        with self._write(self.conn, self.busy_wait):
            try:
                unchanged = os.lstat(where).st_ino == ino and stamp_of(where) == stamp
            except OSError:
                unchanged = False
            if not unchanged:
                return None
            (count,) = self.conn.execute("SELECT max(coalesce((SELECT max(stamped) FROM bundles), 0), "
                                         "coalesce((SELECT max(stamped) FROM removed), 0)) + 1").fetchone()
            self._store([record], count)
        return record

    # -- bringing it up to date ---------------------------------------------------------------------------------
    def sync(self, progress: Callable[[int, int], None] | None = None, thorough: bool = False) -> SyncReport:
        """Check new, replaced and changed bundles, drop removed ones. `thorough` compares every bundle's stamp;
        otherwise known folders (same path and inode) are re-stamped by the sweep only. A corrupt index found
        here is rebuilt once."""
        try:
            return self._sync(progress, thorough)
        except sqlite3.DatabaseError as exc:
            if self.path is None:
                raise
            self.conn = self._rebuild(exc)
            return self._sync(progress, thorough)

    def _sync(self, progress: Callable[[int, int], None] | None, thorough: bool) -> SyncReport:
        report = SyncReport()
        root_stamp = _folder_stamp(self.root)
        flat = not thorough and root_stamp is not None and self._meta("root") == root_stamp
        if flat:  # the results folder's own entries are as last time and every bundle sits directly in it
            listing, removed = None, []
            (report.bundles,) = self.conn.execute("SELECT count(*) FROM bundles").fetchone()
        else:
            known = set(self.conn.execute("SELECT path, ino FROM bundles"))
            listing = list_bundles(self.root, known)
            report.bundles = len(listing.known) + len(listing.fresh)
            removed = sorted({p for p, _ in known - listing.known} - listing.fresh.keys())
            report.notes += [f"{self.root / name}: skipped: its name is not UTF-8 text (rename the folder)"
                             for name in listing.not_text]
        (count,) = self.conn.execute("SELECT max(coalesce((SELECT max(stamped) FROM bundles), 0), "
                                     "coalesce((SELECT max(stamped) FROM removed), 0)) + 1").fetchone()
        stamps = dict(listing.fresh) if listing else {}
        # the sweep: known folders whose files may have been edited in place (their inode does not change)
        query = "SELECT path, ino FROM bundles ORDER BY stamped, path" + ("" if thorough else f" LIMIT {SWEEP_MIN * 64}")
        deadline = time.monotonic() + SWEEP_SECONDS
        swept, sweep = 0, []
        for rel, ino in self.conn.execute(query).fetchall():
            if (listing is not None and (rel, ino) not in listing.known) or rel in stamps:
                continue
            if thorough:  # every one: stamped below, side by side
                sweep.append((rel, ino))
                continue
            if swept >= SWEEP_MIN and time.monotonic() > deadline:
                break
            folder = self.root / rel
            with contextlib.suppress(OSError):
                stamps[rel] = (folder, ino, stamp_of(folder))
            swept += 1
        swept_all = {rel for rel, _ in sweep}
        for (rel, ino), stamp in zip(sweep, stamp_many(self.root, [rel for rel, _ in sweep])):
            if stamp is not None:
                stamps[rel] = (None, ino, stamp)  # its folder made below, for the few that changed
        nested = listing is not None and listing.nested
        stored = {}
        for chunk in chunks(list(stamps), 500):
            marks = ",".join("?" * len(chunk))
            stored.update((p, (st, sha)) for p, st, sha in self.conn.execute(
                f"SELECT path, stamp, sha256 FROM bundles WHERE path IN ({marks})", chunk))
        restamped, to_check = [], []
        for rel, (folder, ino, stamp) in stamps.items():
            old = stored.get(rel)
            if old is not None and old[0] == stamp:
                if not (thorough and rel in swept_all):  # (a full pass leaves the sweep's order as it was)
                    restamped.append((ino, stamp, count, rel))
                continue
            folder = self.root / rel if folder is None else folder
            if old is not None:
                try:
                    if hash_of(folder) == old[1]:
                        restamped.append((ino, stamp, count, rel))
                        report.rehashed += 1
                        continue
                except OSError:
                    pass
            to_check.append((folder, ino, stamp))
        if removed or restamped:
            with self._write(self.conn):
                self._forget(removed, restamped, count)
        done = 0
        for records in check_all(self.root, to_check):  # written as they come: an interrupted sync keeps them
            with self._write(self.conn):
                self._store(records, count)
            done += len(records)
            if progress:
                progress(done, len(to_check))
        if done > 1000 or (done and self._meta("analyzed") is None):  # the query planner's statistics
            with self._write(self.conn):
                self.conn.execute("PRAGMA analysis_limit=1000")
                self.conn.execute("ANALYZE main")
                self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('analyzed', ?)", (str(count),))
        # the folder's stamp is remembered once every bundle listed is stored: a sync interrupted before (Ctrl-C) left
        # it remembered, and the next sync, finding the folder as listed, never listed the bundles not yet checked
        self._remember_root(None if nested or root_stamp is None else root_stamp)
        report.checked, report.removed = done, len(removed)
        report.notes = list(self.notes) + report.notes
        return report

    def epoch(self) -> str | None:
        """A mark made each time the index is started over (its generations count from 1 again): a reader that
        remembers a generation of this index remembers this too (None: an index made before epochs were kept)."""
        return self._meta("epoch")

    def _meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _remember_root(self, stamp: str | None) -> None:
        """The results folder's stamp, taken before it was listed (an entry added meanwhile changes it again);
        None when bundles sit in subfolders (their folders would need stamps too: the listing is used)."""
        if self._meta("root") != stamp:
            with self._write(self.conn):
                self.conn.execute("DELETE FROM meta WHERE key = 'root'")
                if stamp is not None:
                    self.conn.execute("INSERT INTO meta VALUES ('root', ?)", (stamp,))

    def _forget(self, removed: list[str], restamped: list[tuple], count: int) -> None:
        for chunk in chunks(removed, 500):
            marks = ",".join("?" * len(chunk))
            self.conn.execute(f"INSERT INTO removed SELECT path, run_id, ? FROM bundles WHERE path IN ({marks})",
                              [count, *chunk])
            for table in ("bundles", "results", "payloads"):
                self.conn.execute(f"DELETE FROM {table} WHERE path IN ({marks})", chunk)
        self.conn.executemany("UPDATE bundles SET ino = ?, stamp = ?, stamped = ? WHERE path = ?", restamped)

    def _store(self, records: list[Record], count: int) -> None:
        self.conn.executemany("INSERT INTO removed SELECT path, run_id, ? FROM bundles WHERE path = ?",
                              [(count, r.path) for r in records])  # what a replaced row said goes too
        for table in ("results", "payloads"):
            self.conn.executemany(f"DELETE FROM {table} WHERE path = ?", [(r.path,) for r in records])
        self.conn.executemany(
            "INSERT OR REPLACE INTO bundles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(r.path, r.ino, count, r.stamp, r.sha256, r.status, r.reason, r.run_id, r.created_utc,
              r.workload, r.system_id, r.division, count) for r in records])
        self.conn.executemany("INSERT INTO payloads VALUES (?, ?, ?)",
                              [(r.path, r.result, r.summary) for r in records if r.status == "ok"])
        marks = ",".join("?" * (len(COLUMNS) + 1))
        self.conn.executemany(f"INSERT INTO results VALUES ({marks})",
                              [(r.path, *row) for r in records for row in r.rows])

    # -- reading ---------------------------------------------------------------------------------------------
    def entries(self) -> list[Entry]:
        """Every indexed bundle, sorted by path (the order a build accepts them in)."""
        return [Entry(*row) for row in self.conn.execute(
            "SELECT path, sha256, status, reason, run_id, workload, system_id, division FROM bundles ORDER BY path")]

    def result(self, path: str) -> dict:
        """The verified result of an accepted bundle (figures recomputed from its raw files when it was checked)."""
        (blob,) = self.conn.execute("SELECT result FROM payloads WHERE path = ?", (path,)).fetchone()
        result = cache_json.loads(zlib.decompress(blob))
        result["_bundle"] = str(self.root / path) if path != "." else str(self.root)
        return result

    def summaries(self, paths: list[str]) -> dict[str, str]:
        """path → slim result (JSON text) of accepted bundles."""
        out = {}
        for chunk in chunks(paths, 500):
            marks = ",".join("?" * len(chunk))
            out.update(self.conn.execute(
                f"SELECT path, summary FROM payloads WHERE path IN ({marks})", chunk).fetchall())
        return out


def _in_the_way(path: Path) -> str | None:
    """What stands where the index goes and is no index (a file named like its folder; a folder, FIFO or device
    named like one of its files — SQLite would fail on it, or block reading a FIFO for ever; a symbolic link, even
    a dangling one — SQLite follows it, and would create, write or add its tables to whatever it names, someone
    else's file or database, as the user running the build), or None. Nothing there is removed: it is not
    tinybench's."""
    files = [path.parent / n for n in (path.name, f"{path.name}-wal", f"{path.name}-shm", f"{path.name}-journal",
                                       "index.lock")]
    for place, fits, kind in [(path.parent, stat.S_ISDIR, "a folder"), *((f, stat.S_ISREG, "a regular file")
                                                                          for f in files)]:
        try:
            st = os.lstat(place)
        except FileNotFoundError:  # (the folder missing: its files are too)
            continue
        except OSError as exc:
            return f"{place} cannot be used ({exc.strerror or exc})"
        if stat.S_ISLNK(st.st_mode):
            return f"{place} is a link"
        if not fits(st.st_mode):
            return f"{place} is not {kind}"
    return None


@lru_cache(maxsize=1)
def _own_schema() -> frozenset[tuple]:
    """Every (type, name, table, SQL) of sqlite_master in an index this code makes (ANALYZE's table included; and
    the index _TABLES drops, which an index not opened since it was dropped still has)."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.executescript(_TABLES)
        conn.execute("ANALYZE main")
        dropped = ("index", "bundles_stamped", "bundles", "CREATE INDEX bundles_stamped ON bundles(stamped)")
        return frozenset([*conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"), dropped])
    finally:
        conn.close()


def _foreign_sql(conn: sqlite3.Connection) -> bool:
    """Whether the database holds anything an index this code makes has not: a trigger or a view (SQL that runs when
    a table is read or written), a table of another layout (a `results` table with other columns, a CHECK refusing
    every row: every write would fail), an index on an expression — an index file is as trusted as its folder."""
    found = set(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))
    return not found <= _own_schema()


def _meta_wanted(root: Path, path: Path | None) -> dict[str, str]:
    """What an index's meta must say to be used: this layout, this checking code, and — for one on disk — this
    results folder (device and inode): an index copied along with a folder someone else made (`cp -a`, rsync, an
    archive) holds verdicts this tinybench never reached, and is started over (moving a folder within one file
    system keeps it)."""
    wanted = {"format": FORMAT, "code": code_fingerprint()}
    if path is not None:
        st = os.stat(root)
        wanted["folder"] = f"{st.st_dev}:{st.st_ino}"
    return wanted


def checking_progress(progress: Progress, root: Path) -> Callable[[int, int], None]:
    """`sync`'s (done, total) reports as a progress bar, made at the first report (none when nothing is checked)."""
    task, shown = None, 0

    def report(done: int, total: int) -> None:
        nonlocal task, shown
        if task is None:
            task = progress.task(f"checking {total:,} new or changed bundles in {root}", total=total)
        task.advance(done - shown)
        shown = done
        if done >= total:
            task.finish()

    return report


def chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def add_written_bundle(root: Path, folder: Path) -> str | None:
    """Add a bundle `tinybench run` (or an import) has just written in `root` to root's results index, when there
    is one made by this code: the check (≈ 4 ms) is paid once by the run, not by the next build. Returns None when
    it was added or there is no index to keep, else one line saying why not — never raises on a busy, locked,
    corrupt or read-only index: the bundle is on disk, and the next `report build` checks it as usual."""
    deadline = time.monotonic() + RUN_SQL_SECONDS
    try:
        index = ResultIndex.existing(Path(root), deadline=deadline)
        if index is None:
            return None
        try:
            record = index.add(Path(folder))
        finally:
            index.close()
    except (sqlite3.Error, OSError, ValueError) as exc:
        why = str(exc)
        if isinstance(exc, sqlite3.OperationalError) and why == "interrupted":
            if time.monotonic() < deadline:  # a Ctrl-C raised in the progress handler: SQLite cleared it, we do not
                raise KeyboardInterrupt from None
            why = f"it took more than {RUN_SQL_SECONDS:g} s"
        return f"the results index in {root} was not updated ({why}); the next report build checks this bundle"
    if record is None:
        return f"{folder} changed while it was checked; the next report build checks it"
    if record.status != "ok":
        return f"{folder}: the results index rejects this bundle: {record.reason}"
    return None
