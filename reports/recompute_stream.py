"""sww01's stream mode recomputed from its raw files (used by `report build` and `submit check`).

From the bundle's own records, with the workload's own functions (nothing re-implemented):

- duty cycle, period, mean processing time and throughput from `stream_dutycycle.csv` (the
  board's first 100 Processing-pin edges, 10-µs ticks) with :func:`sww_scoring.duty_cycle`;
- from `stream_frames.parquet` (every frame, where the target had them): the frame count, the
  per-frame latency statistics, the all-frames duty cycle, overruns (> 32 ms), the detections
  the board would have stored (the detection rule on each frame's output, then
  :func:`sww_detection.board_detections`) — which must be `stream_detections.csv`'s — and, for
  a simulated accelerator, the real-time factor and the modelled energy;
- TP/FN/FP with :func:`sww_scoring.score_detections` (bounded: :mod:`sww_bounds`) from `stream_detections.csv` and the
  truth windows in `stream_truth.csv` (stream, window, start_s, stop_s), where the bundle
  carries them (`submit pack` adds them). Without them the counts are shown as the run
  computed them, said so, checked for consistency with the detections' outcomes, and the
  result is not valid for submission.

The checks are re-derived here (profile, official stream, trained model, real time, front
end timed, quality target); the bundle's own `checks` are never read.
"""

from __future__ import annotations

import numpy as np

from tinybench.reports.bounded_tables import read_csv, read_parquet
from tinybench.reports.recompute import check, profile_check, same, summary_fields
from tinybench.reports.safe_json import Refusal
from tinybench.reports.sww_bounds import score_bounded
from tinybench.statistics import PERCENTILE_METHOD, summarize
from tinybench.workloads.metrics.sww_scoring import (
    CLOSED_MAX_FN,
    CLOSED_MAX_FP,
    CLOSED_WAKE_WORDS,
    ScoringError,
    duty_cycle,
)
from tinybench.workloads.sww_detection import (
    BOARD_MAX_TIMESTAMPS,
    BOARD_TICK_S,
    DetectionRule,
    board_detections,
    board_duty_record,
    device_schedule,
    pulse_frames,
)
from tinybench.workloads.datasets.sww_stream import MAX_STREAM_S
from tinybench.workloads.sww_frontend import FRAME_S, SAMPLE_RATE, frame_count

TRUTH_COLUMNS = {"stream": "int", "window": "int", "start_s": "float", "stop_s": "float"}
FRAME_COLUMNS = {"stream": "int", "frame": "int", "start_s": "float", "stop_s": "float", "processing_s": "float",
                 "model_s": "float", "frontend_s": "float?", "fired": "bool", "out0": "number", "out1": "number",
                 "out2": "number", "cycles": "number", "energy_j": "float"}
OFFICIAL_LENGTH_S = 1200.0
MAX_FRAMES_PER_STREAM = int(MAX_STREAM_S / FRAME_S)  # 225 000: the longest stream a truth file may declare
MAX_SCORED_PAIRS = 50_000_000  # Σ windows × detections over the streams (official: 50 × ≤ 10⁴); ≈ 0.2 s
MAX_FRAMES_TOTAL = 1_000_000  # ≈ 9 h of audio; 13 columns × 8 bytes × 1 M ≈ 100 MB decoded
METRICS = {"duty_cycle", "period_mean", "processing_time_mean", "throughput", "duty_cycle_all_frames",
           "real_time_factor", "frames", "true_positives", "false_negatives", "false_positives", "f1",
           "power_average", "energy_per_frame"}


