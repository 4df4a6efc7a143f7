"""Energy mode (MLPerf Tiny rules): µJ per inference from a power monitor.

`windows` windows, one input each, each calibrated to last ≥ `min_window_s`. A
sample-stream monitor (LPM01A, Joulescope) sees the DUT's timestamp events: the
window's time and energy are those between its last two events. A counter monitor
(RAPL) is read around the window, whose time is the target's own. Per window:
E/inference = E / N and P = E / t; the result is the median µJ/inference and the
average power (ΣE / Σt). The instrument, sample rate and supply voltage are recorded,
and each window's samples are kept as a trace.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from tinybench import calibration
from tinybench.energy_accounting import WindowEnergy, counter_window_energy, sample_window_energy
from tinybench.errors import TinybenchError
from tinybench.modes.outcome import ModeOutcome, Quantity
from tinybench.progress import Progress
from tinybench.rules import RuleCheck, RulesProfile
from tinybench.statistics import median
from tinybench.targets.contract import ModelInput, Target
from tinybench.targets.power.contract import MonitorError, MonitorInfo, PowerMonitor, SampleCapture

MAX_ATTEMPTS = 3
EVENT_TIMEOUT_S = 10.0


class EnergyWindowError(TinybenchError):
    pass


def measure_window(target: Target, monitor: PowerMonitor, sample: ModelInput, iterations: int,
                   warmup: int, verify: bool = True) -> tuple[WindowEnergy, SampleCapture | None]:
    monitor.begin_window()
    report = target.infer(sample.tensor, iterations, warmup, raw=sample.raw)
    try:
        capture = monitor.end_window(expected_events=2, timeout_s=EVENT_TIMEOUT_S, verify=verify)
    except MonitorError as exc:
        raise EnergyWindowError(f"power monitor: {exc}") from exc
    if isinstance(capture, SampleCapture):
        return sample_window_energy(capture), capture
    return counter_window_energy(capture, report.window_s), None


def run_energy(target: Target, monitor: PowerMonitor, info: MonitorInfo, inputs: Sequence[ModelInput],
               rules: RulesProfile, progress: Progress) -> ModeOutcome:
    task = progress.task("energy: calibrating", total=rules.windows)
    first = inputs[0]

    def probe_once(n: int) -> float:
        energy, _ = measure_window(target, monitor, first, n, 1, verify=False)
        if not energy.valid:  # bad monitor data during calibration is as fatal as during a window
            raise EnergyWindowError("energy probe: " + "; ".join(energy.problems))
        return energy.duration_s

    rows: list[dict] = []
    traces: list[pd.DataFrame] = []
    try:
        probe = calibration.probe(probe_once, rules.probe_s)
        iterations = calibration.iterations_for(probe.seconds_per_inference, rules.min_window_s, rules.margin)
        for index in range(rules.windows):
            sample = inputs[index % len(inputs)]
            task.describe(f"energy window {index + 1}/{rules.windows} · {iterations} inferences")
            for attempt in range(1, MAX_ATTEMPTS + 1):
                energy, capture = measure_window(target, monitor, sample, iterations, rules.warmup_per_window)
                too_short = energy.duration_s is not None and energy.duration_s < rules.min_window_s
                if not too_short or attempt == MAX_ATTEMPTS:
                    break
                iterations = calibration.rescale(iterations, energy.duration_s, rules.min_window_s, rules.margin)
            if not energy.valid:
                raise EnergyWindowError(f"window {index + 1}: " + "; ".join(energy.problems))
            rows.append(_row(index, sample.sample_id, iterations, energy, attempt))
            if capture is not None:
                traces.append(pd.DataFrame({"window": np.int16(index), "sample": np.arange(len(capture.samples_j)),
                                            "energy_j": capture.samples_j,
                                            "in_window": (np.arange(len(capture.samples_j)) >= energy.first_sample)
                                            & (np.arange(len(capture.samples_j)) < energy.last_sample)}))
            task.advance()
    except TinybenchError as exc:
        task.finish()
        if not rows:
            raise
        outcome = _outcome(rows, traces, info, rules)
        outcome.status, outcome.metrics = "failed", {}
        outcome.reason = f"{exc.one_line()} ({len(rows)} windows kept)"
        return outcome
    task.finish()
    return _outcome(rows, traces, info, rules)


PREVIEW_POINTS = 200


def _previews(traces: list[pd.DataFrame], rate: float) -> list[dict]:
    """Each window's power (mW) in at most 200 points, with where its timed region starts and ends (s)."""
    previews = []
    for trace in traces:
        energy = trace["energy_j"].to_numpy()
        if energy.size == 0:
            continue
        buckets = np.array_split(np.arange(energy.size), min(PREVIEW_POINTS, energy.size))
        inside = np.flatnonzero(trace["in_window"].to_numpy())
        previews.append({
            "window": int(trace["window"].iloc[0]),
            "t_s": [float(b[0] / rate) for b in buckets],
            "power_mw": [float(energy[b].mean() * rate * 1e3) for b in buckets],
            "t0_s": float(inside[0] / rate) if inside.size else None,
            "t1_s": float((inside[-1] + 1) / rate) if inside.size else None,
        })
    return previews


