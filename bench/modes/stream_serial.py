"""Stream mode on a serial DUT behind the interface board (sww01's official set-up).

The board plays the stream from its SD card over I2S, timestamps the DUT's wake-word
pulses (ms) and the Processing pin's first 100 edges (10-µs ticks); the DUT's
`stop` may list every frame's wake-word output (the reference firmware does). Those
records are the run's raw facts and go through the same analysis as every other
target (:func:`tinybench.modes.stream.analyse_records`). Energy: the power monitor's
samples between the DUT's two timestamp pulses (`dut start` … `dut stop`), MLPerf
Tiny's window; the reported figure is the mean power over it (mW).

What only an in-process target can know — every frame's processing time (the board
records 100), the front end's share, the frame behind each detection, wrapped
features, the real-time factor — is reported as not measured, with the reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tinybench.energy_accounting import sample_window_energy
from tinybench.errors import TargetError, TinybenchError
from tinybench.modes.outcome import ModeOutcome, Quantity
from tinybench.progress import Progress
from tinybench.rules import RuleCheck, RulesProfile
from tinybench.targets.contract import ClockSource, Target
from tinybench.targets.power.contract import MonitorError, MonitorUnavailable, PowerMonitor, SampleCapture
from tinybench.workloads.metrics.sww_scoring import ScoringError
from tinybench.workloads.model_artifact import ModelArtifact
from tinybench.workloads.sww_detection import DetectionRule
from tinybench.workloads.sww_frontend import frame_count

EVENT_TIMEOUT_S = 10.0
TIMING = ("measured by the interface board: the Processing pin's first 100 rising and falling edges (10-µs ticks of "
          "its TIM2, zeroed by record_detections) and a millisecond timestamp per wake-word pulse; the DUT's own "
          "work per frame (feature extraction and inference) is what the pin covers")
NOT_MEASURED = {
    "per_frame_latency": "the board records the Processing pin of the first 100 frames only (its MAX_FRAMES); "
                         "their on-times are the board's duty cycle, not a distribution over the stream",
    "frontend_share": "feature extraction runs on the device inside the Processing pulse; the pins do not split it",
    "real_time_factor": "the stream is played in real time by the board; the device's idle time is not reported",
    "detection_frames": "the board records times, not frame numbers; a detection's frame is not reported",
    "features_wrapped": "the device's int8 features are not reported",
    "overruns": "frames later than 32 ms are visible only among the first 100 the board records",
}
ENERGY_DEFINITION = ("power monitor samples between the DUT's timestamp pulses at `dut start` and `dut stop` (MLPerf "
                     "Tiny's window: the whole stream plus command latency and the runner's 0.25-s pause); "
                     "power = energy / window duration")


def run_serial_stream(target: Target, model: ModelArtifact, streams: list, rules: RulesProfile, progress: Progress,
                      monitor: PowerMonitor | None = None, energy_unavailable: str | None = None) -> ModeOutcome:
    """Play every stream through the board; analyse the board's records as for any target.

    A stream that fails after others finished fails the mode, and the finished streams' board
    records (detections, Processing edges, activations, truth) are kept in the bundle."""
    synthetic = [s.name for s in streams if s.origin != "dataset"]
    if synthetic:
        raise TargetError(f"the interface board plays wavs from its SD card; {synthetic[0]} exists only on the host",
                          hint="pass --data with the truth JSON of a wav that is on the card (e.g. "
                               "sww_short_test.json beside short_wav_easy10s.wav)")
    rule = DetectionRule.for_output(model.output)
    scored = model.trained
    per_stream, energies, detection_rows, duty_rows, activation_rows = [], [], [], [], []
    for number, stream in enumerate(streams):
        try:
            _play_one(target, model, stream, number, monitor, energy_unavailable, rule, scored, progress,
                      per_stream, energies, detection_rows, duty_rows, activation_rows)
        except TinybenchError as exc:  # keep what the board recorded for the streams that finished
            if not per_stream:
                raise
            return _partial(streams[:number], exc, stream, detection_rows, duty_rows, activation_rows, scored)
    return _outcome(streams, per_stream, energies, detection_rows, duty_rows, activation_rows, rule, scored, rules)


def _play_one(target: Target, model: ModelArtifact, stream, number: int, monitor: PowerMonitor | None,  # noqa: ANN001
              energy_unavailable: str | None, rule: DetectionRule, scored: bool, progress: Progress,
              per_stream: list, energies: list, detection_rows: list, duty_rows: list,
              activation_rows: list) -> None:  # noqa: PLR0913
    """Play one stream and append its records to the lists (only once all of it succeeded)."""
    from tinybench.modes.stream import StreamRecords, analyse_records

    length = stream.declared_length_s or stream.seconds
    task = progress.task(f"stream {stream.name}: playing {length:g} s from the board's SD card", total=1)
    window: dict = {}
    try:
        board = target.play_stream(stream.name, length, *_monitor_window(monitor, window))
    finally:
        task.finish()
    records = StreamRecords(board.detections_ms, board.duty_start_ticks, board.duty_stop_ticks)
    try:
        figures = analyse_records(records, stream, scored)
    except ScoringError as exc:  # no sync pulse, fewer than two Processing edges: nothing reached the board
        raise TargetError(f"stream {stream.name}: the interface board's records cannot be analysed: {exc} "
                          f"({len(board.detections_ms)} detections, {len(board.duty_start_ticks)} rising and "
                          f"{len(board.duty_stop_ticks)} falling Processing edges)",
                          hint="check the wires DUT wake-word pin → board WW_DET_IN and DUT Processing pin → "
                               "board DUT_DUTY_CYCLE, the I2S wires, and that the DUT answered `dut start`") from exc
    energies.append(_window_energy(monitor, window, energy_unavailable))
    per_stream.append(_details(stream, board, figures, model))
    outcome = figures["score"].outcome if figures["score"] else ["sync"] + ["unscored"] * (len(board.detections_ms) - 1)
    for i, stamp in enumerate(board.detections_ms):
        detection_rows.append({"stream": number, "index": i, "time_ms": stamp,
                               "from_sync_s": (stamp - board.detections_ms[0]) / 1000, "frame": None,
                               "wake_output": None, "outcome": outcome[i]})
    for edge, (a, b) in enumerate(zip(board.duty_start_ticks, board.duty_stop_ticks)):
        duty_rows.append({"stream": number, "edge": edge, "start_ticks": a, "stop_ticks": b})
    for frame, value in enumerate(board.activations or []):
        activation_rows.append({"stream": number, "frame": frame, "wake_output": value,
                                "fired": bool(rule.fires(np.array([value]))[0])})


def _partial(finished: list, exc: TinybenchError, failed, detection_rows: list, duty_rows: list,  # noqa: ANN001
             activation_rows: list, scored: bool) -> ModeOutcome:
    """A failed stream mode that keeps the board's records of the streams that finished (raw files only)."""
    from tinybench.modes.stream import TRUTH_FILE, truth_table

    tables = _tables(detection_rows, duty_rows, activation_rows)
    if scored:
        tables[TRUTH_FILE] = truth_table(finished)
    return ModeOutcome(mode="stream", status="failed",
                       reason=f"stream {len(finished) + 1} ({failed.name}) failed: {exc.one_line()} "
                              f"({len(finished)} finished stream{'s' if len(finished) != 1 else ''} kept: their board "
                              "records are in the bundle)",
                       tables=tables)


