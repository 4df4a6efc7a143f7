"""`tinybench report build`: result bundles → a static HTML site (Jinja2, autoescaped), built incrementally.

Pages: `index.html`, `leaderboard/<workload>.html` (+ `.p2`, … beyond `ROWS_PER_PAGE` rows),
`systems.html`, `systems/<id>.html`, `runs/<run-id>.html`, `history/…`, `compare.html`, and
`assets/`. Nothing is fetched from elsewhere, so the site works from `file://` and any static host.

Every bundle is validated against the strict schema and its figures recomputed from its raw files
(:mod:`local_bundles`), once per content: :mod:`result_index` caches the verdict beside the bundles,
keyed by path and content hash. A bundle that fails, a run id used twice, or a run page that cannot
be rendered is listed as rejected on the index with the reason, and the build goes on.

Incremental: :mod:`site_state` remembers what the site shows; a build re-renders the run pages of
new or changed runs, the leaderboard, history and system pages those runs appear on, and the
site-wide pages (index, systems, compare, history index; written only if their bytes change), and
deletes the pages of runs that are gone. `full=True` starts from an empty state and renders every
page: the same code on the same tables, so both write the same bytes. Each page is written to a
temporary file and renamed (a reader sees the old or the new page), run pages first and the pages
linking to them after, removed pages last. Many run pages are rendered by forked workers while this
process makes the system, history and leaderboard pages, which it holds back until the run pages are
written. System pages are paged (:mod:`system_pages`). A lock on the site folder serializes builds.

Page kinds that depend on a workload's results (leaderboards) are listed in `WORKLOAD_PAGES`: a new
one is one more entry (a function of the workload, its slim results, the context and the site).
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tinybench import __version__
from tinybench.errors import TinybenchError
from tinybench.progress import NullProgress, Progress
from tinybench.reports import history as history_pages
from tinybench.reports import cache_json, svg_charts, sww_views, system_pages
from tinybench.reports.formatting import NOT_MEASURED, number, slug
from tinybench.reports.leaderboard import (COLUMNS, ROWS_PER_PAGE, leaderboard, order, page_names, row_from_json,
                                           row_to_json)
from tinybench.reports.result_index import ResultIndex, checking_progress, chunks, slim
from tinybench.reports.results_store import system_id
from tinybench.reports.safe_json import visible_controls
from tinybench.reports.site_pages import (PAGE_NAME, RunRef, asset, environment, forget_folders,  # noqa: F401
                                          page_path, render_run, script_json, start_run_pages, with_nav, write_page)
from tinybench.reports.site_state import SiteState

SITE_MARKER = ".tinybench-site"
FIGURES = [("latency", "latency (ms)"), ("throughput", "throughput (inf/s)"), ("energy", "energy (µJ/inf)"),
           ("power", "power (mW)"), ("accuracy", "accuracy"), ("spinup", "spin-up cold (ms)")]


@dataclass
class SiteReport:
    out: Path
    bundles: int  # results shown
    pages: int  # pages the site has
    seconds: float
    skipped: list[str] = field(default_factory=list)  # "source: reason" of every rejected bundle
    rendered: int = 0  # pages (re)written by this build
    removed: int = 0  # pages deleted by this build
    checked: int = 0  # bundles verified by this build (new or changed content)
    full: bool = False
    notes: list[str] = field(default_factory=list)  # index or state rebuilt, …


@dataclass
class Candidate:
    """A result the site shows: an indexed bundle or a checked submission's result."""

    run_id: str
    source: str
    sha256: str
    workload: str
    system_id: str
    division: str
    ref: RunRef
    summary: str | None = None  # JSON of slim(result); filled from the index for indexed bundles


@dataclass
class Diff:
    """What differs between the results accepted now and what the site shows (state table `shown`)."""

    changed: list[Candidate]  # new, or other content or source
    gone: list[str]  # run ids no longer accepted
    rejected: list[tuple[str, str]]  # (source, reason)
    nav: list[str]  # every accepted workload


_COLUMNS = "run_id, source, sha256, workload, system_id, division, k, path"


PAGES_SHOWN = 2000  # a build that writes at least this many run pages says so while it does
MAX_ATTACHED = 8  # SQLite attaches at most 10 databases; indexes beyond these are copied into temporary tables


def _attached(index: ResultIndex, number: int) -> bool:
    return index.path is not None and number < MAX_ATTACHED


