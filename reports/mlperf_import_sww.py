"""Published MLPerf Tiny sww (streaming wake word) results → a tinybench `stream` block.

The published layout is `{closed,open}/<org>/results/<system>/sww/{energy,performance}/`
with `results.txt`, `log.txt` and (sometimes) `results.json`. `results.txt` ends with the
runner's four stream lines (`R/main.py:summarize_sww_result`, formats `{:1.5}`):

    Accuracy: 44 True positives, 6 False negatives, 4 False positives
    Average duty cycle: 0.56085
    Average period: 0.031987 s
    Estimated throughput: 55.742 inf./sec.

and an energy run adds the power monitor's lines before them (`Elapsed time  : 1200.002`,
`Inferences    : 1`, `Power         : 25.6220 mW.`, `Total Energy  : … uJ`,
`Energy/Inf    : … uJ/inf`, `Median energy cost is … uJ/inf.`).

Every figure printed is kept, equal to the text: values are parsed as decimals, and the
period (printed in s) is stored in ms by moving the decimal point (`0.031987 s` → `31.987`
ms, the nearest double to the printed decimal). Derived, and said so in `published`:
F1 = 2TP / (2TP + FP + FN) (the MLPerf checker's accuracy column) and the mean processing
time 1000 / throughput (ms; the MLPerf final report's "latency" for sww). Where
`results.json` carries the detections and the truth windows, they are kept (bounded) and
re-scored with tinybench's scorer (:func:`score_detections`, the runner's own rules): the
verdict is a check on the block, never a replacement of the published figures.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

from tinybench.reports.safe_json import Refusal, load_untrusted
from tinybench.workloads.metrics.sww_scoring import CLOSED_MAX_FN, CLOSED_MAX_FP, CLOSED_WAKE_WORDS

NUMBER = r"(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)"  # `{:1.5}` prints 1.2346e+05 for large values
PATTERNS = {  # metric → (pattern, unit); the MLCommons checker's own patterns where it has one
    "throughput": (rf"Estimated throughput:\s*{NUMBER} inf\./sec\.", "inf/s"),
    "duty_cycle": (rf"Average duty cycle:\s*{NUMBER}", "fraction"),
    "period_mean": (rf"Average period:\s*{NUMBER} s", "ms"),
    "power_average": (rf"Power\s*: {NUMBER} mW", "mW"),
    "energy_elapsed": (rf"Elapsed time\s*: {NUMBER}", "s"),
    "energy_inferences": (rf"Inferences\s*: {NUMBER}", "count"),
    "energy_total": (rf"Total Energy\s*: {NUMBER} uJ", "uJ"),
    "energy_per_inference": (rf"Energy/Inf\s*: {NUMBER} uJ/inf", "uJ/inf"),
    "energy_per_inference_median": (rf"Median energy cost is {NUMBER} uJ/inf", "uJ/inf"),
}
ACCURACY = re.compile(r"Accuracy: (\d+) True positives, (\d+) False negatives, (\d+) False positives")
MAX_DETECTIONS = 10_000  # the interface board stores at most 10,000 (MAX_TIMESTAMPS)
MAX_WINDOWS = 10_000
MAX_JSON = 16 * 1024 * 1024  # as the evidence kept (an energy results.json with ~1.2 M power samples is larger)


def _last(pattern: str, text: str) -> Decimal | None:
    found = re.findall(pattern, text)
    for value in reversed(found):
        try:
            number = Decimal(value)
        except InvalidOperation:
            continue
        if number.is_finite() and number < Decimal("1e15"):
            return number
    return None


def sww_figures(text: str) -> dict[str, dict] | None:
    """The stream metrics a sww results.txt prints (None: it prints none of them)."""
    metrics: dict[str, dict] = {}
    counts = ACCURACY.findall(text)
    if counts:
        tp, fn, fp = (int(v[:9]) for v in counts[-1])
        metrics.update(true_positives={"value": tp, "unit": "count"}, false_negatives={"value": fn, "unit": "count"},
                       false_positives={"value": fp, "unit": "count"})
        if 2 * tp + fp + fn:
            metrics["f1"] = {"value": 2 * tp / (2 * tp + fp + fn), "unit": "fraction"}
    for name, (pattern, unit) in PATTERNS.items():
        value = _last(pattern, text)
        if value is None:
            continue
        if name == "period_mean":
            value = value.scaleb(3)  # s → ms, exactly as printed
        exact = int(value) if unit == "count" and value == value.to_integral_value() else float(value)
        metrics[name] = {"value": exact, "unit": unit}
        if name == "throughput" and value > 0:
            metrics["processing_time_mean"] = {"value": 1e3 / float(value), "unit": "ms"}
    return metrics or None


def evidence(path: Path) -> dict:
    """Detections (ms, the sync pulse first) and truth windows (s) from a sww results.json, bounded.

    Returns {} when the file is absent, too large or not in the runner's shape.
    """
    if not path.is_file() or path.is_symlink():
        return {}
    try:
        entries = load_untrusted(path, str(path), MAX_JSON)
    except Refusal:
        return {}
    for entry in entries[:100] if isinstance(entries, list) else []:
        infer = entry.get("infer") if isinstance(entry, dict) else None
        if not isinstance(infer, dict):
            continue
        detections, windows = infer.get("detections"), infer.get("detection_windows")
        if not isinstance(detections, list) or not isinstance(windows, list):
            continue
        if len(detections) > MAX_DETECTIONS or len(windows) > MAX_WINDOWS:
            return {}
        try:
            stamps = [int(v) for v in detections if not isinstance(v, bool)]
            spans = [[float(a), float(b)] for a, b in windows]
        except (TypeError, ValueError, OverflowError):
            return {}
        if len(stamps) != len(detections) or not all(0 <= v < 10**10 for v in stamps) or \
                not all(0 <= a <= b < 1e6 for a, b in spans):
            return {}
        wav, length = infer.get("wav_file"), infer.get("length_sec")
        found = {"detections_ms": stamps, "truth_windows_s": spans, "wav_file": wav[:255] if isinstance(wav, str) else None}
        if isinstance(length, (int, float)) and not isinstance(length, bool) and 0 < length < 1e6:
            found["length_s"] = float(length)
        return found
    return {}


def rescore_check(found: dict, metrics: dict) -> dict | None:
    """The published detections re-scored by tinybench's scorer, compared with the printed counts."""
    from tinybench.reports.sww_bounds import score_bounded
    from tinybench.workloads.metrics.sww_scoring import ScoringError

    if not found.get("detections_ms"):
        return None
    try:
        score = score_bounded(found["detections_ms"], found["truth_windows_s"])
    except ScoringError as exc:
        return {"rule": "rescored", "passed": False, "detail": str(exc)[:400]}
    printed = tuple(metrics.get(k, {}).get("value") for k in ("true_positives", "false_negatives", "false_positives"))
    agree = printed == (score.tp, score.fn, score.fp)
    return {"rule": "rescored", "passed": agree,
            "detail": f"results.json's {len(found['detections_ms'])} detections re-scored by tinybench: {score.tp} TP / "
                      f"{score.fn} FN / {score.fp} FP ({'as printed' if agree else 'results.txt prints %s/%s/%s' % printed})"}