def _tables(detection_rows: list, duty_rows: list, activation_rows: list) -> dict[str, pd.DataFrame]:
    tables = {"stream_detections.csv": pd.DataFrame(detection_rows, columns=["stream", "index", "time_ms",
                                                                             "from_sync_s", "frame", "wake_output",
                                                                             "outcome"]),
              "stream_dutycycle.csv": pd.DataFrame(duty_rows, columns=["stream", "edge", "start_ticks", "stop_ticks"])}
    if activation_rows:
        tables["stream_activations.csv"] = pd.DataFrame(activation_rows, columns=["stream", "frame", "wake_output",
                                                                                  "fired"])
    return tables


def _monitor_window(monitor: PowerMonitor | None, window: dict) -> tuple:
    """Callbacks around `dut start` … `dut stop` that open and close the monitor's window."""
    if monitor is None or not monitor.uses_timestamp_events:
        return None, None

    def begin() -> None:
        try:
            monitor.begin_window()
        except (MonitorError, MonitorUnavailable) as exc:
            window["problem"] = f"{monitor.name}: {exc}"

    def end() -> None:
        if "problem" in window:
            return
        try:
            window["capture"] = monitor.end_window(expected_events=2, timeout_s=EVENT_TIMEOUT_S)
        except (MonitorError, MonitorUnavailable) as exc:
            window["problem"] = f"{monitor.name}: {exc}"

    return begin, end