def stream(job) -> None:  # noqa: ANN001 - recompute._Mode
    detections_csv, duty_csv = job.need("stream_detections.csv"), job.need("stream_dutycycle.csv")
    block, streams = job.block, job.block["streams"]
    count = len(streams)
    detections = _per_stream(read_csv(detections_csv, "stream_detections.csv",
                                      {"stream": "int", "index": "int", "time_ms": "int", "from_sync_s": "float",
                                       "frame": "int?", "wake_output": "float?", "outcome": "text"}), count,
                             "stream_detections.csv", "index")
    for i, found in enumerate(detections):
        if found["time_ms"].size > BOARD_MAX_TIMESTAMPS:
            raise Refusal(f"stream_detections.csv: stream {i}: {found['time_ms'].size} detections; the interface board "
                          f"stores at most {BOARD_MAX_TIMESTAMPS}")
    duty_rows = _per_stream(read_csv(duty_csv, "stream_dutycycle.csv",
                                     {"stream": "int", "edge": "int", "start_ticks": "int", "stop_ticks": "int"}),
                            count, "stream_dutycycle.csv", "edge")
    for i, rows in enumerate(duty_rows):
        try:
            duty = duty_cycle(rows["start_ticks"] * BOARD_TICK_S, rows["stop_ticks"] * BOARD_TICK_S)
        except ScoringError as exc:
            raise Refusal(f"stream_dutycycle.csv: stream {i}: {exc}") from exc
        _compare_duty(job, f"stream {i} board duty cycle", streams[i]["board_duty_cycle"], duty)
        if i == 0:
            job.metric("duty_cycle", duty.duty_cycle, "fraction")
            job.metric("period_mean", duty.period_s * 1e3, "ms")
            job.metric("processing_time_mean", duty.processing_time_s * 1e3, "ms")
            job.metric("throughput", duty.throughput_inf_s, "inf/s")
    overruns = _frames(job, detections, duty_rows) if "stream_frames.parquet" in job.names else None
    if overruns is None:
        job.out.notes.append("no stream_frames.parquet (a device's run): per-frame figures are the board's only")
        for name in ("frames", "duty_cycle_all_frames", "real_time_factor"):
            if name in block["metrics"]:
                job.problem("result.json", f"metric {name} cannot be recomputed without stream_frames.parquet")
                block["metrics"].pop(name)
    scored = _score(job, detections)
    block["_detections"] = [list(zip(((d["time_ms"] - d["time_ms"][0]) / 1000).tolist(), d["outcome"].tolist()))
                            if d["time_ms"].size else [] for d in detections]  # for the run page's timeline
    for name in sorted(set(block["metrics"]) - METRICS):
        job.problem("result.json", f"metric {name} cannot be recomputed from raw data")
    block["checks"] = _checks(job, overruns, scored)


def _per_stream(rows: dict, count: int, name: str, order: str) -> list[dict]:
    """Rows split by their stream number (0 … count − 1), each part numbered 0, 1, … in `order`."""
    if np.any(rows["stream"] < 0) or np.any(rows["stream"] >= count):
        raise Refusal(f"{name}: stream numbers must be those of result.json (0 … {count - 1})")
    parts = []
    for i in range(count):
        mask = rows["stream"] == i
        part = {k: v[mask] for k, v in rows.items()}
        if not np.array_equal(part[order], np.arange(mask.sum())):
            raise Refusal(f"{name}: stream {i}: rows must be numbered 0, 1, … in '{order}'")
        parts.append(part)
    return parts


def _compare_duty(job, label: str, published: dict, duty) -> None:  # noqa: ANN001
    for key, value in (("frames", duty.frames), ("duty_cycle", duty.duty_cycle), ("period_ms", duty.period_s * 1e3),
                       ("processing_time_ms", duty.processing_time_s * 1e3),
                       ("throughput_inf_s", duty.throughput_inf_s), ("period_variation", duty.period_variation)):
        if not same(published.get(key), value, 1e-6) and not (key == "period_variation" and
                                                                abs(published.get(key, 0) - value) < 1e-9):
            job.problem("result.json", f"{label}: {key} {published.get(key)} does not match its raw data ({value})")