def stream_block(text: str, folder: Path, origin_check: dict) -> dict | None:
    """A measured `stream` block from a sww result folder, or None when results.txt has no sww figure."""
    metrics = sww_figures(text)
    if metrics is None:
        return None
    found = evidence(folder / "results.json")
    checks = [origin_check]
    if "true_positives" in metrics:
        tp, fn, fp = (metrics[k]["value"] for k in ("true_positives", "false_negatives", "false_positives"))
        checks += [{"rule": "fifty_wake_words", "passed": tp + fn == CLOSED_WAKE_WORDS,
                    "detail": f"TP + FN = {tp + fn} ({CLOSED_WAKE_WORDS} on the official long stream)"},
                   {"rule": "quality_target", "passed": fp <= CLOSED_MAX_FP and fn <= CLOSED_MAX_FN,
                    "detail": f"{fp} false positives, {fn} false negatives (at most {CLOSED_MAX_FP} of each)"}]
    if (rescored := rescore_check(found, metrics)) is not None:
        checks.append(rescored)
    published = {"results_folder": folder.name[:100],
                 "derived": "f1 = 2TP/(2TP+FP+FN); processing_time_mean = 1000/throughput ms; period printed in s",
                 **found}
    return {"status": "measured", "reason": None, "metrics": metrics, "checks": checks,
            "valid_for_submission": False, "files": {}, "published": published}


def verify(folder: Path, result: dict, source_text: str) -> list[str]:
    """Problems if an imported sww block differs from the results.txt (and results.json) it keeps."""
    from tinybench.reports.recompute import same

    block = result["modes"].get("stream")
    if block is None:
        return [f"{folder}: an imported sww result without a stream block"]
    expected = sww_figures(source_text) or {}
    problems = []
    for metric in sorted(set(block["metrics"]) | set(expected)):
        mine, theirs = block["metrics"].get(metric, {}).get("value"), expected.get(metric, {}).get("value")
        if not same(mine, theirs):
            problems.append(f"{folder}: stream {metric} {mine} is not what its results.txt says ({theirs})")
    kept = block.get("published", {})
    source = evidence(folder / "source_results.json") if kept.get("detections_ms") is not None else {}
    keys = ("detections_ms", "truth_windows_s", "wav_file", "length_s")
    if any(kept.get(k) != source.get(k) for k in keys):
        problems.append(f"{folder}: the detections in result.json are not those of its source_results.json")
    return problems