def _window_energy(monitor: PowerMonitor | None, window: dict, unavailable: str | None) -> dict:
    if monitor is None:
        return {"status": "not_measured", "reason": unavailable or "no power monitor (use --power lpm01a)"}
    if not monitor.uses_timestamp_events:
        return {"status": "not_measured", "reason": f"{monitor.name} does not see the DUT's timestamp pulses; "
                "the stream's energy window is delimited by them"}
    capture = window.get("capture")
    if not isinstance(capture, SampleCapture):
        return {"status": "not_measured", "reason": window.get("problem", "the power monitor returned no samples")}
    energy = sample_window_energy(capture)
    if not energy.valid or not energy.duration_s:
        return {"status": "not_measured", "reason": "; ".join(energy.problems) or "empty energy window"}
    return {"status": "measured", "instrument": monitor.name, "energy_j": energy.energy_j,
            "duration_s": energy.duration_s, "power_mw": energy.energy_j / energy.duration_s * 1e3}


def _details(stream, board, figures: dict, model: ModelArtifact) -> dict:  # noqa: ANN001
    from tinybench.modes.stream import _duty_json, _score_json

    frames = len(board.activations) if board.activations is not None else frame_count(stream.samples.size)
    return {
        "wav_file": stream.name, "origin": stream.origin, "sha256": stream.sha256, "channels": stream.channels,
        "seconds": stream.seconds, "declared_length_s": stream.declared_length_s, "frames": frames,
        "truth_windows": len(stream.windows), "official_long_stream": stream.official,
        "pulses": None, "detections_recorded": len(board.detections_ms), "overruns": None, "features_wrapped": None,
        "board_duty_cycle": _duty_json(figures["duty"]), "all_frames_duty_cycle": None,
        "elapsed_s": None, "frontend_total_s": None,
        "scoring": _score_json(figures["score"], f"the {model.source} model is untrained: its detections mean nothing"),
    }


def _outcome(streams, per_stream, energies, detection_rows, duty_rows, activation_rows, rule, scored,
             rules) -> ModeOutcome:  # noqa: ANN001, PLR0913
    from tinybench.modes.stream import SCORING_DEFINITION, TRUTH_FILE, quality_checks, stream_checks, truth_table

    board = per_stream[0]["board_duty_cycle"]
    metrics = {
        "duty_cycle": Quantity(board["duty_cycle"], "fraction"),
        "period_mean": Quantity(board["period_ms"], "ms"),
        "processing_time_mean": Quantity(board["processing_time_ms"], "ms"),
        "throughput": Quantity(board["throughput_inf_s"], "inf/s"),
    }
    if scored:
        metrics.update(quality_checks(per_stream)[1])
    energy = energies[0] if len(energies) == 1 else _combined(energies)
    if energy["status"] == "measured":
        metrics["power_average"] = Quantity(energy["power_mw"], "mW")
        metrics["energy_window"] = Quantity(energy["energy_j"], "J")
    energy_json = {("window_s" if k == "duration_s" else k): v for k, v in energy.items()}
    if energy["status"] == "measured":
        energy_json["definition"] = ENERGY_DEFINITION
    recorded = [s["board_duty_cycle"] for s in per_stream]
    on_time_ok = all(d["processing_time_ms"] <= d["period_ms"] for d in recorded)
    checks = [*stream_checks(streams, scored, rules),
              RuleCheck("real_time", on_time_ok, "the frames the board records are processed within their period"
                        if on_time_ok else "the recorded frames take longer than their period"),
              RuleCheck("frontend_timed", True, "the Processing pin covers feature extraction and inference")]
    if scored:
        checks.append(quality_checks(per_stream)[0])
    details = {
        "clock_source": ClockSource.DEVICE_TIMER.value,
        "frontend": {"variant": "device", "in_processing_time": True, "per_frame_ms": None, "features_wrapped": None},
        "detection_rule": {**rule.to_json(), "comparison": "decided on the device (reference firmware: output > "
                                                          "threshold)"},
        "timing": TIMING,
        "per_frame_latency": None,
        "model_latency": None,
        "histogram_ms": None,
        "scoring_definition": SCORING_DEFINITION,
        "energy": energy_json,
        "streams": per_stream,
        "not_measured": NOT_MEASURED,
    }
    tables = _tables(detection_rows, duty_rows, activation_rows)
    if scored:
        tables[TRUTH_FILE] = truth_table(streams)
    return ModeOutcome(mode="stream", status="measured", metrics=metrics, checks=checks, details=details,
                       tables=tables)


def _combined(energies: list[dict]) -> dict:
    missing = [e for e in energies if e["status"] != "measured"]
    if missing:
        return missing[0]
    energy = sum(e["energy_j"] for e in energies)
    duration = sum(e["duration_s"] for e in energies)
    return {"status": "measured", "instrument": energies[0]["instrument"], "energy_j": energy, "duration_s": duration,
            "power_mw": energy / duration * 1e3}
