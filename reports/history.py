"""History pages: one per (system, workload), the figures over time, regressions marked.

`history/index.html` lists every series; `history/<id>.html` shows a series' latency (and energy,
where measured) run after run as inline SVG — each point links to its run page, a bar spans the
run's fastest to slowest window, and a point is marked when `tinybench compare` would call it
slower (red) or faster (green) than the previous run of the series, by the same statistics
(:mod:`tinybench.compare_stats`, default threshold 2 %; history uses the windows recorded in
result.json, with 2,000 bootstrap resamples to keep site builds fast).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from markupsafe import Markup, escape

from tinybench import compare_stats as cs
from tinybench.compare import DEFAULT_THRESHOLD
from tinybench.reports import svg_charts
from tinybench.reports.formatting import number, slug
from tinybench.reports.results_store import system_id

RESAMPLES = 2_000
SERIES = (("latency", "performance", "latency_median", "ms"), ("energy", "energy", "energy_per_inference_median",
                                                                   "µJ/inf"))
COLOURS = {"slower": "#b42318", "more energy": "#b42318", "faster": "#1a7f37", "less energy": "#1a7f37"}


@dataclass
class Point:
    run_id: str
    created: str
    value: float
    low: float  # the run's best window, in the figure's unit
    high: float  # its worst window
    reps: cs.Repetitions | None
    rates: bool
    change: str = ""  # vs the previous point: "1.034x [1.021, 1.048]"
    verdict: str = ""
    unstable: bool = False


@dataclass
class Series:
    system: str
    system_key: str
    workload: str
    slug: str
    metrics: dict[str, list[Point]] = field(default_factory=dict)

    @property
    def latency_runs(self) -> int:
        return len(self.metrics.get("latency", []))

    @property
    def latest_latency(self) -> float | None:
        points = self.metrics.get("latency")
        return points[-1].value if points else None

    @property
    def regressions(self) -> int:
        return sum(p.verdict in ("slower", "more energy") for points in self.metrics.values() for p in points)


def build_series(results: list[dict], threshold: float = DEFAULT_THRESHOLD) -> list[Series]:
    grouped: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for result in results:
        grouped[(system_id(result), result["workload"]["id"])].append(result)
    out = []
    for (key, workload), runs in grouped.items():
        runs.sort(key=lambda r: (r.get("created_utc", ""), r.get("finished_utc", ""), r["run_id"]))
        series = Series(runs[-1]["target"]["system"].get("name", ""), key, workload, slug(f"{key}|{workload}"))
        for metric, mode, name, _unit in SERIES:
            points = [p for p in (_point(r, mode, name) for r in runs) if p is not None]
            _mark(points, metric, threshold)
            if points:
                series.metrics[metric] = points
        if series.metrics:
            out.append(series)
    return sorted(out, key=lambda s: (s.system.lower(), s.workload))


def _point(result: dict, mode: str, name: str) -> Point | None:
    block = result["modes"].get(mode)
    if not block or block.get("status") != "measured" or name not in block.get("metrics", {}):
        return None
    value = block["metrics"][name]["value"]
    windows = block.get("windows") or []
    column = "throughput_inf_s" if mode == "performance" else "uj_per_inference"
    try:  # a handful of windows: plain Python until the repetitions are made (200,000 points in a full build)
        values = [float(w[column]) for w in windows]
    except (KeyError, TypeError, ValueError):
        values = []
    usable = bool(values) and all(math.isfinite(v) and v > 0 for v in values)
    reps = cs.Repetitions(np.array(values)) if usable else None
    rates = mode == "performance"
    if reps is None:
        low = high = value
    elif rates:
        low, high = 1e3 / max(values), 1e3 / min(values)
    else:
        low, high = min(values), max(values)
    unstable = not (block.get("stability") or {}).get("stable", True)
    return Point(result["run_id"], result.get("created_utc", ""), value, low, high, reps, rates, unstable=unstable)


def _mark(points: list[Point], metric: str, threshold: float) -> None:
    """Each point against the previous one; runs without windows break the chain (they are not compared)."""
    words = ("slower", "faster") if metric == "latency" else ("more energy", "less energy")
    start = 0
    while start < len(points):
        while start < len(points) and points[start].reps is None:
            start += 1
        end = start
        while end < len(points) and points[end].reps is not None:
            end += 1
        chain = points[start:end]
        estimates = cs.consecutive_ratios([p.reps for p in chain], higher_is_faster=metric == "latency",
                                          resamples=RESAMPLES) if len(chain) > 1 else []
        for point, estimate in zip(chain[1:], estimates):
            point.verdict = cs.ratio_verdict(estimate, threshold, words)
            point.change = f"{estimate.value:.3f}x [{estimate.low:.3f}, {estimate.high:.3f}]"
        start = end


def chart(points: list[Point], label: str, title: str) -> Markup:
    """Values run after run; each point links to its run page; whiskers span the windows; marks in colour."""
    if not points:
        return Markup("")
    width, height = svg_charts.WIDTH, svg_charts.HEIGHT
    left, right, top, bottom = svg_charts.PAD_L, width - svg_charts.PAD_R, svg_charts.PAD_T, height - svg_charts.PAD_B
    step = (right - left) / max(len(points) - 1, 1)
    xs = [left + i * step if len(points) > 1 else (left + right) / 2 for i in range(len(points))]
    low, high = min(p.low for p in points), max(p.high for p in points)
    pad = (high - low) * 0.1 or abs(high) * 0.02 or 1.0  # not from zero: a 3 % step must be visible
    fy, y_low, y_high = svg_charts._scale([low - pad, high + pad], bottom - top, top, invert=True)
    parts = svg_charts._axes("run (oldest → newest)", label)
    parts.append('<polyline class="trace" points="' + " ".join(f"{x:.1f},{fy(p.value):.1f}" for x, p in zip(xs, points))
                 + '"/>')
    for x, p in zip(xs, points):
        colour = COLOURS.get(p.verdict, "#1f6feb")
        note = f" — {p.verdict} than the previous run: {p.change}" if p.verdict in COLOURS else ""
        shape = (f'<path d="M{x:.1f},{fy(p.value) - 8:.1f} l6,10 h-12 z" fill="{colour}" class="mark"/>'
                 if p.verdict in COLOURS else f'<circle cx="{x:.1f}" cy="{fy(p.value):.1f}" r="4" class="point"/>')
        parts.append(f'<a href="../runs/{escape(p.run_id)}.html" class="run-link" data-run="{escape(p.run_id)}">'
                     f'<line x1="{x:.1f}" y1="{fy(p.low):.1f}" x2="{x:.1f}" y2="{fy(p.high):.1f}" stroke="#8c96a8"/>'
                     f"{shape}<title>{escape(p.run_id)} · {escape(p.created)} · {p.value:.4g}{escape(note)}</title></a>")
    parts += svg_charts._ticks(y_low, y_high, 0, vertical=True)
    for i in sorted({0, len(points) // 2, len(points) - 1}):
        anchor = "start" if i == 0 and len(points) > 1 else "end" if i == len(points) - 1 else "middle"
        parts.append(f'<text x="{xs[i]:.1f}" y="{bottom + 14}" class="tick" text-anchor="{anchor}">'
                     f"{escape(points[i].created[:10])}</text>")
    return svg_charts._svg(parts, title)


def rows(points: list[Point]) -> Markup:
    """The table of a series, built as escaped fragments (a template loop costs ~1 s on 10,000 runs)."""
    out = []
    for p in points:
        css = "bad" if p.verdict in ("slower", "more energy") else "ok" if p.verdict in COLOURS else ""
        unstable = (' <span class="bad" title="the run\'s own stability check warned">unstable</span>'
                    if p.unstable else "")
        out.append(f'<tr data-verdict="{escape(p.verdict)}"><td><a href="../runs/{escape(p.run_id)}.html">'
                   f'{escape(p.run_id)}</a></td><td>{escape(p.created)}</td><td class="num" data-value="{float(p.value)!r}">'
                   f'{number(p.value)}</td><td class="num">{number(p.low)}–{number(p.high)}{unstable}</td>'
                   f'<td class="num">{escape(p.change)}</td><td class="{css}">{escape(p.verdict)}</td></tr>')
    return Markup("\n".join(out))


def render_series(series: Series, context: dict) -> str:
    """The page of one series (history/<slug>.html)."""
    from tinybench.reports.site_pages import environment

    charts = {metric: chart(points, f"{metric} ({unit})", f"{series.workload} {metric} on {series.system}")
              for metric, _, _, unit in SERIES if (points := series.metrics.get(metric))}
    tables = {metric: rows(points) for metric, points in series.metrics.items()}
    return environment().get_template("history.html").render(
        context, s=series, charts=charts, tables=tables, units={m: u for m, _, _, u in SERIES}, number=number,
        threshold=DEFAULT_THRESHOLD)


def render_index(lines: list, context: dict) -> str:
    """history/index.html: `lines` have system, workload, slug, latency_runs, latest_latency and regressions."""
    from tinybench.reports.site_pages import environment

    return environment().get_template("history.html").render(context, index=lines, number=number,
                                                             threshold=DEFAULT_THRESHOLD)


def write_history(root: Path, results: list[dict], context: dict) -> int:
    """Write history/index.html and one page per series; returns the number of pages."""
    folder = root / "history"
    folder.mkdir(exist_ok=True)
    all_series = build_series(results)
    for series in all_series:
        (folder / f"{series.slug}.html").write_text(render_series(series, context), encoding="utf-8")
    (folder / "index.html").write_text(render_index(all_series, context), encoding="utf-8")
    return len(all_series) + 1
