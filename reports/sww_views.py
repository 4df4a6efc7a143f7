"""sww01 on the site: its leaderboard (detections, duty cycle, throughput, power) and the run
page's stream timeline (truth windows with their acceptance tolerance, detections marked).

Every figure comes from a verified result (:mod:`local_bundles`: recomputed from the raw
files; imported MLPerf Tiny results: re-read from the results.txt they keep). The timeline is
inline SVG, bounded (detections and windows that fall on the same pixel column are drawn
once, at most `MAX_STREAMS` streams), and every text in it is escaped.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from tinybench.reports.formatting import NOT_MEASURED, number, slug
from tinybench.reports.leaderboard import Cell, Row
from tinybench.reports.svg_charts import tick_label
from tinybench.reports.results_store import system_id
from tinybench.reports.sww_bounds import score_bounded
from tinybench.workloads.metrics.sww_scoring import CLOSED_MAX_FN, CLOSED_MAX_FP, DELAY_S, ScoringError

WORKLOAD = "sww01"
# (key, heading, unit, stream metric): "latency", "throughput", "power", "energy", "accuracy" are the keys the
# index and the compare page know; latency is the mean processing time per frame (MLPerf Tiny's final report)
COLUMNS = [
    ("tp", "TP", "", "true_positives"), ("fn", "FN", "", "false_negatives"), ("fp", "FP", "", "false_positives"),
    ("accuracy", "F1", "", "f1"), ("duty", "Duty cycle", "", "duty_cycle"), ("period", "Period", "ms", "period_mean"),
    ("latency", "Processing", "ms/frame", "processing_time_mean"), ("throughput", "Throughput", "inf/s", "throughput"),
    ("power", "Power", "mW", "power_average"), ("energy", "Energy", "µJ/frame", "energy_per_frame"),
    ("energy_stream", "Energy, whole stream", "µJ", "energy_total"),
]
MAX_STREAMS = 8
WIDTH, HEIGHT, LEFT, RIGHT, TOP = 960, 120, 12, 12, 18


def _text(key: str, value: float) -> str:
    if key in ("tp", "fn", "fp"):
        return f"{value:.0f}"
    if key in ("accuracy",):
        return f"{value:.3f}"
    if key == "duty":
        return f"{value:.5g}"
    return number(value, 5)


def _missing(block: dict, metric: str) -> str:
    if metric in ("power_average", "energy_per_frame", "energy_total"):
        energy = block.get("energy") or {}
        if energy.get("reason"):
            return energy["reason"]
        if "published" in block:
            return "not in this published result (an MLPerf Tiny performance run measures no power)"
        return "no energy source for this run"
    if metric in ("true_positives", "false_negatives", "false_positives", "f1"):
        return "not scored (untrained model or no wake words)"
    return "not reported by this run"


def _row(result: dict) -> Row:
    block = result["modes"]["stream"]
    row = Row(result["target"]["system"].get("name", ""), slug(system_id(result)), result["target"]["adapter"],
              result["model"]["division"], result["model"]["source"], result["created_utc"],
              result.get("origin", "tinybench"), result["model"].get("division_basis", "verified"))
    metrics = block.get("metrics", {})
    checks = {c["rule"]: c for c in block.get("checks", [])}
    for key, _, _, metric in COLUMNS:
        if metric in metrics:
            value = metrics[metric]["value"]
            ok, note = None, ""
            if key == "fp":
                ok, note = value <= CLOSED_MAX_FP, f"closed division: at most {CLOSED_MAX_FP}"
            elif key == "fn":
                ok, note = value <= CLOSED_MAX_FN, f"closed division: at most {CLOSED_MAX_FN}"
            elif key == "tp" and "official_stream" in checks and not checks["official_stream"]["passed"]:
                note = checks["official_stream"]["detail"]
            row.cells[key] = Cell(value, _text(key, value), result["run_id"], note, ok)
        else:
            row.cells[key] = Cell(None, NOT_MEASURED, result["run_id"], _missing(block, metric))
    row.cells["spinup"] = Cell(None, NOT_MEASURED, note="not part of sww01")
    row.valid = bool(result.get("valid_for_submission"))
    row.runs.append(result["run_id"])
    return row


def leaderboard(results: list[dict]) -> list[Row]:
    """One row per (system, division): the run with power if any, then the newest; fastest first."""
    best: dict[tuple[str, str], dict] = {}
    runs: dict[tuple[str, str], list[str]] = {}
    for result in results:
        block = result["modes"].get("stream")
        if result["workload"]["id"] != WORKLOAD or not block or block["status"] != "measured":
            continue
        key = (system_id(result), result["model"]["division"])
        runs.setdefault(key, []).append(result["run_id"])
        rank = ("power_average" in block["metrics"], "true_positives" in block["metrics"], result["created_utc"])
        current = best.get(key)
        if current is None or rank > current[0]:
            best[key] = (rank, result)
    rows = []
    for key, (_, result) in best.items():
        row = _row(result)
        row.runs = sorted(runs[key])
        rows.append(row)
    return sorted(rows, key=lambda r: (r.cells["latency"].value is None, r.cells["latency"].value or 0, r.system))


def render_board(env, context: dict, workload: dict, rows: list[Row]) -> str:  # noqa: ANN001 - jinja2.Environment
    columns = [(k, h, u, m) for k, h, u, m in COLUMNS]
    return env.get_template("sww_leaderboard.html").render(
        context, workload=workload, rows=rows, columns=columns, scatter="",
        quality=f"at most {CLOSED_MAX_FP} false positives and {CLOSED_MAX_FN} false negatives on the 50 wake words "
                "of the official 20-minute stream")


# -- the run page's timeline -----------------------------------------------------------------------------------

def stream_view(block: dict) -> dict:
    """What the run page shows of a stream block: one timeline per stream (at most MAX_STREAMS)."""
    timelines = []
    for stream in _streams(block)[:MAX_STREAMS]:
        timelines.append(timeline(stream))
    total = len(block.get("streams", [])) or len(timelines)
    return {"timelines": timelines, "more": max(0, total - MAX_STREAMS)}


def _streams(block: dict) -> list[dict]:
    """Per stream: name, length (s), truth windows (s) or None, detections [(s from sync, outcome)], FN starts."""
    if "published" in block:  # an imported MLPerf Tiny result: results.json's detections, when it had them
        kept = block["published"]
        if not kept.get("detections_ms"):
            return []
        windows = kept.get("truth_windows_s") or []
        try:
            score = score_bounded(kept["detections_ms"], windows)
        except ScoringError:
            return []
        stamps = kept["detections_ms"]
        return [{"name": kept.get("wav_file") or "stream", "seconds": kept.get("length_s"), "windows": windows,
                 "detections": [((t - stamps[0]) / 1000, o) for t, o in zip(stamps, score.outcome)],
                 "missed": score.false_negatives_s}]
    out = []
    for i, stream in enumerate(block.get("streams", [])):
        recomputed = block.get("_detections") or []  # from stream_detections.csv, put there by recompute_stream
        found = recomputed[i] if i < len(recomputed) else []
        truth = block.get("_truth_windows_s")
        scoring = stream.get("scoring", {})
        out.append({"name": stream["wav_file"], "seconds": stream.get("seconds"),
                    "windows": truth[i] if truth else None, "detections": found,
                    "missed": scoring.get("false_negative_starts_s", []),
                    "starts": scoring.get("true_positive_starts_s", []) + scoring.get("false_negative_starts_s", [])})
    return out


def _kind(outcome: str) -> str:
    return "tp" if outcome.startswith("tp:") else {"sync": "sync", "fp": "fp", "fp-debounced": "fpd"}.get(outcome, "un")


def timeline(stream: dict) -> Markup:
    """An inline SVG of one stream: truth windows [start, stop] and their tolerance (+2 s), detections
    as ticks (TP green, FP red, debounced FP pale, sync grey, unscored blue), missed words marked."""
    windows = stream["windows"]
    detections = stream["detections"]
    ends = [t for t, _ in detections] + ([b + 2 * DELAY_S for _, b in windows] if windows else []) + \
        [s for s in stream.get("starts", [])] + [stream["seconds"] or 0.0]
    length = max([1.0] + [float(e) for e in ends if isinstance(e, (int, float))])
    span = WIDTH - LEFT - RIGHT

    def x(t: float) -> float:
        return LEFT + max(0.0, min(1.0, t / length)) * span

    parts = [f'<line x1="{LEFT}" y1="{HEIGHT - 22}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - 22}" class="axis"/>']
    for i in range(5):
        t = length * i / 4
        anchor = "start" if i == 0 else "end" if i == 4 else "middle"
        parts.append(f'<text x="{x(t):.1f}" y="{HEIGHT - 8}" class="tick" text-anchor="{anchor}">{tick_label(t)} s</text>')
    drawn: set[tuple[str, int]] = set()
    if windows:
        for number_, (a, b) in enumerate(windows):
            column = int(x(a))
            if ("w", column) in drawn:
                continue
            drawn.add(("w", column))
            parts.append(f'<rect x="{x(a):.1f}" y="{TOP}" width="{max(1.0, x(b + 2 * DELAY_S) - x(a)):.1f}" height="40" '
                         f'class="accept"><title>wake word {number_ + 1}: accepted {a:.3f}–{b + 2 * DELAY_S:.3f} s'
                         f'</title></rect>')
            parts.append(f'<rect x="{x(a):.1f}" y="{TOP}" width="{max(1.0, x(b) - x(a)):.1f}" height="40" '
                         f'class="truth"><title>wake word {number_ + 1}: {a:.3f}–{b:.3f} s</title></rect>')
    else:
        for start in stream.get("starts", []):
            parts.append(f'<line x1="{x(start):.1f}" y1="{TOP}" x2="{x(start):.1f}" y2="{TOP + 40}" class="truth-start"/>')
    for start in stream.get("missed", []):
        if ("m", int(x(start))) not in drawn:
            drawn.add(("m", int(x(start))))
            parts.append(f'<path d="M{x(start):.1f},{TOP - 2} l-4,-8 h8 z" class="missed"><title>missed wake word at '
                         f'{start:.3f} s (FN)</title></path>')
    counts: dict[str, int] = {}
    order = {"fpd": 0, "sync": 1, "un": 2, "tp": 3, "fp": 4}  # false positives drawn last, on top
    for t, outcome in sorted(detections, key=lambda d: order[_kind(d[1])]):
        kind = _kind(outcome)
        counts[kind] = counts.get(kind, 0) + 1
        column = int(x(t))
        if (kind, column) in drawn:
            continue
        drawn.add((kind, column))
        parts.append(f'<line x1="{x(t):.1f}" y1="{TOP + 44}" x2="{x(t):.1f}" y2="{TOP + 70}" class="det {kind}">'
                     f'<title>{escape(outcome)} at {t:.3f} s</title></line>')
    names = {"tp": "detections on a wake word", "fp": "false positives", "fpd": "debounced false detections",
             "sync": "sync pulse", "un": "unscored detections"}
    legend = ", ".join(f"{counts[k]} {names[k]}" for k in ("sync", "tp", "fp", "fpd", "un") if counts.get(k))
    title = f"{stream['name']}: {legend or 'no detections'}" + ("" if windows else " (truth windows not in the bundle)")
    body = "".join(parts)
    return Markup(f'<svg class="chart timeline" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">'
                  f"<title>{escape(title)}</title>{body}</svg><p class=\"legend\">{escape(title)}</p>")