def _frames(job, detections: list[dict], duty_rows: list[dict]) -> int:  # noqa: ANN001
    """Per-frame figures and the detections they imply; returns the number of overruns."""
    block, streams = job.block, job.block["streams"]
    stated = sum(s["frames"] for s in streams)  # compared with the file per stream below; a bound before decoding
    if any(s["frames"] > MAX_FRAMES_PER_STREAM for s in streams) or stated > MAX_FRAMES_TOTAL:
        raise Refusal(f"result.json: {stated} frames over {len(streams)} streams; at most {MAX_FRAMES_PER_STREAM} per "
                      f"stream (a {MAX_STREAM_S / 3600:g}-hour stream) and {MAX_FRAMES_TOTAL} in all are checked")
    frames = read_parquet(job.folder / "stream_frames.parquet", "stream_frames.parquet", FRAME_COLUMNS,
                          max_rows=stated, optional=frozenset({"frontend_s", "out1", "out2", "cycles", "energy_j"}))
    parts = _per_stream(frames, len(streams), "stream_frames.parquet", "frame")
    rule_json = block["detection_rule"]
    rule = DetectionRule(float(rule_json["threshold"]), int(rule_json["output_index"]),
                         bool(rule_json.get("quantized", True)))
    column = f"out{rule.output_index}"
    if column not in frames:
        raise Refusal(f"stream_frames.parquet: no column {column} (the detection rule's output)")
    for i, (part, found, edges) in enumerate(zip(parts, detections, duty_rows)):
        if np.any(part["processing_s"] < 0) or np.any(part["stop_s"] < part["start_s"]):
            raise Refusal(f"stream_frames.parquet: stream {i}: negative processing times")
        start, stop = device_schedule(part["processing_s"])
        if not (np.allclose(start, part["start_s"], rtol=0, atol=1e-9) and
                np.allclose(stop, part["stop_s"], rtol=0, atol=1e-9)):
            job.problem("stream_frames.parquet", f"stream {i}: the frames' start and stop times are not the device "
                                                 "schedule of their processing times (a frame every 32 ms, one at "
                                                 "a time)")
        if not np.array_equal(part["fired"], rule.fires(part[column])):
            job.problem("stream_frames.parquet", f"stream {i}: 'fired' is not the detection rule applied to {column}")
        pulses = pulse_frames(part["fired"])
        kept, stamps = board_detections(part["stop_s"][pulses])
        if board_duty_record(part["start_s"], part["stop_s"]) != (edges["start_ticks"].tolist(),
                                                                 edges["stop_ticks"].tolist()):
            job.problem("stream_dutycycle.csv", f"stream {i}: the Processing-pin edges are not those the frames imply "
                                                "(the board's first 100 rising and falling edges of stream_frames)")
        if stamps != found["time_ms"].tolist():
            job.problem("stream_detections.csv", f"stream {i}: {len(found['time_ms'])} detections, but the frames "
                                                 f"imply {len(stamps)} the board would store (or other times)")
        if streams[i]["frames"] != part["frame"].size:
            job.problem("result.json", f"stream {i}: {streams[i]['frames']} frames, the raw file has {part['frame'].size}")
        implied = frame_count(round(min(streams[i]["seconds"], 2 * MAX_STREAM_S) * SAMPLE_RATE))
        if implied != part["frame"].size:
            job.problem("result.json", f"stream {i}: a {streams[i]['seconds']:g} s stream has {implied} frames of "
                                       f"{FRAME_S * 1e3:g} ms; the raw file has {part['frame'].size}")
        if i == 0:
            job.metric("duty_cycle_all_frames", duty_cycle(part["start_s"], part["stop_s"]).duty_cycle, "fraction")
    processing = frames["processing_s"]
    job.metric("frames", float(processing.size), "count")
    stats = {**summary_fields(summarize(processing).scaled(1e3)), "percentile_method": PERCENTILE_METHOD, "unit": "ms"}
    published = block.get("per_frame_latency") or {}
    for key in ("n", "mean", "std", "min", "p50", "p90", "p99", "max"):
        job.compare(f"per-frame {key}", published.get(key), stats[key])
    block["per_frame_latency"] = stats
    seconds = sum(s["seconds"] for s in streams)
    simulated = block["clock_source"] == "simulated-cycles"
    if simulated and seconds > 0:
        job.metric("real_time_factor", float(processing.sum()) / seconds, "unitless")
    elif "real_time_factor" in block["metrics"]:
        job.out.notes.append("real-time factor shown as the run measured it (the stream's wall-clock time is not "
                             "a raw file)")
    if "energy_j" in frames and block["energy"].get("status") == "modelled" and seconds > 0:
        energy = float(frames["energy_j"].sum())
        job.metric("power_average", energy / seconds * 1e3, "mW")
        job.metric("energy_per_frame", energy / processing.size * 1e6, "uJ/frame")
    elif "power_average" in block["metrics"]:
        job.out.notes.append(f"power shown as the run measured it ({block['energy'].get('instrument', 'counter')} "
                             "read around the stream: no raw trace)")
    return int(np.count_nonzero(processing > FRAME_S))


