"""`tinybench report build`: result bundles → a static HTML site (Jinja2, autoescaped).

Pages: `index.html`, `leaderboard/<workload>.html`, `systems.html`, `systems/<id>.html`,
`runs/<run-id>.html`, `compare.html`, and `assets/`. Nothing is fetched from elsewhere,
so the site works from `file://` and any static host. The site is built in a
temporary directory next to `out` and swapped in when complete.

Every bundle is validated against the strict schema and its figures recomputed from its raw
files (:mod:`local_bundles`); a bundle that fails, a run id used twice, or a page that cannot
be rendered is listed as rejected on the index with the reason, and the build goes on. Page
paths come only from validated ids and are checked to stay inside the output folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from importlib import resources
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from tinybench import __version__
from tinybench.errors import TinybenchError
from tinybench.reports import svg_charts, sww_views
from tinybench.reports.formatting import NOT_MEASURED, number, percent, slug
from tinybench.reports.leaderboard import COLUMNS, leaderboard
from tinybench.reports.local_bundles import verify_all
from tinybench.reports.results_store import load_bundles, system_id
from tinybench.reports.run_view import run_view

SITE_MARKER = ".tinybench-site"
PAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,149}$")  # run ids and workload ids (the schema's patterns)
FIGURES = [("latency", "latency (ms)"), ("throughput", "throughput (inf/s)"), ("energy", "energy (µJ/inf)"),
           ("power", "power (mW)"), ("accuracy", "accuracy"), ("spinup", "spin-up cold (ms)")]


@dataclass
class SiteReport:
    out: Path
    bundles: int
    pages: int
    seconds: float
    skipped: list[str] = field(default_factory=list)  # "source: reason" of every rejected bundle


def page_path(root: Path, folder: str, name: str) -> Path:
    """`root/folder/name.html` for a validated id, refusing anything that could leave `root`."""
    if not PAGE_NAME.match(name):
        raise ValueError(f"unsafe page name {name[:80]!r}")
    path = root / folder / f"{name}.html"
    if os.path.commonpath([os.path.realpath(path.parent), os.path.realpath(root)]) != os.path.realpath(root):
        raise ValueError(f"page {name[:80]!r} would leave the site folder")
    return path


def _accept(loaded_bundles: list[dict], extra: list[dict], rejected: list[tuple[str, str]]) -> list[dict]:
    """Verified local bundles plus extra (checked submission) results, each run id once."""
    results: list[dict] = []
    for bundle, verified in zip(loaded_bundles, verify_all(loaded_bundles)):
        if verified.result is None:
            rejected.append((bundle["_bundle"], "; ".join(verified.problems[:3])))
        else:
            results.append(verified.result)
    seen: dict[str, str] = {}
    unique = []
    for result in results + list(extra):
        source = result.get("_bundle") or result.get("origin", "submission")
        if result["run_id"] in seen:
            rejected.append((source, f"run id {result['run_id']} is already used by {seen[result['run_id']]}"))
            continue
        seen[result["run_id"]] = source
        unique.append(result)
    return unique


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=PackageLoader("tinybench.reports", "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=False, lstrip_blocks=False)
    return env


def asset(name: str) -> str:
    return resources.files("tinybench.reports").joinpath(f"static/{name}").read_text(encoding="utf-8")


def script_json(data: object) -> Markup:
    """JSON that is safe inside a <script> element (no '<', '>' or '&' can close it)."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def render_run(result: dict, standalone: bool = False) -> str:
    """One run's page; `standalone` inlines the CSS and JS (the per-run report of `tinybench run --report`)."""
    context = {"v": run_view(result), "root": "../", "version": __version__, "standalone": standalone,
               "nav_workloads": []}
    if standalone:
        context.update(inline_css=Markup(asset("site.css")), inline_js=Markup(asset("site.js")))
    return environment().get_template("run.html").render(context)


