"""Performance mode: the MLPerf Tiny single-stream rule.

`windows` windows, one input each; before each window `warmup_per_window` untimed
inferences; each window runs N iterations calibrated (from a probe) to last at least
`min_window_s`. Throughput per window = N ÷ window time; the result is the median
throughput, and latency = 1 ÷ median throughput. Where the target times every
inference, their distribution (over all windows) is summarised as well.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from tinybench import calibration
from tinybench.modes.outcome import ModeOutcome, Quantity
from tinybench.progress import Progress
from tinybench.rules import RuleCheck, RulesProfile
from tinybench.statistics import PERCENTILE_METHOD, histogram, median, summarize, throughput
from tinybench.errors import TinybenchError
from tinybench.targets.contract import InferReport, ModelInput, Target

MAX_ATTEMPTS = 3  # runs of one window before accepting that it is short


def run_performance(target: Target, inputs: Sequence[ModelInput], rules: RulesProfile,
                    progress: Progress) -> ModeOutcome:
    """Measure `target` (model already loaded) on `inputs`, one per window.

    If a window fails (the device resets, stalls, answers garbage), the windows already
    measured are kept in the outcome, which is marked failed with the reason.
    """
    if not inputs:
        raise ValueError("performance mode needs at least one input")
    task = progress.task("calibrating", total=rules.windows)
    first = inputs[0]

    def run_probe(n: int) -> float:
        return target.infer(first.tensor, n, warmup=1, raw=first.raw).window_s

    probe = calibration.probe(run_probe, rules.probe_s)
    iterations = calibration.iterations_for(probe.seconds_per_inference, rules.min_window_s, rules.margin)
    windows: list[dict] = []
    reports: list[InferReport] = []
    try:
        _measure_windows(target, inputs, rules, iterations, task, windows, reports)
    except TinybenchError as exc:
        task.finish()
        if not windows:
            raise
        partial = _outcome(windows, reports, rules, probe)
        partial.status = "failed"
        partial.reason = f"window {len(windows) + 1} failed: {exc.one_line()} ({len(windows)} windows kept)"
        partial.metrics = {}
        return partial
    task.finish()
    return _outcome(windows, reports, rules, probe)


def _measure_windows(target: Target, inputs: Sequence[ModelInput], rules: RulesProfile, iterations: int, task,
                     windows: list[dict], reports: list[InferReport]) -> None:  # noqa: ANN001
    for index in range(rules.windows):
        sample = inputs[index % len(inputs)]
        sample_id = sample.sample_id
        task.describe(f"window {index + 1}/{rules.windows} · {iterations} inferences")
        attempts = 0
        while True:
            attempts += 1
            report = target.infer(sample.tensor, iterations, rules.warmup_per_window, raw=sample.raw)
            if report.window_s >= rules.min_window_s or attempts >= MAX_ATTEMPTS:
                break
            iterations = calibration.rescale(iterations, report.window_s, rules.min_window_s, rules.margin)
            task.describe(f"window {index + 1}/{rules.windows} was short; again with {iterations}")
        reports.append(report)
        windows.append({
            "window": index,
            "sample_id": sample_id,
            "iterations": report.iterations,
            "warmup": report.warmup,
            "elapsed_s": report.window_s,
            "throughput_inf_s": throughput(report.iterations, report.window_s),
            "attempts": attempts,
        })
        task.advance()


def _outcome(windows: list[dict], reports: list[InferReport], rules: RulesProfile,
             probe: calibration.Probe) -> ModeOutcome:
    table = pd.DataFrame(windows)
    median_throughput = median(table["throughput_inf_s"])
    metrics = {
        "throughput_median": Quantity(median_throughput, "inf/s"),
        "latency_median": Quantity(1e3 / median_throughput, "ms"),
    }
    details: dict = {
        "clock_source": reports[0].clock_source.value,
        "windows": windows,
        "calibration": {
            "probe_iterations": probe.iterations,
            "probe_s": probe.window_s,
            "probe_seconds_per_inference": probe.seconds_per_inference,
        },
    }
    tables = {"performance_windows.csv": table}
    per_inference = [r.per_inference_s for r in reports]
    if all(p is not None for p in per_inference):
        samples = np.concatenate(per_inference)
        summary = summarize(samples).scaled(1e3)
        details["per_inference_latency"] = {"unit": "ms", **summary.to_json(),
                                            "percentile_method": PERCENTILE_METHOD,
                                            "histogram_ms": histogram(samples * 1e3)}
        tables["performance_inferences.parquet"] = pd.DataFrame({
            "window": np.concatenate([np.full(len(p), i, dtype=np.int16) for i, p in enumerate(per_inference)]),
            "latency_ns": _compact(np.round(samples * 1e9).astype(np.int64)),
        })
    return ModeOutcome(mode="performance", status="measured", metrics=metrics,
                       checks=performance_checks(table, rules), details=details, tables=tables)


def _compact(values: np.ndarray) -> np.ndarray:
    """int32 when every value fits (under 2.1 s), which halves the stored samples."""
    return values.astype(np.int32) if values.size and values.max() < 2**31 else values


def performance_checks(table: pd.DataFrame, rules: RulesProfile) -> list[RuleCheck]:
    """The MLPerf Tiny performance rules, checked on what was measured."""
    shortest = float(table["elapsed_s"].min())
    count = len(table)
    return [
        RuleCheck("profile", rules.submission,
                  f"rules profile '{rules.name}'" + ("" if rules.submission else " is for smoke runs only")),
        RuleCheck("windows", count >= 5, f"{count} windows (at least 5 required)"),
        RuleCheck("window_duration", shortest >= 10.0,
                  f"shortest window {shortest:.3f} s (each must be ≥ 10 s)"),
    ]