def _score(job, detections: list[dict]) -> bool:  # noqa: ANN001
    """TP/FN/FP recomputed from the detections and the truth (True), or checked for consistency only."""
    block, streams = job.block, job.block["streams"]
    metrics = block["metrics"]
    if not job.result["model"]["trained"]:
        for name in ("true_positives", "false_negatives", "false_positives", "f1"):
            if name in metrics:
                job.problem("result.json", f"metric {name} from an untrained model (its detections mean nothing)")
                metrics.pop(name)
        return False
    if "stream_truth.csv" not in job.names:
        job.out.notes.append("TP/FN/FP shown as the run computed them: the bundle does not carry its truth windows "
                             "(stream_truth.csv), so they cannot be recomputed here")
        _consistent(job, detections)
        return False
    truth = _per_stream(read_csv(job.folder / "stream_truth.csv", "stream_truth.csv", TRUTH_COLUMNS),
                        len(streams), "stream_truth.csv", "window")
    pairs = sum(w["window"].size * d["time_ms"].size for w, d in zip(truth, detections))
    if pairs > MAX_SCORED_PAIRS:
        raise Refusal(f"stream_truth.csv, stream_detections.csv: {pairs} window × detection pairs over "
                      f"{len(streams)} streams; at most {MAX_SCORED_PAIRS} are re-scored (the official stream: 50 "
                      "windows)")
    totals = np.zeros(3, dtype=int)
    for i, (found, windows) in enumerate(zip(detections, truth)):
        if np.any(windows["start_s"] < 0) or np.any(windows["stop_s"] < windows["start_s"]):
            raise Refusal(f"stream_truth.csv: stream {i}: windows need 0 ≤ start ≤ stop")
        if windows["window"].size != streams[i]["truth_windows"]:
            job.problem("stream_truth.csv", f"stream {i}: {windows['window'].size} windows, result.json says "
                                            f"{streams[i]['truth_windows']}")
        try:
            score = score_bounded(found["time_ms"].tolist(), list(zip(windows["start_s"], windows["stop_s"])))
        except ScoringError as exc:
            raise Refusal(f"stream_detections.csv: stream {i}: {exc}") from exc
        if found["outcome"].tolist() != score.outcome:
            job.problem("stream_detections.csv", f"stream {i}: the outcomes differ from the detections re-scored")
        found["outcome"] = np.array(score.outcome, dtype=object)
        stated = streams[i]["scoring"]
        for key, value in (("true_positives", score.tp), ("false_negatives", score.fn),
                           ("false_positives", score.fp)):
            if stated.get(key) != value:
                job.problem("result.json", f"stream {i}: {key.replace('_', ' ')} {stated.get(key)} — the raw "
                                           f"detections and truth give {value}")
        totals += (score.tp, score.fn, score.fp)
        block["streams"][i] = dict(block["streams"][i], scoring={
            "status": "scored", "true_positives": score.tp, "false_negatives": score.fn,
            "false_positives": score.fp, "f1": score.f1, "true_positive_starts_s": score.true_positives_s,
            "false_negative_starts_s": score.false_negatives_s, "false_positives_s": score.false_positives_s})
    tp, fn, fp = (int(v) for v in totals)
    job.metric("true_positives", tp, "count")
    job.metric("false_negatives", fn, "count")
    job.metric("false_positives", fp, "count")
    if 2 * tp + fp + fn:
        job.metric("f1", 2 * tp / (2 * tp + fp + fn), "fraction")
    job.block["_truth_windows_s"] = [[[float(a), float(b)] for a, b in zip(w["start_s"], w["stop_s"])] for w in truth]
    return True