def build_site(roots: Iterable[Path], out: Path, extra_results: list[dict] | None = None,
               history: list[dict] | None = None) -> SiteReport:
    started = time.perf_counter()
    loaded = load_bundles(roots)
    rejected = [tuple(s.split(": ", 1)) if ": " in s else (s, "unreadable") for s in loaded.skipped]
    results = _accept(loaded.bundles, extra_results or [], rejected)
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not (out / SITE_MARKER).exists():
        raise TinybenchError(f"{out} exists and is not a tinybench site", hint="choose an empty or new --out folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        pages = _write_site(staging, results, rejected, history or [])
        (staging / SITE_MARKER).write_text("built by tinybench\n")
        _swap(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return SiteReport(out, len(results), pages, time.perf_counter() - started, [f"{a}: {b}" for a, b in rejected])


def _swap(staging: Path, out: Path) -> None:
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
        os.replace(staging, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, out)


def _write_site(root: Path, results: list[dict], rejected: list[tuple[str, str]], history: list[dict]) -> int:
    env = environment()
    (root / "assets").mkdir()
    (root / "assets" / "site.css").write_text(asset("site.css"), encoding="utf-8")
    (root / "assets" / "site.js").write_text(asset("site.js"), encoding="utf-8")
    for folder in ("leaderboard", "systems", "runs"):
        (root / folder).mkdir()
    workloads = _workloads(results)
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    common = {"version": __version__, "nav_workloads": [w["id"] for w in workloads], "generated": generated}
    pages = 0

    sub = dict(common, root="../", standalone=False)
    failed = _write_run_pages(root / "runs", results, sub)
    if failed:
        rejected += [(run_id, f"its page cannot be rendered: {why}") for run_id, why in failed.items()]
        results = [r for r in results if r["run_id"] not in failed]
    pages += len(results)
    workloads = _workloads(results)
    common["nav_workloads"] = [w["id"] for w in workloads]
    sub = dict(common, root="../", standalone=False)

    boards = {}
    board_template = env.get_template("leaderboard.html")
    for workload in workloads:
        if workload["id"] == sww_views.WORKLOAD:  # sww01: its own columns (detections, duty cycle, power)
            rows = boards[workload["id"]] = sww_views.leaderboard(results)
            html = sww_views.render_board(env, sub, workload, rows)
            page_path(root, "leaderboard", workload["id"]).write_text(html, encoding="utf-8")
            pages += 1
            continue
        rows = leaderboard(results, workload["id"])
        boards[workload["id"]] = rows
        points = [(r.cells["latency"].value, r.cells["accuracy"].value, r.system) for r in rows
                  if r.cells["latency"].value is not None and r.cells["accuracy"].value is not None]
        target = workload.get("quality_target", {}).get("minimum")
        scatter = svg_charts.scatter(points, "latency (ms)", workload.get("metric", "accuracy"),
                                     f"{workload['id']}: accuracy vs latency", target) if points else ""
        quality = workload.get("quality_target", {})
        html = board_template.render(sub, workload=workload, rows=rows, columns=COLUMNS, scatter=scatter,
                                     quality=f"{quality.get('metric', '')} ≥ {quality.get('minimum', '')}")
        page_path(root, "leaderboard", workload["id"]).write_text(html, encoding="utf-8")
        pages += 1

    from tinybench.reports.history import write_history  # history/: one page per (system, workload)

    pages += write_history(root, results, sub)
    systems = _systems(results)
    system_template = env.get_template("system.html")
    for system in systems:
        page_path(root, "systems", system["slug"]).write_text(system_template.render(sub, s=system), encoding="utf-8")
        pages += 1
    top = dict(common, root="", standalone=False)
    (root / "systems.html").write_text(env.get_template("systems.html").render(top, systems=systems),
                                       encoding="utf-8")
    (root / "compare.html").write_text(env.get_template("compare.html").render(
        top, data_json=script_json(_compare_data(boards, systems))), encoding="utf-8")
    summary = [dict(w, systems=len(boards[w["id"]]), best_latency=_best(boards[w["id"]], "latency"),
                    best_energy=_best(boards[w["id"]], "energy")) for w in workloads]
    (root / "index.html").write_text(env.get_template("index.html").render(
        top, workloads=summary, n_results=len(results), n_systems=len(systems), rejected=rejected, history=history),
        encoding="utf-8")
    return pages + 3


_FORKED: tuple[list[dict], Path, dict] | None = None  # what forked workers render from


def _render_runs(bounds: tuple[int, int]) -> dict[str, str]:
    """Render runs[bounds]; returns run id → why, for the pages that could not be rendered."""
    results, folder, context = _FORKED
    template = environment().get_template("run.html")
    failed = {}
    for result in results[bounds[0]:bounds[1]]:
        try:
            html = template.render(context, v=run_view(result))
            page_path(folder.parent, folder.name, result["run_id"]).write_text(html, encoding="utf-8")
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, ZeroDivisionError, OverflowError) as exc:
            failed[result["run_id"]] = f"{type(exc).__name__}: {str(exc)[:200]}"
    return failed


def _write_run_pages(folder: Path, results: list[dict], context: dict) -> dict[str, str]:
    """One page per run, rendered by as many forked processes as there are cores (run pages are independent);
    returns the run ids whose page failed, with the reason."""
    global _FORKED
    import multiprocessing

    workers = min(os.cpu_count() or 1, 8)
    _FORKED = (results, folder, context)
    try:
        if workers < 2 or len(results) < 200 or "fork" not in multiprocessing.get_all_start_methods():
            return _render_runs((0, len(results)))
        step = -(-len(results) // (workers * 4))
        chunks = [(i, min(i + step, len(results))) for i in range(0, len(results), step)]
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return {k: v for part in pool.map(_render_runs, chunks) for k, v in part.items()}
    finally:
        _FORKED = None


def _workloads(results: list[dict]) -> list[dict]:
    seen: dict[str, dict] = {}
    for result in results:
        seen.setdefault(result["workload"]["id"], result["workload"])
    return [seen[k] for k in sorted(seen)]


def _best(rows: list, key: str) -> str:
    values = [r.cells[key].value for r in rows if r.cells[key].value is not None]
    return number(min(values)) if values else NOT_MEASURED


def _systems(results: list[dict]) -> list[dict]:
    systems: dict[str, dict] = {}
    for result in sorted(results, key=lambda r: r["created_utc"], reverse=True):
        sid = system_id(result)
        info = result["target"]["system"]
        system = systems.get(sid)
        if system is None:
            clock = info.get("clock_hz")
            system = systems[sid] = {
                "slug": slug(sid), "name": info.get("name", ""), "target": result["target"]["adapter"],
                "processor": info.get("processor", ""), "runtime": info.get("runtime", ""),
                "runtime_version": info.get("runtime_version", ""), "os": info.get("os") or "",
                "clock": f"{clock / 1e6:,.0f} MHz" if clock else NOT_MEASURED,
                "options": json.dumps(result["target"].get("options", {}), sort_keys=True),
                "details": sorted((str(k), str(v)) for k, v in (info.get("details") or {}).items()), "runs": [],
            }
        modes = result["modes"]
        latency = _metric(modes, "performance", "latency_median")
        energy = _metric(modes, "energy", "energy_per_inference_median")
        acc = modes.get("accuracy", {})
        acc_metrics = acc.get("metrics", {}) if acc.get("status") == "measured" else {}
        accuracy_text = (percent(acc_metrics["top1"]["value"]) if "top1" in acc_metrics else
                         f"AUC {acc_metrics['auc']['value']:.4f}" if "auc" in acc_metrics else
                         f"Car AP {percent(acc_metrics['car_ap_r40_moderate']['value'])}"
                         if "car_ap_r40_moderate" in acc_metrics else NOT_MEASURED)
        system["runs"].append({
            "run_id": result["run_id"], "created": result["created_utc"], "workload": result["workload"]["id"],
            "model": f"{result['model']['source']} ({result['model']['division']}"
                     + (", declared by the submitter)" if result["model"].get("division_basis") == "declared" else ")"),
            "latency": latency, "latency_text": number(latency), "energy": energy, "energy_text": number(energy),
            "accuracy_text": accuracy_text, "valid": "yes" if result.get("valid_for_submission") else "no",
        })
    return sorted(systems.values(), key=lambda s: s["name"].lower())


def _metric(modes: dict, mode: str, name: str) -> float | None:
    block = modes.get(mode)
    if not block or block.get("status") != "measured":
        return None
    return block.get("metrics", {}).get(name, {}).get("value")


def _compare_data(boards: dict, systems: list[dict]) -> dict:
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
    return {"systems": sorted(by_system.values(), key=lambda s: s["name"].lower()), "workloads": sorted(boards),
            "figures": [{"key": k, "label": label} for k, label in FIGURES]}
