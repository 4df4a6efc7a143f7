"""Stream mode (sww01): a long wav in, detections and per-frame duty cycle out, scored on the host.

MLPerf Tiny measures sww01 in one run over the 20-minute stream: the device computes a
frame every 32 ms, pulses a pin for each detection, and the interface board timestamps
the pulses (ms) and the Processing pin's first 100 edges (10-µs ticks); the host scores.
tinybench reproduces that shape for every target:

* the target's raw facts per frame (outputs, inference time, cycles, modelled energy;
  :mod:`tinybench.modes.stream_frames`) are placed on a virtual device clock (frame k
  arrives at (k + 1) × 32 ms) and turned into exactly the records the board keeps
  (:mod:`tinybench.workloads.sww_detection`);
* from those records the runner's figures are computed once, here: TP/FN/FP with their
  times (:mod:`tinybench.workloads.metrics.sww_scoring`), duty cycle, period and
  throughput = 1 / mean processing time over the first 100 frames (as the board
  records them), plus the same over every frame, the per-frame latency distribution and
  the real-time factor (time to process the stream back to back ÷ its duration).

A serial DUT behind an interface board delivers the board's records directly and
reaches the same analysis (:func:`analyse_records`; :mod:`tinybench.modes.stream_serial`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tinybench.modes.outcome import ModeOutcome, Quantity
from tinybench.modes.stream_frames import FrameFacts, feed_stream
from tinybench.progress import Progress
from tinybench.rules import RuleCheck, RulesProfile
from tinybench.statistics import PERCENTILE_METHOD, histogram, summarize
from tinybench.targets.contract import ClockSource, Target
from tinybench.targets.power.contract import PowerMonitor
from tinybench.energy_accounting import counter_window_energy
from tinybench.workloads.metrics.sww_scoring import (
    CLOSED_MAX_FN,
    CLOSED_MAX_FP,
    CLOSED_WAKE_WORDS,
    DetectionScore,
    DutyCycle,
    duty_cycle,
    score_detections,
)
from tinybench.workloads.model_artifact import ModelArtifact
from tinybench.workloads.sww_detection import (
    BOARD_TICK_S,
    DetectionRule,
    board_detections,
    board_duty_record,
    device_schedule,
    pulse_frames,
)
from tinybench.workloads.sww_frontend import FRAME_S, SAMPLE_RATE, Variant

OFFICIAL_LENGTH_S = 1200.0
SYNTHETIC_SECONDS = {"quick": 10.0}  # by rules profile; otherwise the official stream's length
SYNTHETIC_SEED = 1301
TRUTH_FILE = "stream_truth.csv"  # reports/sww_truth.py reads it (stream, window, start_s, stop_s)
SCORING_DEFINITION = ("MLPerf Tiny runner (streaming_ww_utils.calc_detection_stats): times from the sync pulse; "
                      "TP if a detection falls in [start, stop + 1 s + 1 s] (all matches consumed, windows in file "
                      "order); remaining detections are false positives, debounced greedily over 1 s")
TIMING = ("front end: the whole stream vectorised (byte-identical to frame by frame), wall-clock time shared "
          "equally by the frames; model: each frame's inference timed by the target. Processing time per frame = "
          "both (simulated accelerators: the modelled inference only). Frames are placed on a device clock "
          "(frame k arrives at (k+1)·32 ms) and recorded as the interface board does (ms detections, 10-µs edges)")


@dataclass(frozen=True)
class StreamInput:
    """One stream to run: int16 samples (16 kHz, channel 0) and what is known of its wake words."""

    name: str
    samples: np.ndarray
    windows: tuple[tuple[float, float], ...]  # truth windows (s); () for a stream without wake words
    origin: str  # "dataset" or "synthetic"
    sha256: str | None = None
    channels: int = 1
    declared_length_s: float | None = None

    @property
    def seconds(self) -> float:
        return self.samples.size / SAMPLE_RATE

    @property
    def official(self) -> bool:
        """Shaped like the official long stream (the checker's TP + FN = 50, 20 minutes)."""
        return self.origin == "dataset" and len(self.windows) == CLOSED_WAKE_WORDS and \
            abs(self.seconds - OFFICIAL_LENGTH_S) < 1.0


@dataclass
class StreamRecords:
    """What the interface board records of one run (the serial flow's raw facts), plus what
    an in-process target adds (every frame)."""

    detections_ms: list[int]  # the sync pulse first
    duty_start_ticks: list[int]  # first ≤ 100 rising edges of the Processing pin (10 µs)
    duty_stop_ticks: list[int]
    frames: pd.DataFrame | None = None  # per frame: start_s, stop_s, processing_s, outputs … (in-process targets)
    detection_frames: list[int | None] | None = None  # the frame behind each stored detection, where known


def synthetic_input(rules: RulesProfile) -> StreamInput:
    from tinybench.workloads.datasets.sww_stream import synthetic_stream

    seconds = SYNTHETIC_SECONDS.get(rules.name, OFFICIAL_LENGTH_S)
    return StreamInput(f"synthetic-{seconds:g}s", synthetic_stream(seconds, SYNTHETIC_SEED), (), "synthetic")


def dataset_inputs(dataset) -> list[StreamInput]:  # noqa: ANN001 - a StreamDataset
    inputs = []
    for truth in dataset.streams:
        audio = dataset.audio(truth)
        inputs.append(StreamInput(truth.wav_file, audio.samples, truth.windows, "dataset", audio.sha256,
                                  audio.channels, truth.length_s))
    return inputs


def frame_records(facts: FrameFacts, rule: DetectionRule) -> tuple[StreamRecords, np.ndarray]:
    """An in-process target's frames → the board's records; returns them and the processing times (s)."""
    frontend_in = facts.clock_source != ClockSource.SIMULATED_CYCLES
    processing = facts.model_s + (facts.frontend_per_frame_s if frontend_in else 0.0)
    start, stop = device_schedule(processing)
    wake = facts.outputs[:, rule.output_index]
    fires = rule.fires(wake)
    pulses = pulse_frames(fires)
    kept, stamps = board_detections(stop[pulses])
    duty_start, duty_stop = board_duty_record(start, stop)
    table = pd.DataFrame({"frame": np.arange(facts.frames, dtype=np.int32), "start_s": start, "stop_s": stop,
                          "processing_s": processing, "model_s": facts.model_s,
                          "frontend_s": np.full(facts.frames, facts.frontend_per_frame_s if frontend_in else np.nan),
                          "fired": fires})
    for i in range(facts.outputs.shape[1]):
        table[f"out{i}"] = facts.outputs[:, i]
    if facts.cycles is not None:
        table["cycles"] = facts.cycles
    if facts.modelled_energy_j is not None:
        table["energy_j"] = facts.modelled_energy_j
    return StreamRecords(stamps, duty_start, duty_stop, table, [int(pulses[i]) for i in kept]), processing


def analyse_records(records: StreamRecords, stream: StreamInput, scored: bool) -> dict:
    """The runner's figures from the board's records of one stream."""
    result: dict = {"detections": len(records.detections_ms)}
    ticks = BOARD_TICK_S  # the runner converts with np.array(ticks) * 10e-6
    result["duty"] = duty_cycle(np.asarray(records.duty_start_ticks) * ticks, np.asarray(records.duty_stop_ticks) * ticks)
    result["score"] = score_detections(records.detections_ms, stream.windows) if scored else None
    return result


def run_stream(target: Target, model: ModelArtifact, streams: list[StreamInput], rules: RulesProfile,
               progress: Progress, monitor: PowerMonitor | None = None, energy_unavailable: str | None = None,
               variant: Variant = Variant.FIRMWARE) -> ModeOutcome:
    """Run every stream through `target` (model loaded) and score it."""
    if hasattr(target, "play_stream"):  # a device behind the interface board: the board's records are the facts
        from tinybench.modes.stream_serial import run_serial_stream

        return run_serial_stream(target, model, streams, rules, progress, monitor, energy_unavailable)
    rule = DetectionRule.for_output(model.output)
    scored = model.trained
    per_stream, frame_tables, detection_rows, duty_rows = [], [], [], []
    facts_list: list[FrameFacts] = []
    for number, stream in enumerate(streams):
        frames = stream.samples.size // 512
        task = progress.task(f"stream {stream.name}: {frames} frames", total=frames)
        try:
            counter = monitor if monitor is not None and not monitor.uses_timestamp_events else None
            facts = feed_stream(target, model, stream.samples, variant, task, counter)
        finally:
            task.finish()
        records, processing = frame_records(facts, rule)
        figures = analyse_records(records, stream, scored)
        facts_list.append(facts)
        per_stream.append(_stream_details(stream, facts, records, figures, processing,
                                          f"the {model.source} model is untrained: its detections mean nothing"))
        frame_tables.append(records.frames.assign(stream=np.int16(number)))
        outcome = figures["score"].outcome if figures["score"] else ["sync"] + ["unscored"] * (len(records.detections_ms) - 1)
        wake = facts.outputs[:, rule.output_index]
        for i, (stamp, frame) in enumerate(zip(records.detections_ms, records.detection_frames)):
            detection_rows.append({"stream": number, "index": i, "time_ms": stamp,
                                   "from_sync_s": (stamp - records.detections_ms[0]) / 1000, "frame": frame,
                                   "wake_output": wake[frame].item(), "outcome": outcome[i]})
        for edge, (a, b) in enumerate(zip(records.duty_start_ticks, records.duty_stop_ticks)):
            duty_rows.append({"stream": number, "edge": edge, "start_ticks": a, "stop_ticks": b})
    return _outcome(streams, facts_list, per_stream, frame_tables, detection_rows, duty_rows, rule, scored, model,
                    rules, monitor, energy_unavailable, variant)


def _score_json(score: DetectionScore | None, unscored_reason: str) -> dict:
    if score is None:
        return {"status": "not_scored", "reason": unscored_reason}
    return {"status": "scored", "true_positives": score.tp, "false_negatives": score.fn, "false_positives": score.fp,
            "f1": score.f1, "true_positive_starts_s": score.true_positives_s,
            "false_negative_starts_s": score.false_negatives_s, "false_positives_s": score.false_positives_s}


def _duty_json(duty: DutyCycle) -> dict:
    return {"frames": duty.frames, "duty_cycle": duty.duty_cycle, "period_ms": duty.period_s * 1e3,
            "processing_time_ms": duty.processing_time_s * 1e3, "throughput_inf_s": duty.throughput_inf_s,
            "period_variation": duty.period_variation}


def _stream_details(stream: StreamInput, facts: FrameFacts, records: StreamRecords, figures: dict,
                    processing: np.ndarray, unscored_reason: str) -> dict:
    start, stop = records.frames["start_s"].to_numpy(), records.frames["stop_s"].to_numpy()
    return {
        "wav_file": stream.name, "origin": stream.origin, "sha256": stream.sha256, "channels": stream.channels,
        "seconds": stream.seconds, "declared_length_s": stream.declared_length_s, "frames": facts.frames,
        "truth_windows": len(stream.windows), "official_long_stream": stream.official,
        "pulses": int(records.frames["fired"].sum()) + 1, "detections_recorded": len(records.detections_ms),
        "overruns": int(np.count_nonzero(processing > FRAME_S)), "features_wrapped": facts.features_wrapped,
        "board_duty_cycle": _duty_json(figures["duty"]), "all_frames_duty_cycle": _duty_json(duty_cycle(start, stop)),
        "elapsed_s": facts.elapsed_s, "frontend_total_s": facts.frontend_total_s,
        "scoring": _score_json(figures["score"], unscored_reason),
    }


def _energy(facts_list: list[FrameFacts], streams: list[StreamInput], monitor: PowerMonitor | None,
            unavailable: str | None) -> dict:
    seconds = sum(s.seconds for s in streams)
    frames = sum(f.frames for f in facts_list)
    if all(f.modelled_energy_j is not None for f in facts_list):
        energy = float(sum(f.modelled_energy_j.sum() for f in facts_list))
        return {"status": "modelled", "instrument": "target energy model", "energy_j": energy, "frames": frames,
                "power_mw": energy / seconds * 1e3,
                "definition": "modelled energy of every frame's inference, spread over the stream's duration "
                              "(idle power between frames and the front end are not modelled)"}
    if all(f.counter is not None for f in facts_list):
        energies = [counter_window_energy(f.counter, f.elapsed_s) for f in facts_list]
        if any(not e.valid for e in energies):
            return {"status": "not_measured", "reason": "; ".join(p for e in energies for p in e.problems)}
        energy = float(sum(e.energy_j for e in energies))
        busy = float(sum(f.elapsed_s for f in facts_list))
        return {"status": "measured", "instrument": monitor.name if monitor else "counter", "energy_j": energy,
                "frames": frames, "power_mw": energy / busy * 1e3,
                "definition": "energy counter read around the front end and every frame, processed back to back "
                              "(not paced in real time): the power of the busy processor, not MLPerf Tiny's power "
                              "over the 20-minute stream"}
    problems = [f.energy_problem for f in facts_list if f.energy_problem]
    if problems:
        return {"status": "not_measured", "reason": problems[0]}
    if monitor is not None:
        return {"status": "not_measured", "reason": f"{monitor.name} records timestamped samples; on a stream it "
                "needs a device driven through the interface board (the serial flow)"}
    return {"status": "not_measured", "reason": unavailable or "no energy source for this target"}


def _outcome(streams, facts_list, per_stream, frame_tables, detection_rows, duty_rows, rule, scored, model, rules,
             monitor, energy_unavailable, variant) -> ModeOutcome:  # noqa: ANN001, PLR0913
    first = per_stream[0]
    processing = np.concatenate([t["processing_s"].to_numpy() for t in frame_tables])
    model_s = np.concatenate([t["model_s"].to_numpy() for t in frame_tables])
    board = first["board_duty_cycle"]
    seconds = sum(s.seconds for s in streams)
    simulated = facts_list[0].clock_source == ClockSource.SIMULATED_CYCLES
    busy = float(processing.sum()) if simulated else float(sum(f.elapsed_s for f in facts_list))
    metrics = {
        "duty_cycle": Quantity(board["duty_cycle"], "fraction"),
        "period_mean": Quantity(board["period_ms"], "ms"),
        "processing_time_mean": Quantity(board["processing_time_ms"], "ms"),
        "throughput": Quantity(board["throughput_inf_s"], "inf/s"),
        "duty_cycle_all_frames": Quantity(first["all_frames_duty_cycle"]["duty_cycle"], "fraction"),
        "real_time_factor": Quantity(busy / seconds, "unitless"),
        "frames": Quantity(float(processing.size), "count"),
    }
    if scored:  # an untrained model's detections are facts in the files, never figures
        metrics.update(quality_checks(per_stream)[1])
    energy = _energy(facts_list, streams, monitor, energy_unavailable)
    if energy["status"] in ("measured", "modelled"):
        metrics["power_average"] = Quantity(energy["power_mw"], "mW")
        metrics["energy_per_frame"] = Quantity(energy["energy_j"] / energy["frames"] * 1e6, "uJ/frame")
    checks = _checks(streams, per_stream, scored, rules, simulated)
    summary = summarize(processing).scaled(1e3)
    details = {
        "clock_source": facts_list[0].clock_source.value,
        "frontend": {"variant": variant.value, "vectorised": True, "in_processing_time": not simulated,
                     "per_frame_ms": None if simulated else facts_list[0].frontend_per_frame_s * 1e3,
                     "features_wrapped": sum(f.features_wrapped for f in facts_list)},
        "detection_rule": rule.to_json(),
        "timing": TIMING,
        "per_frame_latency": {**summary.to_json(), "percentile_method": PERCENTILE_METHOD, "unit": "ms"},
        "model_latency": {**summarize(model_s).scaled(1e3).to_json(), "unit": "ms"},
        "histogram_ms": histogram(processing * 1e3),
        "scoring_definition": SCORING_DEFINITION,
        "energy": energy,
        "streams": per_stream,
    }
    tables = {"stream_frames.parquet": pd.concat(frame_tables, ignore_index=True),
              "stream_detections.csv": pd.DataFrame(detection_rows, columns=["stream", "index", "time_ms", "from_sync_s",
                                                                             "frame", "wake_output", "outcome"]),
              "stream_dutycycle.csv": pd.DataFrame(duty_rows, columns=["stream", "edge", "start_ticks", "stop_ticks"])}
    if scored:
        tables[TRUTH_FILE] = truth_table(streams)
    return ModeOutcome(mode="stream", status="measured", metrics=metrics, checks=checks, details=details,
                       tables=tables)


def truth_table(streams: list[StreamInput]) -> pd.DataFrame:
    """`stream_truth.csv`: the truth windows (s) each stream was scored against, so a reader can re-score."""
    rows = [(number, i, float(start), float(stop)) for number, stream in enumerate(streams)
            for i, (start, stop) in enumerate(stream.windows)]
    return pd.DataFrame(rows, columns=["stream", "window", "start_s", "stop_s"])


def stream_checks(streams: list[StreamInput], scored: bool, rules: RulesProfile) -> list[RuleCheck]:
    """The checks every target's stream shares: rules profile, official stream, trained model."""
    official = all(s.official for s in streams)
    return [
        RuleCheck("profile", rules.submission,
                  f"rules profile '{rules.name}'" + ("" if rules.submission else " is for smoke runs only")),
        RuleCheck("official_stream", official,
                  "the official 20-minute stream with 50 wake words" if official else
                  "not the official long stream (" + ", ".join(f"{s.name}: {len(s.windows)} wake words, "
                                                               f"{s.seconds:.1f} s" for s in streams) + ")"),
        RuleCheck("trained_model", scored, "detections scored" if scored else "untrained model: detections not scored"),
    ]


def quality_checks(per_stream: list[dict]) -> tuple[RuleCheck, dict[str, Quantity]]:
    """The closed quality target over the scored streams, and the TP/FN/FP/F1 metrics."""
    tp, fn, fp = (sum(s["scoring"][k] for s in per_stream)
                  for k in ("true_positives", "false_negatives", "false_positives"))
    metrics = {"true_positives": Quantity(tp, "count"), "false_negatives": Quantity(fn, "count"),
               "false_positives": Quantity(fp, "count")}
    if 2 * tp + fp + fn:
        metrics["f1"] = Quantity(2 * tp / (2 * tp + fp + fn), "fraction")
    check = RuleCheck("quality_target", fp <= CLOSED_MAX_FP and fn <= CLOSED_MAX_FN,
                      f"{fp} false positives, {fn} false negatives (at most {CLOSED_MAX_FP} of each)")
    return check, metrics


def _checks(streams: list[StreamInput], per_stream: list[dict], scored: bool, rules: RulesProfile,
            simulated: bool) -> list[RuleCheck]:
    checks = [
        *stream_checks(streams, scored, rules),
        RuleCheck("real_time", all(s["overruns"] == 0 for s in per_stream),
                  "every frame processed within its 32 ms" if all(s["overruns"] == 0 for s in per_stream) else
                  f"{sum(s['overruns'] for s in per_stream)} frames took longer than 32 ms"),
        RuleCheck("frontend_timed", not simulated, "feature extraction is included in the processing time"
                  if not simulated else "the simulated accelerator models the network only; the front end is not timed"),
    ]
    if scored:
        checks.append(quality_checks(per_stream)[0])
    return checks
