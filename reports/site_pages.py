"""Rendering the site's pages: Jinja2 environment, safe page paths, atomic page writes, and the run pages
(rendered by forked workers straight from the results index, as many as there are cores)."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import re
import sqlite3
import stat
import zlib
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from tinybench import __version__
from tinybench.errors import TinybenchError
from tinybench.reports import cache_json
from tinybench.reports.run_view import run_view

PAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,149}\Z")  # run ids and workload ids (the schema's patterns)
RENDER_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError, ZeroDivisionError, OverflowError)


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _PageEnvironment(Environment):
    """Jinja's environment, with `x.name` on a plain dict looked up as Jinja does — a dict method of that name
    first, else the key — without raising and catching an AttributeError each time (a run page reads ~100
    fields: a fifth of its rendering time)."""

    def getattr(self, obj: object, attribute: str) -> object:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


@lru_cache(maxsize=1)
def environment() -> Environment:
    return _PageEnvironment(loader=PackageLoader("tinybench.reports", "templates"),
                            autoescape=select_autoescape(["html"]), trim_blocks=False, lstrip_blocks=False,
                            auto_reload=False)  # the package's templates do not change under a build (2 stats a page)


def with_nav(context: dict) -> dict:
    """`context` with its menu rendered once (`nav_html`, for its `root` and `nav_workloads`): base.html would
    otherwise render the same menu again for each of 100,000 run pages (~20 escapes each)."""
    return dict(context, nav_html=Markup(environment().get_template("nav.html").render(context)))


def asset(name: str) -> str:
    return resources.files("tinybench.reports").joinpath(f"static/{name}").read_text(encoding="utf-8")


def script_json(data: object) -> Markup:
    """JSON that is safe inside a <script> element (no '<', '>' or '&' can close it)."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def page_path(root: Path, folder: str, name: str) -> Path:
    """`root/folder/name.html` for a validated id, refusing anything that could leave `root`. A name cannot
    hold a separator or start with a dot, so only `root/folder` could lead elsewhere (a symbolic link): that is
    resolved once per folder (a build writes 100,000 run pages into one)."""
    return Path(page_file(root, folder, name))


def page_file(root: Path | str, folder: str, name: str) -> str:
    """page_path as text (joined as text: no path objects for 100,000 run pages)."""
    if not PAGE_NAME.match(name):
        raise ValueError(f"unsafe page name {name[:80]!r}")
    root = str(root)
    if not _inside(root, folder):
        raise ValueError(f"page {name[:80]!r} would leave the site folder")
    return os.path.join(root, folder, f"{name}.html")


@lru_cache(maxsize=64)
def _inside(root: str, folder: str) -> bool:  # (forgotten at the start of each build: a folder may have changed)
    real = os.path.realpath(root)
    return os.path.commonpath([os.path.realpath(os.path.join(root, folder)), real]) == real


def forget_folders() -> None:
    """Resolve the site's folders again (a build starts with this: between two builds in one process, a folder
    may have been replaced by a symbolic link)."""
    _inside.cache_clear()


def write_page(path: Path | str, text: str, only_if_changed: bool = False) -> bool:
    """Write a page atomically (a hidden temporary file, then os.replace): a reader sees the old page or the new
    one, never half of one. No fsync: the site is rebuilt from the bundles if a crash loses it. Returns whether
    the file was written (`only_if_changed` leaves an identical page alone). Something in the way (a file where
    a folder goes, a folder where a page goes) is the user's to remove: a TinybenchError."""
    try:
        return _write_page(path, text.encode("utf-8"), only_if_changed)
    except (IsADirectoryError, NotADirectoryError, FileExistsError) as exc:
        raise TinybenchError(f"{path}: cannot be written ({exc.strerror})",
                             hint="the site folder is damaged: remove what is in the way, or build into a new "
                                  "--out folder") from None