def _diff(db, indexes: list[ResultIndex], extra: list[dict], since: list[int] | None = None,  # noqa: ANN001
          since_extra: tuple[str, ...] = ()) -> Diff:
    """Compare, in SQL (no per-result Python work: 100,000 results cost tens of ms), the accepted results —
    every index's accepted bundles (roots in order, then by path), then submissions' results; the first of a
    run id wins — with `shown`. Indexes on disk are attached to `db` as idx0, idx1, …; others are copied.
    `since` (per index: the generation the last build saw) limits the comparison to what changed after it;
    `since_extra`: the run ids submissions' results had last time."""
    parts, params, rejected, workloads, tables = [], [], [], set(), []
    for number, index in enumerate(indexes):
        table = f"idx{number}.bundles"
        if not _attached(index, number):  # one bundle (its index is in memory), or beyond SQLite's attach limit
            table = f"temp.mem{number}"
            db.execute(f"CREATE TEMP TABLE mem{number}(path, sha256, status, reason, run_id, workload, system_id, "
                       "division)")
            db.executemany(f"INSERT INTO mem{number} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           [(e.path, e.sha256, e.status, e.reason, e.run_id, e.workload, e.system_id, e.division)
                            for e in index.entries()])
        tables.append(table)
        root = str(index.root)
        parts.append(f"SELECT run_id, CASE WHEN path = '.' THEN ? ELSE ? || path END AS source, sha256, workload, "
                     f"system_id, division, {number} AS k, path FROM {table} WHERE status = 'ok'")
        params += [root, root + "/"]
        rejected += [(root if path == "." else f"{root}/{path}", reason or "rejected") for path, reason in
                     db.execute(f"SELECT path, reason FROM {table} WHERE status != 'ok' ORDER BY path")]
        workloads |= {w for (w,) in db.execute(  # distinct workloads by skipping along the (status, workload) index
            f"WITH RECURSIVE w(x) AS (SELECT (SELECT min(workload) FROM {table} WHERE status = 'ok') UNION ALL "
            f"SELECT (SELECT min(workload) FROM {table} WHERE status = 'ok' AND workload > x) FROM w "
            "WHERE x IS NOT NULL) SELECT x FROM w WHERE x IS NOT NULL")}
    db.execute(f"CREATE TEMP TABLE extra({_COLUMNS})")
    results = {}
    for number, result in enumerate(extra):
        text = json.dumps(result, sort_keys=True, separators=(",", ":"), default=str)
        source = result.get("_bundle") or result.get("origin", "submission")
        db.execute("INSERT INTO extra VALUES (?, ?, ?, ?, ?, ?, ?, '')", (
            result["run_id"], source, hashlib.sha256(text.encode()).hexdigest(), result["workload"]["id"],
            system_id(result), result["model"]["division"], 1_000_000 + number))
        results[1_000_000 + number] = result
        workloads.add(result["workload"]["id"])
    union = " UNION ALL ".join(parts + [f"SELECT {_COLUMNS} FROM temp.extra"])
    # a run id used twice: the first wins, the others are rejected (rare: resolved here in Python)
    winners, twice = {}, _run_ids_used_twice(db, tables)
    for row in sorted((row for chunk in chunks(sorted(twice), 400) for row in db.execute(
            f"SELECT {_COLUMNS} FROM ({union}) WHERE run_id IN ({','.join('?' * len(chunk))})", [*params, *chunk])),
            key=lambda r: (r[6], r[7])):
        if row[0] in winners:
            rejected.append((row[1], f"run id {row[0]} is already used by {winners[row[0]][1]}"))
        else:
            winners[row[0]] = row
    def candidate(row: tuple) -> Candidate:
        k, path = row[6], row[7]
        if k >= 1_000_000:
            result = results[k]
            return Candidate(*row[:6], (row[0], None, None, None, result), cache_json.dumps(slim(result)))
        index = indexes[k]
        in_memory = index.path is None
        return Candidate(*row[:6], (row[0], None if in_memory else str(index.path), path, str(index.root),
                                    index.result(path) if in_memory else None))

    if since is None:  # everything compared, set-wise
        changed = [candidate(row) for row in db.execute(
            f"SELECT u.run_id, u.source, u.sha256, u.workload, u.system_id, u.division, u.k, u.path "
            f"FROM ({union}) AS u LEFT JOIN main.shown AS s ON s.run_id = u.run_id "
            "WHERE s.run_id IS NULL OR s.sha256 != u.sha256 OR s.source != u.source", params)
            if not (row[0] in winners and winners[row[0]] != row)]
        accepted = " ".join(f"AND NOT EXISTS (SELECT 1 FROM {t} AS b WHERE b.run_id = s.run_id AND b.status = 'ok')"
                            for t in tables)
        gone = [r for (r,) in db.execute(f"SELECT run_id FROM main.shown AS s WHERE 1 {accepted} "
                                         "AND NOT EXISTS (SELECT 1 FROM temp.extra AS e WHERE e.run_id = s.run_id)")]
        return Diff(changed, gone, rejected, sorted(workloads))
    # only the run ids the indexes wrote or dropped since the last build (their `written` generation), and the
    # submissions' results of now and of last time, are looked at again
    again = {r for (r,) in db.execute("SELECT run_id FROM temp.extra")} | set(since_extra)
    for number, table in enumerate(tables):
        for sql in (f"SELECT run_id FROM {table} WHERE written > ? AND run_id IS NOT NULL",
                    f"SELECT run_id FROM idx{number}.removed WHERE stamped > ? AND run_id IS NOT NULL"):
            again |= {r for (r,) in db.execute(sql, (since[number],))}
    changed, gone = [], []
    for chunk in chunks(sorted(again), 400):
        marks = ",".join("?" * len(chunk))
        providers: dict[str, tuple] = {}
        for row in sorted(db.execute(f"SELECT {_COLUMNS} FROM ({union}) WHERE run_id IN ({marks})",
                                     [*params, *chunk]).fetchall(), key=lambda r: (r[6], r[7])):
            providers.setdefault(row[0], row)
        shown = {r[0]: r[1:] for r in db.execute(
            f"SELECT run_id, source, sha256 FROM main.shown WHERE run_id IN ({marks})", chunk)}
        for run_id in chunk:
            row = providers.get(run_id)
            if row is None:
                if run_id in shown:
                    gone.append(run_id)
            elif shown.get(run_id) != (row[1], row[2]):
                changed.append(candidate(row))
    return Diff(changed, gone, rejected, sorted(workloads))