def _row(index: int, sample_id: str, iterations: int, energy: WindowEnergy, attempts: int) -> dict:
    return {
        "window": index,
        "sample_id": sample_id,
        "iterations": iterations,
        "duration_s": energy.duration_s,
        "energy_j": energy.energy_j,
        "uj_per_inference": energy.energy_j / iterations * 1e6,
        "power_mw": energy.energy_j / energy.duration_s * 1e3 if energy.duration_s else None,
        "attempts": attempts,
    }


def _outcome(rows: list[dict], traces: list[pd.DataFrame], info: MonitorInfo, rules: RulesProfile) -> ModeOutcome:
    table = pd.DataFrame(rows)
    total_e, total_t = float(table["energy_j"].sum()), float(table["duration_s"].sum())
    metrics = {
        "energy_per_inference_median": Quantity(median(table["uj_per_inference"]), "uJ/inf"),
        "power_average": Quantity(total_e / total_t * 1e3, "mW"),
    }
    shortest = float(table["duration_s"].min())
    checks = [
        RuleCheck("profile", rules.submission,
                  f"rules profile '{rules.name}'" + ("" if rules.submission else " is for smoke runs only")),
        RuleCheck("windows", len(table) >= 5, f"{len(table)} windows (at least 5 required)"),
        RuleCheck("window_duration", shortest >= 10.0, f"shortest window {shortest:.3f} s (each must be ≥ 10 s)"),
    ]
    if str(info.details.get("stream", "")).startswith("event-driven"):
        checks.append(RuleCheck("instrument", False, f"{info.instrument}: the sample stream followed a DUT "
                                "emulator's virtual clock, not real time"))
    elif info.details.get("kind") == "model":
        checks.append(RuleCheck("instrument", False, f"{info.instrument}: energy is modelled, not measured"))
    elif info.sample_rate_hz is None:
        checks.append(RuleCheck("instrument", False, f"{info.instrument} reads a counter, not a timestamped "
                                "sample stream: the window includes host activity (not a MLPerf Tiny measurement)"))
    tables = {"energy_windows.csv": table}
    if traces:
        tables["energy_trace.parquet"] = pd.concat(traces, ignore_index=True)
    details = {"instrument": info.to_json(), "windows": rows, "trace_preview": _previews(traces, info.sample_rate_hz or 1000.0),
               "definition": "energy between the last two timestamp events of each window ÷ iterations "
                             "(counter monitors: around the window); median over windows"}
    return ModeOutcome(mode="energy", status="measured", metrics=metrics, checks=checks, details=details,
                       tables=tables)