def _write_page(path: Path | str, data: bytes, only_if_changed: bool) -> bool:
    if only_if_changed:
        try:
            info = os.lstat(path)  # a link (to a file outside the site, same bytes today) is replaced all the same
            if stat.S_ISREG(info.st_mode) and info.st_nlink == 1 and info.st_size == len(data) \
                    and _read(path) == data:
                return False
        except FileNotFoundError:
            pass
    folder, name = os.path.split(path)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
    try:
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        except FileNotFoundError:  # the folder is made on first use only (one stat less per page)
            os.makedirs(folder, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return True


def _read(path: Path | str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def render_run(result: dict, standalone: bool = False, context: dict | None = None) -> str:
    """One run's page; `standalone` inlines the CSS and JS (the per-run report of `tinybench run --report`)."""
    context = dict(context or {"root": "../", "version": __version__, "nav_workloads": []}, standalone=standalone)
    if standalone:
        context.update(inline_css=Markup(asset("site.css")), inline_js=Markup(asset("site.js")))
    return environment().get_template("run.html").render(context, v=run_view(result))


# A run to render: (run id, index file or None, bundle path relative to its root, root, or the result itself)
RunRef = tuple[str, str | None, str | None, str | None, dict | None]
_FORKED: tuple[list[RunRef], Path, dict] | None = None  # what forked workers render from
FETCH_BATCH = 100  # run pages whose results are read from the index in one query


def _payloads(refs: list[RunRef], connections: dict[str, sqlite3.Connection]) -> dict[tuple[str, str], bytes]:
    """(index file, bundle path) → the stored result (zlib JSON) of the refs read from an index: one query per
    index and batch instead of one per page."""
    wanted: dict[str, list[str]] = {}
    for _, index_file, rel, _, result in refs:
        if result is None:
            wanted.setdefault(index_file, []).append(rel)
    found = {}
    for index_file, paths in wanted.items():
        conn = connections.get(index_file)
        if conn is None:
            conn = connections[index_file] = sqlite3.connect(f"file:{index_file}?mode=ro", uri=True, timeout=60)
        found.update(((index_file, rel), blob) for rel, blob in conn.execute(
            f"SELECT path, result FROM payloads WHERE path IN ({','.join('?' * len(paths))})", paths))
    return found


def _result_of(ref: RunRef, payloads: dict[tuple[str, str], bytes]) -> dict:
    run_id, index_file, rel, root, result = ref
    if result is not None:
        return result
    blob = payloads.get((index_file, rel))
    if blob is None:
        raise KeyError(f"{rel} is no longer in the results index")
    result = cache_json.loads(zlib.decompress(blob))
    result["_bundle"] = os.path.join(root, rel) if rel != "." else root  # (an index's paths are plain: no '.', '..')
    return result


def _render_runs(bounds: tuple[int, int]) -> tuple[dict[str, str], int]:
    """Render refs[bounds]; returns run id → why for the pages that could not be rendered, and how many pages were
    written (a page whose file already has its bytes is left alone: a `--full` build that repairs nothing writes
    nothing)."""
    refs, root, context = _FORKED
    template = environment().get_template("run.html")
    failed, connections, written = {}, {}, 0
    try:
        for start in range(bounds[0], bounds[1], FETCH_BATCH):
            batch = refs[start:min(start + FETCH_BATCH, bounds[1])]
            payloads = _payloads(batch, connections)
            for ref in batch:
                try:
                    html = template.render(context, v=run_view(_result_of(ref, payloads)))
                    written += write_page(page_file(root, "runs", ref[0]), html, only_if_changed=True)
                except RENDER_ERRORS as exc:
                    failed[ref[0]] = f"{type(exc).__name__}: {str(exc)[:200]}"
    finally:
        for conn in connections.values():
            conn.close()
    return failed, written


def _worker_memory() -> None:
    """A worker's garbage collector ignores what it inherited from the build (frozen: never scanned, so never
    copied page by page on write) and collects what it makes itself (the build runs with it switched off)."""
    gc.freeze()
    gc.enable()


def start_run_pages(root: Path, refs: list[RunRef], context: dict) -> Callable[[bool], tuple[dict[str, str], int]]:
    """Start rendering one page per run, in as many forked processes as there are cores when there are many (run
    pages are independent), and return `wait(cancel=False)`: once every page is written, it returns the run ids
    whose page failed, with the reason, and the number of pages written (`cancel` stops the workers). The caller
    works meanwhile."""
    global _FORKED
    import multiprocessing

    if not refs:
        return lambda cancel=False: ({}, 0)
    workers = min(os.cpu_count() or 1, 8)
    _FORKED = (refs, root, dict(context, standalone=False))
    if workers < 2 or len(refs) < 200 or "fork" not in multiprocessing.get_all_start_methods():
        try:
            done = _render_runs((0, len(refs)))
        finally:
            _FORKED = None
        return lambda cancel=False: done
    # parts of at most 500 pages, one at a time per worker: the workers end within a part of each other (the
    # default chunking gave each worker an eighth of the pages at once: one worker idled for seconds at the end)
    from tinybench.reports.worker_pool import BrokenProcessPool, end_now, fork_pool, lost_worker

    step = max(50, min(500, -(-len(refs) // (workers * 8))))
    pool = None
    try:  # (every worker is forked at the first submit, while _FORKED holds this build's pages)
        pool = fork_pool(workers, initializer=_worker_memory)
        pending = [pool.submit(_render_runs, (i, min(i + step, len(refs)))) for i in range(0, len(refs), step)]
    except BaseException as exc:  # a worker may die before every part is handed out: submit raises then
        if pool is not None:
            end_now(pool)
        _FORKED = None
        if isinstance(exc, BrokenProcessPool):
            raise lost_worker("making run pages", "the site is left as it was") from exc
        raise

    def wait(cancel: bool = False) -> tuple[dict[str, str], int]:
        global _FORKED
        try:
            if cancel:
                end_now(pool)
                return {}, 0
            try:
                parts = [part.result() for part in pending]
            except BrokenProcessPool as exc:
                end_now(pool)
                raise lost_worker("making run pages", "the site is left as it was") from exc
            except BaseException:  # a worker's error (or an interrupt): the others stop too
                end_now(pool)
                raise
            failed = {k: v for part, _ in parts for k, v in part.items()}
            return failed, sum(written for _, written in parts)
        finally:
            pool.shutdown(wait=True)
            _FORKED = None

    return wait