def _run_ids_used_twice(db, tables: list[str]) -> set[str]:  # noqa: ANN001
    """Run ids accepted more than once: within one index (a scan of its (run_id, status) index) or in two
    sources (each of one looked up in the other's index)."""
    twice = {r for (r,) in db.execute("SELECT run_id FROM temp.extra GROUP BY run_id HAVING count(*) > 1")}
    for table in tables:
        twice |= {r for (r,) in db.execute(f"SELECT run_id FROM {table} WHERE +status = 'ok' GROUP BY run_id "
                                           "HAVING count(*) > 1")}
    accepted = {t: "AND {}.status = 'ok'" for t in tables} | {"temp.extra": ""}
    sources = [*tables, "temp.extra"]
    for number, outer in enumerate(sources):
        for inner in sources[:number]:
            twice |= {r for (r,) in db.execute(
                f"SELECT e.run_id FROM {outer} AS e WHERE 1 {accepted[outer].format('e')} AND EXISTS "
                f"(SELECT 1 FROM {inner} AS x WHERE x.run_id = e.run_id {accepted[inner].format('x')})")}
    return twice


def build_site(roots: Iterable[Path], out: Path, extra_results: list[dict] | None = None,
               history: list[dict] | None = None, full: bool = False, progress: Progress | None = None) -> SiteReport:
    """Bring the site in `out` up to date with the bundles under `roots` (and checked submissions' results).
    `full`: every bundle's stamp compared (not only the sweep's) and every page rendered again. `progress` shows
    the long parts: checking new bundles, and writing many run pages."""
    started = time.perf_counter()
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not (out / SITE_MARKER).exists():
        raise TinybenchError(f"{out} exists and is not a tinybench site", hint="choose an empty or new --out folder")
    out.mkdir(parents=True, exist_ok=True)
    if not (out / SITE_MARKER).exists():  # claimed before its lock is made: a first build that fails (Ctrl-C, a killed
        (out / SITE_MARKER).write_text("built by tinybench\n")  # worker) left a folder every later build refused
    with open(out / f"{SITE_MARKER}.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        forget_folders()
        try:
            report = _build(list(roots), out, extra_results or [], history or [], full, progress or NullProgress())
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    report.seconds = time.perf_counter() - started
    return report


def _build(roots: list[Path], out: Path, extra: list[dict], history: list[dict], full: bool,
           progress: Progress) -> SiteReport:
    notes, checked = [], 0
    indexes = [ResultIndex(Path(root).resolve()) for root in roots]  # as the site state remembers them
    try:
        for index in indexes:
            synced = index.sync(checking_progress(progress, index.root), thorough=full)
            notes += synced.notes
            checked += synced.checked
            _export_snapshot(index, synced.checked)
        attach = [(f"idx{n}", str(index.path)) for n, index in enumerate(indexes) if _attached(index, n)]
        state = SiteState(out, full, attach)
        notes += state.notes
        collecting = gc.isenabled()
        gc.disable()  # a full build holds 100,000 summaries: each collection walked them all (~3 s of CPU at 100k);
        try:  # the pages are made without garbage cycles worth collecting (run page workers collect their own)
            diff = _diff(state.conn, indexes, extra, *_since(state, indexes))
            if not state.fresh and state.get("nav") != json.dumps(diff.nav):  # every page's menu changes
                state.abandon()
                state = SiteState(out, True, attach)
                diff = _diff(state.conn, indexes, extra)
            report = _Builder(out, state, indexes, diff.nav, progress).run(diff, history)
            _remember_since(state, indexes, extra)
            (out / SITE_MARKER).write_text("built by tinybench\n")
            state.commit()
        except BaseException:
            state.abandon()
            raise
        finally:
            if collecting:
                gc.enable()
    finally:
        for index in indexes:
            index.close()
    report.notes, report.checked = notes, checked
    return report


def _export_snapshot(index: ResultIndex, checked: int) -> None:
    """Make the export's Parquet snapshot beside the index when it is missing or this sync changed more than
    SNAPSHOT_AGAIN of the bundles (a first build): the next `report export` then reads it instead of making it
    (~3 s at 100,000 bundles). Small changes leave it alone; the export patches it with the rows written since."""
    from tinybench.reports import results_store

    if index.path is None:
        return
    (count,) = index.conn.execute("SELECT count(*) FROM bundles").fetchone()
    missing = not index.path.with_name(results_store.SNAPSHOT).exists()
    if count and (missing or checked > results_store.SNAPSHOT_AGAIN * count):
        results_store._root_frame(index)  # noqa: SLF001 - the export's own snapshot logic, reused as is


def _identity(index: ResultIndex) -> str:
    """An index's file and the mark of its start: one started over (deleted, made by other code or for another
    folder) counts its generations from 1 again, so what an earlier build saw of it says nothing."""
    return f"{index.path}#{index.epoch() if index.path is not None else ''}"


def _since(state: SiteState, indexes: list[ResultIndex]) -> tuple[list[int] | None, tuple[str, ...]]:
    """The generations of each index the last build saw, or None (compare everything) when it saw other roots, or
    none, or an index is in memory."""
    seen = json.loads(state.get("since") or "null")
    roots = [_identity(index) for index in indexes]
    if state.fresh or not seen or seen["roots"] != roots or not all(_attached(ix, n) for n, ix in enumerate(indexes)):
        return None, ()
    if not all(seen["generations"]):
        return None, ()
    return seen["generations"], tuple(seen["extra"])


def _remember_since(state: SiteState, indexes: list[ResultIndex], extra: list[dict]) -> None:
    """One generation less than the newest: a sync still writing that generation in another process is seen
    again next time (a superset is harmless: unchanged runs compare equal)."""
    generations = []
    for number, index in enumerate(indexes):
        if not _attached(index, number):
            generations.append(0)
            continue
        (newest,) = state.conn.execute(f"SELECT max(coalesce((SELECT max(stamped) FROM idx{number}.bundles), 0), "
                                       f"coalesce((SELECT max(stamped) FROM idx{number}.removed), 0))").fetchone()
        generations.append(max(newest - 1, 0))
    state.put("since", json.dumps({"roots": [_identity(index) for index in indexes], "generations": generations,
                                   "extra": sorted(r["run_id"] for r in extra)}))


class _Builder:
    def __init__(self, out: Path, state: SiteState, indexes: list[ResultIndex], nav: list[str],
                 progress: Progress | None = None) -> None:
        self.progress = progress or NullProgress()
        self.out, self.state, self.db, self.indexes = out, state, state.conn, indexes
        self.common = {"version": __version__, "nav_workloads": nav, "generated": ""}
        self.sub = with_nav(dict(self.common, root="../", standalone=False))
        self.rendered = self.removed = 0
        self.deferred: list[tuple[Path, str | None, bool]] | None = None  # pages held back (see run)
        self.by_system: dict[str, list[dict]] | None = None  # a full build's slim results per system (_remember)

    def write(self, path: Path, html: str, only_if_changed: bool = False) -> None:
        if self.deferred is not None:
            self.deferred.append((path, html, only_if_changed))
        else:
            self.rendered += write_page(path, html, only_if_changed)

    def delete(self, path: Path) -> None:
        if self.deferred is not None:
            self.deferred.append((path, None, False))
        elif path.exists():
            path.unlink()
            self.removed += 1

    def _flush(self) -> None:
        """Write (and delete) the pages kept while the run pages were being rendered, in their order."""
        done, self.deferred = self.deferred or [], None
        for path, html, only_if_changed in done:
            if html is None:
                self.delete(path)
            else:
                self.write(path, html, only_if_changed)

    def run(self, diff: Diff, history: list[dict]) -> SiteReport:
        self.state.put("nav", json.dumps(self.common["nav_workloads"]))
        changed, gone = diff.changed, diff.gone
        old, moved = {}, {}  # moved: system → the smallest (created_utc, run_id) added, changed or removed there
        for chunk in chunks([c.run_id for c in changed] + gone, 500):
            for run_id, workload, system, division, created in self.db.execute(
                    "SELECT run_id, workload, system_id, division, created_utc FROM shown "
                    f"WHERE run_id IN ({','.join('?' * len(chunk))})", chunk):
                old[run_id] = (workload, system, division)
                moved[system] = min(moved.get(system, (created, run_id)), (created, run_id))
        groups = set(old.values()) | {(c.workload, c.system_id, c.division) for c in changed}
        if self.state.fresh:
            self._assets()
        # the run pages are rendered by worker processes while this one makes the pages that link to them, held back
        # until the run pages are written (links lead to pages that exist); runs whose page fails are then marked
        # and their systems, series and boards made again
        waiting = start_run_pages(self.out, [c.ref for c in changed], self.sub)
        pages = self.progress.task(f"writing {len(changed):,} run pages and the pages that link to them") \
            if len(changed) >= PAGES_SHOWN else None
        self.deferred = []
        try:
            self._remember(changed, {})
            if len(changed) > 1000:  # the query planner's statistics, before the many per-system queries below
                self.db.execute("PRAGMA analysis_limit=1000")
                self.db.execute("ANALYZE main")
            self.db.executemany("DELETE FROM shown WHERE run_id = ?", [(r,) for r in gone])
            for table in ("summaries", "descriptions"):
                self.db.executemany(f"DELETE FROM {table} WHERE run_id = ?", [(r,) for r in gone])
            self._groups(groups, self._moved(changed, moved))
            if self.state.fresh:  # while the run pages are made (their deletions are held back like the pages)
                self._delete_strays()
        except BaseException:
            waiting(True)
            raise
        failed, written = waiting()
        if pages is not None:
            pages.finish()
        self._flush()
        self.rendered += written
        if failed:
            self.db.executemany("UPDATE shown SET status = 'failed', reason = ? WHERE run_id = ?",
                                [(why, run_id) for run_id, why in failed.items()])
            broken = [c for c in changed if c.run_id in failed]
            self._groups({(c.workload, c.system_id, c.division) for c in broken}, self._moved(broken, {}))
        rejected = diff.rejected + [(f"{source} ({run_id})", f"its page cannot be rendered: {why}") for run_id, source, why in
                     self.db.execute("SELECT run_id, source, reason FROM shown WHERE status = 'failed' ORDER BY run_id")]
        inputs = hashlib.sha256(json.dumps([rejected, history], default=str).encode()).hexdigest()
        if self.state.fresh or changed or gone or self.state.get("site_pages") != inputs:  # else: as they are
            self._site_pages(rejected, history)
            self.state.put("site_pages", inputs)
        for run_id in gone:
            self.delete(page_path(self.out, "runs", run_id))
        (shown,) = self.db.execute("SELECT count(*) FROM shown WHERE status = 'ok'").fetchone()
        (systems,) = self.db.execute("SELECT count(*) FROM systems").fetchone()
        (series,) = self.db.execute("SELECT count(*) FROM series").fetchone()
        boards = sum(len(page_names(w, n, ROWS_PER_PAGE)) for w, n in self.db.execute(
            "SELECT workload, count(*) FROM boards GROUP BY workload"))
        pages = shown + systems + series + boards + 4  # + index, systems, compare, history index
        return SiteReport(self.out, shown, pages, 0.0, [f"{a}: {b}" for a, b in rejected], self.rendered,
                          self.removed, full=self.state.fresh)

    def _moved(self, runs: list[Candidate], moved: dict) -> dict[str, tuple[str, str]]:
        """`moved` with, per system, the smallest (created_utc, run_id) of `runs` as `shown` has them."""
        moved = dict(moved)
        for chunk in chunks([c.run_id for c in runs], 500):
            for run_id, system, created in self.db.execute(
                    f"SELECT run_id, system_id, created_utc FROM shown WHERE run_id IN ({','.join('?' * len(chunk))})",
                    chunk):
                moved[system] = min(moved.get(system, (created, run_id)), (created, run_id))
        return moved

    def _groups(self, groups: set[tuple[str, str, str]], moved: dict[str, tuple[str, str]]) -> None:
        """The system pages, history series, leaderboard rows and workload pages of (workload, system, division)."""
        for system in sorted({g[1] for g in groups}):
            # a full build shows every run of the system on its pages and series: they are read once; otherwise
            # only the newest page(s) and the changed series are made, and only their runs are read
            every = self._every_run(system) if self.state.fresh else None
            self._system(system, moved.get(system), every)
            for workload in sorted({g[0] for g in groups if g[1] == system}):
                runs = ([r for r in every if r["workload"]["id"] == workload] if every is not None else
                        self.summaries("system_id = ? AND workload = ?", (system, workload)))
                self._series(system, workload, runs)
                for division in sorted({g[2] for g in groups if g[:2] == (workload, system)}):
                    self._board_row(workload, system, division, [r for r in runs if r["model"]["division"] == division])
        for workload in sorted({g[0] for g in groups}):
            for render in WORKLOAD_PAGES:
                render(self, workload)

    def _assets(self) -> None:
        for name in ("site.css", "site.js"):
            self.write(self.out / "assets" / name, asset(name), only_if_changed=True)

    def _remember(self, changed: list[Candidate], failed: dict[str, str]) -> None:
        """Record the changed runs in `shown`, with their slim summaries (from the index, or made here)."""
        by_index: dict[str, list[Candidate]] = {}
        for c in changed:
            if c.summary is None:
                by_index.setdefault(c.ref[1] or c.ref[3], []).append(c)
        for index in self.indexes:
            key = str(index.path) if index.path is not None else str(index.root)
            wanted = by_index.get(key, [])
            found = index.summaries([c.ref[2] for c in wanted])
            for c in wanted:
                c.summary = found[c.ref[2]]
        shown, summaries, described = [], [], []
        # a full build keeps them by system for its pages (the same values as read back from `summaries`)
        keep = {} if self.state.fresh and not failed and self.by_system is None else None
        texts = {}
        for c in changed:  # the workload's description (1 kB) apart, once per text: pages read the newest run's only
            summary = cache_json.loads(c.summary)
            text = cache_json.dumps(summary["workload"])
            digest = texts.setdefault(text, hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest())
            described.append((c.run_id, digest))
            summary["workload"] = {"id": summary["workload"]["id"]}
            summaries.append((c.run_id, cache_json.dumps(summary)))
            if keep is not None and c.run_id not in failed:
                keep.setdefault(c.system_id, []).append(summary)
            shown.append((c.run_id, c.source, c.sha256, "failed" if c.run_id in failed else "ok",
                          failed.get(c.run_id), c.workload, c.system_id, c.division, summary.get("created_utc", "")))
        bulk = self.state.fresh and len(shown) > 5000  # a full build: its five indexes made after the rows
        with self.state.indexes_made_after("shown") if bulk else contextlib.nullcontext():
            self.db.executemany("INSERT OR REPLACE INTO shown VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", shown)
        self.db.executemany("INSERT OR REPLACE INTO summaries VALUES (?, ?)", summaries)
        self.db.executemany("INSERT OR REPLACE INTO descriptions VALUES (?, ?)", described)
        self.db.executemany("INSERT OR IGNORE INTO workloads VALUES (?, ?)", [(d, t) for t, d in texts.items()])
        if keep is not None:
            self.by_system = keep

    def _every_run(self, system: str) -> list[dict]:
        """Every shown run of `system`, oldest first (ties by run id): kept from `_remember` in a full build (all
        its runs were just remembered, none failed yet), else read back."""
        kept = (self.by_system or {}).pop(system, None)
        if kept is None:
            return self.summaries("system_id = ?", (system,))
        return sorted(kept, key=lambda r: (r.get("created_utc", ""), r["run_id"]))

    def summaries(self, where: str, params: tuple, limit: str = "") -> list[dict]:
        """Slim results of the shown runs matching `where`, oldest first (ties by run id); `limit`: LIMIT … OFFSET …"""
        return [cache_json.loads(s) for (s,) in self.db.execute(
            "SELECT m.summary FROM shown AS s JOIN summaries AS m USING (run_id) "
            f"WHERE s.status = 'ok' AND {where} ORDER BY s.created_utc, s.run_id {limit}", params)]

    def _board_row(self, workload: str, system: str, division: str, summaries: list[dict]) -> None:
        """The leaderboard row of a workload × system × division, from its runs' slim results (oldest first)."""
        rows = (sww_views.leaderboard(summaries) if workload == sww_views.WORKLOAD  # its own columns
                else leaderboard(summaries, workload))
        self.db.execute("DELETE FROM boards WHERE workload = ? AND system_id = ? AND division = ?",
                        (workload, system, division))
        if rows:
            self.db.execute("INSERT INTO boards VALUES (?, ?, ?, ?)",
                            (workload, system, division, json.dumps(row_to_json(rows[0]))))

    def board(self, workload: str) -> list:
        rows = [row_from_json(json.loads(r)) for (r,) in self.db.execute(
            "SELECT row FROM boards WHERE workload = ?", (workload,))]
        return sorted(rows, key=order)

    def workload_info(self, workload: str) -> dict:
        """The workload's description as its newest run states it (deterministic: ties by run id)."""
        row = self.db.execute("SELECT w.workload FROM shown AS s JOIN descriptions AS d USING (run_id) "
                              "JOIN workloads AS w ON w.digest = d.digest "
                              "WHERE s.status = 'ok' AND s.workload = ? "
                              "ORDER BY s.created_utc DESC, s.run_id DESC LIMIT 1", (workload,)).fetchone()
        return cache_json.loads(row[0]) if row else {"id": workload}

    def _series(self, system: str, workload: str, summaries: list[dict]) -> None:
        found = history_pages.build_series(summaries)
        path = self.out / "history" / f"{slug(f'{system}|{workload}')}.html"
        self.db.execute("DELETE FROM series WHERE system_id = ? AND workload = ?", (system, workload))
        if not found:
            self.delete(path)
            return
        series = found[0]
        self.write(self.out / "history" / f"{series.slug}.html", history_pages.render_series(series, self.sub))
        info = {"system": series.system, "workload": series.workload, "slug": series.slug,
                "latency_runs": series.latency_runs, "latest_latency": series.latest_latency,
                "regressions": series.regressions}
        self.db.execute("INSERT INTO series VALUES (?, ?, ?)", (system, workload, json.dumps(info)))

    def _system(self, system: str, moved: tuple[str, str] | None, every: list[dict] | None) -> None:
        """The system's pages (system_pages): those from the chunk holding `moved` (the oldest run key added,
        changed or removed) on, or all when the number of pages changed; stale archive pages are deleted. `every`:
        all its runs (oldest first) when they were read already, else each page's runs are read."""
        if every is None:
            (total,) = self.db.execute("SELECT count(*) FROM shown WHERE system_id = ? AND status = 'ok'",
                                       (system,)).fetchone()
        else:
            total = len(every)
        before = self.db.execute("SELECT info FROM systems WHERE system_id = ?", (system,)).fetchone()
        had = json.loads(before[0]).get("pages", 1) if before else 0
        self.db.execute("DELETE FROM systems WHERE system_id = ?", (system,))
        name, pages = slug(system), system_pages.page_count(total)
        for chunk in range(max(pages - 1, 0), had - 1):  # archives of chunks that are gone or now the main page
            self.delete(page_path(self.out, "systems", system_pages.page_name(name, chunk, had)))
        if not total:
            self.delete(page_path(self.out, "systems", name))
            return
        first = 0
        if had and moved is not None:
            (earlier,) = self.db.execute(
                "SELECT count(*) FROM shown WHERE system_id = ? AND status = 'ok' AND "
                "(created_utc < ? OR (created_utc = ? AND run_id < ?))", (system, moved[0], moved[0], moved[1])).fetchone()
            first = min(earlier // system_pages.RUNS_PER_PAGE, pages - 1)
            if had != pages:  # the last archive page's link to the newer one changed
                first = max(0, min(first, pages - 2, had - 2))
        template = environment().get_template("system.html")
        newest = None
        for chunk in range(pages - 1, first - 1, -1):
            start = chunk * system_pages.RUNS_PER_PAGE
            runs = (every[start:start + system_pages.RUNS_PER_PAGE] if every is not None else self.summaries(
                "system_id = ?", (system,), f"LIMIT {system_pages.RUNS_PER_PAGE} OFFSET {start}"))
            newest = newest or runs[-1]
            self.write(page_path(self.out, "systems", system_pages.page_name(name, chunk, pages)),
                       system_pages.render(template, self.sub, name, chunk, pages, runs, newest, total))
        info = {k: v for k, v in system_pages.facts(newest).items() if k in ("slug", "name", "target", "processor",
                                                                             "runtime")}
        self.db.execute("INSERT INTO systems VALUES (?, ?)", (system, json.dumps(dict(info, runs=total, pages=pages))))

    def _site_pages(self, rejected: list[tuple[str, str]], history: list[dict]) -> None:
        """index, systems, compare and history index: written when their bytes change."""
        env = environment()
        top = with_nav(dict(self.common, root="", standalone=False))
        systems = sorted((json.loads(i) for (i,) in self.db.execute("SELECT info FROM systems")),
                         key=lambda s: (s["name"].lower(), s["name"], s["slug"]))
        listed = [dict(s, runs=range(s["runs"])) for s in systems]  # the template counts runs
        self.write(self.out / "systems.html", env.get_template("systems.html").render(top, systems=listed), True)
        boards = {w: self.board(w) for w in self.common["nav_workloads"]}
        self.write(self.out / "compare.html", env.get_template("compare.html").render(
            top, data_json=script_json(compare_data(boards, systems))), True)
        lines = sorted((json.loads(i) for (i,) in self.db.execute("SELECT info FROM series")),
                       key=lambda s: (s["system"].lower(), s["workload"], s["system"], s["slug"]))
        self.write(self.out / "history" / "index.html", history_pages.render_index(
            [_Line(**line) for line in lines], self.sub), True)
        summary = [dict(self.workload_info(w), id=w, systems=len(rows), best_latency=_best(rows, "latency"),
                        best_energy=_best(rows, "energy")) for w, rows in boards.items()]
        (count, newest) = self.db.execute("SELECT count(*), max(created_utc) FROM shown WHERE status = 'ok'").fetchone()
        index = env.get_template("index.html").render(
            dict(top, generated=f"newest result {newest}" if newest else ""), workloads=summary, n_results=count,
            n_systems=len(systems), rejected=visible_controls(rejected), history=visible_controls(history))
        self.write(self.out / "index.html", index, True)

    def _delete_strays(self) -> None:
        """After a full build: pages no current run, system, series or board page has (an older site's). Names are
        compared as text (100,000 run pages: no path objects)."""
        keep = {"index.html", "systems.html", "compare.html", "history/index.html"}
        keep |= {f"runs/{r}.html" for (r,) in self.db.execute("SELECT run_id FROM shown")}
        for (info,) in self.db.execute("SELECT info FROM systems"):
            info = json.loads(info)
            keep |= {f"systems/{system_pages.page_name(info['slug'], c, info['pages'])}.html"
                     for c in range(info["pages"])}
        keep |= {f"history/{json.loads(i)['slug']}.html" for (i,) in self.db.execute("SELECT info FROM series")}
        boards = set(self.common["nav_workloads"])
        for folder, dirs, files in os.walk(self.out):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            rel = os.path.relpath(folder, self.out)
            prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
            for name in files:
                page = prefix + name
                if not name.endswith(".html") or name.startswith(".") or page in keep:
                    continue
                if prefix == "leaderboard/" and name.split(".")[0] in boards:
                    continue
                self.delete(self.out / page)


@dataclass
class _Line:
    system: str
    workload: str
    slug: str
    latency_runs: int
    latest_latency: float | None
    regressions: int


def leaderboard_pages(builder: _Builder, workload: str) -> None:
    """leaderboard/<workload>.html (and .p2, … when there are more than ROWS_PER_PAGE rows), from the stored rows."""
    rows = builder.board(workload)
    info = builder.workload_info(workload)
    if workload == sww_views.WORKLOAD:  # sww01: detections, duty cycle and power (a board has one row per system)
        if rows:
            builder.write(page_path(builder.out, "leaderboard", workload),
                          sww_views.render_board(environment(), builder.sub, info, rows))
        else:
            builder.delete(page_path(builder.out, "leaderboard", workload))
        return
    names = page_names(workload, len(rows), ROWS_PER_PAGE)
    points = [(r.cells["latency"].value, r.cells["accuracy"].value, r.system) for r in rows
              if r.cells["latency"].value is not None and r.cells["accuracy"].value is not None]
    quality = info.get("quality_target", {})
    scatter = svg_charts.scatter(points, "latency (ms)", info.get("metric", "accuracy"),
                                 f"{workload}: accuracy vs latency", quality.get("minimum")) if points else ""
    template = environment().get_template("leaderboard.html")
    for number_, name in enumerate(names, 1):
        part = rows[(number_ - 1) * ROWS_PER_PAGE:number_ * ROWS_PER_PAGE]
        html = template.render(builder.sub, workload=info, rows=part, columns=COLUMNS,
                               scatter=scatter if number_ == 1 else "",
                               quality=f"{quality.get('metric', '')} ≥ {quality.get('minimum', '')}",
                               pages=names, page=number_, total=len(rows),
                               first=(number_ - 1) * ROWS_PER_PAGE + 1, last=(number_ - 1) * ROWS_PER_PAGE + len(part))
        builder.write(page_path(builder.out, "leaderboard", name), html)
    extra = len(names) + 1
    while (stale := page_path(builder.out, "leaderboard", f"{workload}.p{extra}")).exists():
        builder.delete(stale)
        extra += 1
    if not rows:
        builder.delete(page_path(builder.out, "leaderboard", workload))


# Pages made per workload from its results; one more kind is one more entry: f(builder, workload_id).
WORKLOAD_PAGES: list[Callable[[_Builder, str], None]] = [leaderboard_pages]


def _best(rows: list, key: str) -> str:
    values = [r.cells[key].value for r in rows if r.cells[key].value is not None]
    return number(min(values)) if values else NOT_MEASURED


def compare_data(boards: dict, systems: list[dict]) -> dict:
    names = {s["slug"]: s["name"] for s in systems}
    by_system: dict[str, dict] = {}
    for workload, rows in boards.items():
        for row in rows:
            entry = by_system.setdefault(row.system_slug, {"slug": row.system_slug, "name": names.get(
                row.system_slug, row.system), "results": {}})
            figures = entry["results"].setdefault(workload, {})
            for key, _ in FIGURES:
                cell = row.cells[key]
                if cell.value is not None and key not in figures:
                    figures[key] = {"value": cell.value, "text": cell.text}
    return {"systems": sorted(by_system.values(), key=lambda s: (s["name"].lower(), s["slug"])),
            "workloads": sorted(boards), "figures": [{"key": k, "label": label} for k, label in FIGURES]}
