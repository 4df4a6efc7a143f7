"""Rendering the site's pages: Jinja2 environment, safe page paths, atomic page writes, and the run pages
(rendered by forked workers straight from the results index, as many as there are cores)."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import zlib
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from tinybench import __version__
from tinybench.reports.run_view import run_view

PAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,149}$")  # run ids and workload ids (the schema's patterns)
RENDER_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError, ZeroDivisionError, OverflowError)


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(loader=PackageLoader("tinybench.reports", "templates"),
                       autoescape=select_autoescape(["html"]), trim_blocks=False, lstrip_blocks=False)


def asset(name: str) -> str:
    return resources.files("tinybench.reports").joinpath(f"static/{name}").read_text(encoding="utf-8")


def script_json(data: object) -> Markup:
    """JSON that is safe inside a <script> element (no '<', '>' or '&' can close it)."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def page_path(root: Path, folder: str, name: str) -> Path:
    """`root/folder/name.html` for a validated id, refusing anything that could leave `root`."""
    if not PAGE_NAME.match(name):
        raise ValueError(f"unsafe page name {name[:80]!r}")
    path = root / folder / f"{name}.html"
    if os.path.commonpath([os.path.realpath(path.parent), os.path.realpath(root)]) != os.path.realpath(root):
        raise ValueError(f"page {name[:80]!r} would leave the site folder")
    return path


def write_page(path: Path, text: str, only_if_changed: bool = False) -> bool:
    """Write a page atomically (a hidden temporary file, then os.replace): a reader sees the old page or the new
    one, never half of one. No fsync: the site is rebuilt from the bundles if a crash loses it. Returns whether
    the file was written (`only_if_changed` leaves an identical page alone)."""
    data = text.encode("utf-8")
    if only_if_changed:
        try:
            if path.stat().st_size == len(data) and path.read_bytes() == data:
                return False
        except FileNotFoundError:
            pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return True


def render_run(result: dict, standalone: bool = False, context: dict | None = None) -> str:
    """One run's page; `standalone` inlines the CSS and JS (the per-run report of `tinybench run --report`)."""
    context = dict(context or {"root": "../", "version": __version__, "nav_workloads": []}, standalone=standalone)
    if standalone:
        context.update(inline_css=Markup(asset("site.css")), inline_js=Markup(asset("site.js")))
    return environment().get_template("run.html").render(context, v=run_view(result))


# A run to render: (run id, index file or None, bundle path relative to its root, root, or the result itself)
RunRef = tuple[str, str | None, str | None, str | None, dict | None]
_FORKED: tuple[list[RunRef], Path, dict] | None = None  # what forked workers render from


def _result_of(ref: RunRef, connections: dict[str, sqlite3.Connection]) -> dict:
    run_id, index_file, rel, root, result = ref
    if result is not None:
        return result
    conn = connections.get(index_file)
    if conn is None:
        conn = connections[index_file] = sqlite3.connect(f"file:{index_file}?mode=ro", uri=True, timeout=60)
    (blob,) = conn.execute("SELECT result FROM payloads WHERE path = ?", (rel,)).fetchone()
    result = json.loads(zlib.decompress(blob))
    result["_bundle"] = str(Path(root) / rel) if rel != "." else root
    return result


def _render_runs(bounds: tuple[int, int]) -> dict[str, str]:
    """Render refs[bounds]; returns run id → why, for the pages that could not be rendered."""
    refs, root, context = _FORKED
    template = environment().get_template("run.html")
    failed, connections = {}, {}
    try:
        for ref in refs[bounds[0]:bounds[1]]:
            try:
                html = template.render(context, v=run_view(_result_of(ref, connections)))
                write_page(page_path(root, "runs", ref[0]), html)
            except RENDER_ERRORS as exc:
                failed[ref[0]] = f"{type(exc).__name__}: {str(exc)[:200]}"
    finally:
        for conn in connections.values():
            conn.close()
    return failed


def start_run_pages(root: Path, refs: list[RunRef], context: dict) -> Callable[[bool], dict[str, str]]:
    """Start rendering one page per run, in as many forked processes as there are cores when there are many (run
    pages are independent), and return `wait(cancel=False)`: it returns the run ids whose page failed, with the
    reason, once every page is written (`cancel` stops the workers). The caller works meanwhile."""
    global _FORKED
    import multiprocessing

    if not refs:
        return lambda cancel=False: {}
    workers = min(os.cpu_count() or 1, 8)
    _FORKED = (refs, root, dict(context, standalone=False))
    if workers < 2 or len(refs) < 200 or "fork" not in multiprocessing.get_all_start_methods():
        try:
            failed = _render_runs((0, len(refs)))
        finally:
            _FORKED = None
        return lambda cancel=False: failed
    step = max(50, -(-len(refs) // (workers * 8)))
    try:
        pool = multiprocessing.get_context("fork").Pool(workers)
        pending = pool.map_async(_render_runs, [(i, min(i + step, len(refs))) for i in range(0, len(refs), step)])
    except BaseException:
        _FORKED = None
        raise

    def wait(cancel: bool = False) -> dict[str, str]:
        global _FORKED
        try:
            if cancel:
                pool.terminate()
                return {}
            failed = {k: v for part in pending.get() for k, v in part.items()}
            pool.close()
            return failed
        finally:
            pool.join()
            _FORKED = None

    return wait