def _consistent(job, detections: list[dict]) -> None:  # noqa: ANN001
    """Without the truth: the stated counts must agree with the outcomes recorded beside the detections."""
    metrics, streams = job.block["metrics"], job.block["streams"]
    totals = [0, 0]
    for i, found in enumerate(detections):
        outcomes = found["outcome"].tolist()
        tp = len({o for o in outcomes if o.startswith("tp:")})
        fp = outcomes.count("fp")
        stated = streams[i]["scoring"]
        if stated.get("true_positives") != tp or stated.get("false_positives") != fp or \
                stated.get("true_positives", 0) + stated.get("false_negatives", 0) != streams[i]["truth_windows"]:
            job.problem("stream_detections.csv", f"stream {i}: the detections' outcomes ({tp} wake words found, {fp} "
                                                 "false positives) disagree with result.json")
        for key, count in (("true_positive_starts_s", "true_positives"), ("false_negative_starts_s", "false_negatives"),
                           ("false_positives_s", "false_positives")):
            if len(stated.get(key, [])) != stated.get(count):
                job.problem("result.json", f"stream {i}: {len(stated.get(key, []))} times in {key} for "
                                           f"{stated.get(count)} {count.replace('_', ' ')}")
        totals[0] += tp
        totals[1] += fp
    if "true_positives" in metrics and (metrics["true_positives"]["value"], metrics["false_positives"]["value"]) != \
            tuple(totals):
        job.problem("result.json", "the TP/FP totals are not the sums over the streams' detections")


def _checks(job, overruns: int | None, scored: bool) -> list[dict]:  # noqa: ANN001
    block, result = job.block, job.result
    streams = block["streams"]
    truth = block.get("_truth_windows_s")
    official = all(s["origin"] == "dataset" and abs(s["seconds"] - OFFICIAL_LENGTH_S) < 1.0 and
                   (len(truth[i]) if truth else s["truth_windows"]) == CLOSED_WAKE_WORDS
                   for i, s in enumerate(streams))
    checks = [profile_check(result),
              check("official_stream", official, "the official 20-minute stream with 50 wake words" if official else
                    "not the official long stream (" + ", ".join(f"{s['wav_file']}: {s['truth_windows']} wake words, "
                                                                 f"{s['seconds']:.1f} s" for s in streams[:5]) + ")"),
              check("trained_model", result["model"]["trained"], "detections scored" if result["model"]["trained"]
                    else "untrained model: detections not scored")]
    if overruns is not None:
        checks.append(check("real_time", overruns == 0, "every frame processed within its 32 ms" if overruns == 0
                            else f"{overruns} frames took longer than 32 ms"))
    simulated = block["clock_source"] == "simulated-cycles"
    checks.append(check("frontend_timed", not simulated, "feature extraction is included in the processing time"
                        if not simulated else "the simulated accelerator models the network only"))
    metrics = block["metrics"]
    if "false_positives" in metrics:
        fp, fn = metrics["false_positives"]["value"], metrics["false_negatives"]["value"]
        checks.append(check("quality_target", fp <= CLOSED_MAX_FP and fn <= CLOSED_MAX_FN,
                            f"{fp:.0f} false positives, {fn:.0f} false negatives (at most {CLOSED_MAX_FP} of each)"
                            + ("" if scored else "; not recomputed: no truth windows in the bundle")))
    if result["model"]["trained"]:
        checks.append(check("recomputed", scored, "TP/FN/FP recomputed from the raw detections and truth windows"
                            if scored else "TP/FN/FP could not be recomputed (no stream_truth.csv)"))
    return checks
