"""System pages, paged so that a new run re-renders one page of bounded size, not a list of every run.

A system's runs, ordered oldest first by (created_utc, run_id), are cut into fixed chunks of
`RUNS_PER_PAGE`. The newest chunk (1 to RUNS_PER_PAGE runs) is on `systems/<slug>.html` with the
system's facts (from its newest run); each older chunk k (1 = the oldest runs) is an archive page
`systems/<slug>.p<k>.html`. An archive page shows only its own runs, the system's name and links to
the other pages (which depend on the number of pages only), so a run added after the others changes
the main page alone; a run added, changed or removed in the middle changes the pages from its
position on; a change in the number of pages re-renders all of them. Pages list runs newest first.
"""

from __future__ import annotations

import json

from markupsafe import Markup, escape

from tinybench.reports.formatting import NOT_MEASURED, number, percent, slug
from tinybench.reports.results_store import system_id

RUNS_PER_PAGE = 200  # ≈ 0.5 kB of HTML a run: a page stays near 100 kB


def page_count(runs: int) -> int:
    return -(-runs // RUNS_PER_PAGE)


def page_name(system_slug: str, chunk: int, pages: int) -> str:
    """The page of chunk `chunk` (0 = the oldest runs) of a system with `pages` pages: the newest is the main one."""
    return system_slug if chunk == pages - 1 else f"{system_slug}.p{chunk + 1}"


def facts(result: dict) -> dict:
    """What the main page says about the system, from one (its newest) run."""
    sid = system_id(result)
    info = result["target"]["system"]
    clock = info.get("clock_hz")
    return {"slug": slug(sid), "name": info.get("name", ""), "target": result["target"]["adapter"],
            "processor": info.get("processor", ""), "runtime": info.get("runtime", ""),
            "runtime_version": info.get("runtime_version", ""), "os": info.get("os") or "",
            "clock": f"{clock / 1e6:,.0f} MHz" if clock else NOT_MEASURED,
            "options": json.dumps(result["target"].get("options", {}), sort_keys=True),
            "details": sorted((str(k), str(v)) for k, v in (info.get("details") or {}).items())}


def run_row(result: dict) -> dict:
    """One line of a system page: the run's figures as recomputed (slim result)."""
    modes = result["modes"]
    latency = _metric(modes, "performance", "latency_median")
    energy = _metric(modes, "energy", "energy_per_inference_median")
    acc = modes.get("accuracy", {})
    acc_metrics = acc.get("metrics", {}) if acc.get("status") == "measured" else {}
    accuracy_text = (percent(acc_metrics["top1"]["value"]) if "top1" in acc_metrics else
                     f"AUC {acc_metrics['auc']['value']:.4f}" if "auc" in acc_metrics else
                     f"Car AP {percent(acc_metrics['car_ap_r40_moderate']['value'])}"
                     if "car_ap_r40_moderate" in acc_metrics else NOT_MEASURED)
    return {"run_id": result["run_id"], "created": result["created_utc"], "workload": result["workload"]["id"],
            "model": f"{result['model']['source']} ({result['model']['division']}"
                     + (", declared by the submitter)" if result["model"].get("division_basis") == "declared" else ")"),
            "latency": latency, "latency_text": number(latency), "energy": energy, "energy_text": number(energy),
            "accuracy_text": accuracy_text, "valid": "yes" if result.get("valid_for_submission") else "no"}


def rows_html(rows: list[dict]) -> Markup:
    """The table body's rows (dicts of :func:`run_row`), built as escaped fragments: the markup a template loop
    would write, at a fraction of its cost (a `--full` build writes 100,000 of them). Every value is escaped."""
    out = []
    for r in rows:
        run_id, created, workload, model = (escape(r[k]) for k in ("run_id", "created", "workload", "model"))
        latency = "" if r["latency"] is None else escape(r["latency"])
        energy = "" if r["energy"] is None else escape(r["energy"])
        accuracy, valid = escape(r["accuracy_text"]), escape(r["valid"])
        out.append(f'<tr><td data-value="{run_id}"><a href="../runs/{run_id}.html">{run_id}</a></td><td data-value='
                   f'"{created}">{created}</td><td data-value="{workload}">{workload}</td><td data-value="{model}">'
                   f'{model}</td>\n<td class="num" data-value="{latency}">{escape(r["latency_text"])}</td><td class="num" '
                   f'data-value="{energy}">{escape(r["energy_text"])}</td><td data-value="{accuracy}">{accuracy}</td>'
                   f'<td data-value="{valid}">{valid}</td></tr>\n')
    return Markup("".join(out))


def _metric(modes: dict, mode: str, name: str) -> float | None:
    block = modes.get(mode)
    if not block or block.get("status") != "measured":
        return None
    return block.get("metrics", {}).get(name, {}).get("value")


def render(template, context: dict, system_slug: str, chunk: int, pages: int, runs: list[dict],  # noqa: ANN001
           newest: dict | None, total: int) -> str:
    """One page: chunk `chunk` of `pages` (runs oldest first, shown newest first). The main page (the newest chunk)
    has the system's facts (from `newest`), its number of runs and links to every page; an archive page links to
    its neighbours only, so that it does not change when pages are added after it (but for its newer neighbour)."""
    first = chunk * RUNS_PER_PAGE + 1
    main = chunk == pages - 1
    label = lambda c: (c * RUNS_PER_PAGE + 1, (c + 1) * RUNS_PER_PAGE if c < pages - 1 else None)  # noqa: E731
    shown = range(pages) if main else [c for c in (chunk - 1, chunk, chunk + 1) if c >= 0]
    nav = [(page_name(system_slug, c, pages), *label(c)) for c in shown]
    return template.render(context, s=facts(newest) if main else {"name": runs[-1]["target"]["system"].get("name", ""),
                                                                   "slug": system_slug},
                           main=main, rows=rows_html([run_row(r) for r in reversed(runs)]), first=first,
                           last=first + len(runs) - 1, total=total if main else None, nav=nav,
                           current=page_name(system_slug, chunk, pages))
