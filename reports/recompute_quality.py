"""Accuracy and energy figures recomputed from raw files (see :mod:`recompute`)."""

from __future__ import annotations

import numpy as np

from tinybench.reports.bounded_tables import read_csv, read_parquet
from tinybench.reports.recompute import MIN_WINDOW_S, MIN_WINDOWS, REL, _Mode, _same_windows, check, profile_check
from tinybench.reports.safe_json import Refusal
from tinybench.workloads.metrics.auc import roc_auc

JOULESCOPE_RATES_HZ = (1000.0,)  # what tinybench's Joulescope monitor delivers (targets/power/joulescope_monitor)


def _workload(job: _Mode):  # noqa: ANN202 - the registered Workload, or None for a plugin's workload
    from tinybench.workloads import WORKLOADS

    workload_id = job.result["workload"]["id"]
    return WORKLOADS.get(workload_id) if workload_id in WORKLOADS.names() else None


def _quality(job: _Mode, metric: str, value: float) -> None:
    registered = _workload(job)
    declared = job.result["workload"].get("quality_target") or {}
    minimum = registered.quality_target.minimum if registered is not None else declared.get("minimum")
    met = minimum is not None and value >= minimum
    job.block["quality_target"] = {"metric": metric, "minimum": minimum if minimum is not None else 0.0, "met": met}
    unreadable = job.block.get("unreadable", 0)
    job.block["checks"] = [
        check("quality_target", met, f"{metric} {value:.4f} vs target {minimum}"),
        check("all_samples_read", unreadable == 0, f"{unreadable} of {job.block['samples']} samples could not be read"
              if unreadable else f"all {job.block['samples']} samples read"),
    ]


def _count(job: _Mode, field: str, value: int) -> None:
    if job.block.get(field) != value:
        job.problem("result.json", f"{field} {job.block.get(field)!r} does not match the raw file ({value})")
    job.block[field] = value


def accuracy(job: _Mode) -> None:
    metrics = job.block["metrics"]
    registered = _workload(job)
    metric = registered.metric if registered is not None else job.result["workload"]["metric"]
    if metric == "kitti_ap" or "car_ap_r40_moderate" in metrics:
        if "car_ap_r40_moderate" not in metrics:
            job.problem("result.json", "a detection result without its AP")
        elif "accuracy_truth.csv" in job.names:
            from tinybench.reports.recompute_kitti import kitti_ap

            kitti_ap(job)
        else:  # an older bundle: the detections are kept, the KITTI ground truth was not
            job.out.notes.append("KITTI AP is as the run computed it: the ground truth is not kept in the bundle")
            job.block["valid_for_submission"] = False
        return
    if set(metrics) - {metric}:
        job.problem("result.json", f"metrics {sorted(set(metrics) - {metric})} are not this workload's ({metric})")
        for extra in set(metrics) - {metric}:
            metrics.pop(extra)
    labels = list(registered.labels) if registered is not None else list(job.result["workload"].get("labels", []))
    if metric == "auc":
        _auc(job)
    else:
        _top1(job, labels)


def _top1(job: _Mode, labels: list[str]) -> None:
    rows = read_csv(job.need("accuracy_predictions.csv"), "accuracy_predictions.csv",
                    {"sample_id": "text", "label": "int", "readable": "bool", "predicted": "int?",
                     "correct": "text", "confidence": "float?"},
                    optional=frozenset({"readable", "correct", "confidence"}))
    n, classes = len(rows["sample_id"]), len(labels)
    if len(set(rows["sample_id"].tolist())) != n:
        raise Refusal("accuracy_predictions.csv: a sample_id appears twice")
    label = rows["label"]
    readable = rows["readable"] if "readable" in rows else np.ones(n, dtype=bool)
    predicted = rows["predicted"]
    if classes == 0 or np.any((label < 0) | (label >= classes)):
        raise Refusal(f"accuracy_predictions.csv: labels must be 0 … {classes - 1}")
    known = ~np.isnan(predicted)
    if np.any(readable & ~known) or np.any(known & ((predicted < 0) | (predicted >= classes))):
        raise Refusal(f"accuracy_predictions.csv: every readable sample needs a prediction in 0 … {classes - 1}")
    scored = readable & known
    hits = scored & (predicted == label)
    _count(job, "samples", n)
    _count(job, "unreadable", int((~readable).sum()))
    top1 = float(hits.sum()) / n
    job.metric("top1", top1, "fraction")
    confusion = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(confusion, (label[scored].astype(np.int64), predicted[scored].astype(np.int64)), 1)
    totals = np.bincount(label.astype(np.int64), minlength=classes)
    per_class = {name: {"samples": int(total), "accuracy": None if total == 0 else float(confusion[i, i] / total)}
                 for i, (name, total) in enumerate(zip(labels, totals))}
    if job.block.get("confusion_matrix") is not None and job.block["confusion_matrix"] != confusion.tolist():
        job.problem("result.json", "the confusion matrix does not match the predictions")
    published = job.block.get("per_class")
    if published is not None:
        for name, info in per_class.items():
            theirs = published.get(name) or {}
            if theirs.get("samples") != info["samples"] or not _same_or_none(theirs.get("accuracy"), info["accuracy"]):
                job.problem("result.json", f"per-class figures of '{name}' do not match the predictions")
                break
    job.block.update(labels=labels, per_class=per_class, confusion_matrix=confusion.tolist())
    _quality(job, "top1", top1)


def _same_or_none(a: object, b: float | None) -> bool:
    from tinybench.reports.recompute import same

    return a is None and b is None or same(a, b)


def _auc(job: _Mode) -> None:
    rows = read_csv(job.need("accuracy_scores.csv"), "accuracy_scores.csv",
                    {"sample_id": "text", "label": "int", "readable": "bool", "score": "float?", "windows": "int?"},
                    optional=frozenset({"readable", "windows"}))
    n = len(rows["sample_id"])
    if len(set(rows["sample_id"].tolist())) != n:
        raise Refusal("accuracy_scores.csv: a sample_id appears twice")
    readable = rows["readable"] if "readable" in rows else np.ones(n, dtype=bool)
    label, score = rows["label"], rows["score"]
    if np.any((label != 0) & (label != 1)):
        raise Refusal("accuracy_scores.csv: labels must be 0 (normal) or 1 (anomaly)")
    if np.any(readable & np.isnan(score)):
        raise Refusal("accuracy_scores.csv: every readable file needs a score")
    if len(set(label[readable].tolist())) < 2:
        raise Refusal("accuracy_scores.csv: AUC needs normal and anomalous readable files")
    _count(job, "samples", n)
    _count(job, "unreadable", int((~readable).sum()))
    if "scored_samples" in job.block:
        _count(job, "scored_samples", int(readable.sum()))
    value = roc_auc(label[readable].astype(np.int64), score[readable])
    job.metric("auc", value, "unitless")
    _quality(job, "auc", value)


def energy(job: _Mode) -> None:
    block = job.block
    instrument = block.get("instrument") or {}
    rate = instrument.get("sample_rate_hz")
    rows = read_csv(job.need("energy_windows.csv"), "energy_windows.csv",
                    {"window": "int", "sample_id": "text", "iterations": "int", "duration_s": "float?",
                     "energy_j": "float?", "uj_per_inference": "float?", "power_mw": "float?", "attempts": "int"},
                    optional=frozenset({"sample_id", "uj_per_inference", "power_mw", "attempts"}))
    count = len(rows["window"])
    if list(rows["window"]) != list(range(count)) or np.any(rows["iterations"] < 1):
        raise Refusal("energy_windows.csv: windows must be numbered 0, 1, … with ≥ 1 iteration each")
    if "energy_trace.parquet" in job.names:
        energies, durations, previews = _from_trace(job, instrument, rate, count)
        source = check("instrument", True, f"{instrument.get('instrument')}: {rate:g} samples/s, timed between the "
                                           "DUT's timestamp events")
    elif rate is not None:
        raise Refusal("energy_trace.parquet: missing — a sample-stream monitor's energy is accepted only with its trace")
    else:  # a counter (RAPL) or a model: its per-window table is the rawest data there is
        energies, durations, previews = rows["energy_j"], rows["duration_s"], None
        if np.isnan(energies).any() or np.isnan(durations).any() or np.any(durations <= 0):
            raise Refusal("energy_windows.csv: every window needs its energy and a positive duration")
        source = check("instrument", False, f"{instrument.get('instrument', 'the instrument')} reads a counter or a "
                                            "model, not a timestamped sample stream (not a MLPerf Tiny measurement)")
    energy_j, duration_s = np.asarray(energies), np.asarray(durations)
    per_inference = energy_j / rows["iterations"] * 1e6
    for column, values in (("energy_j", energy_j), ("duration_s", duration_s), ("uj_per_inference", per_inference)):
        if column in rows and not np.allclose(rows[column], values, rtol=REL, atol=0):
            job.problem("energy_windows.csv", f"{column} does not match the sample trace")
    windows = [{"window": i, "sample_id": str(rows["sample_id"][i]) if "sample_id" in rows else "",
                "iterations": int(rows["iterations"][i]), "duration_s": float(duration_s[i]),
                "energy_j": float(energy_j[i]), "uj_per_inference": float(per_inference[i]),
                "power_mw": float(energy_j[i] / duration_s[i] * 1e3),
                "attempts": int(rows["attempts"][i]) if "attempts" in rows else 1} for i in range(count)]
    _same_windows(job, block.get("windows"), windows, ("iterations", "duration_s", "energy_j"))
    block["windows"] = windows
    job.metric("energy_per_inference_median", float(np.median(per_inference)), "uJ/inf")
    job.metric("power_average", float(energy_j.sum() / duration_s.sum() * 1e3), "mW")
    if "throughput_median" in block["metrics"]:
        job.problem("result.json", "an energy result's throughput cannot be recomputed from its raw files")
        block["metrics"].pop("throughput_median")
    if previews is not None:
        block["trace_preview"] = previews
    else:
        block.pop("trace_preview", None)
    shortest = float(duration_s.min())
    block["checks"] = [profile_check(job.result),
                       check("windows", count >= MIN_WINDOWS, f"{count} windows (at least {MIN_WINDOWS} required)"),
                       check("window_duration", shortest >= MIN_WINDOW_S,
                             f"shortest window {shortest:.3f} s (each must be ≥ {MIN_WINDOW_S:g} s)"),
                       source]


def _from_trace(job: _Mode, instrument: dict, rate: object, count: int) -> tuple[list, list, list[dict]]:
    """Each window's energy (J) and duration (s) from the samples between its timestamp events, and the
    trace previews the run page draws."""
    if not _known_rate(instrument.get("instrument", ""), rate):
        raise Refusal(f"energy_trace.parquet: instrument {instrument.get('instrument', '?')!r} at {rate} samples/s is "
                      "not a sample-stream monitor tinybench knows (LPM01A at one of its rates, Joulescope at 1000)")
    trace = read_parquet(job.folder / "energy_trace.parquet", "energy_trace.parquet",
                         {"window": "int", "sample": "int", "energy_j": "float", "in_window": "bool"})
    if np.any(np.isin(trace["window"], np.arange(count), invert=True)):
        raise Refusal("energy_trace.parquet: samples of a window energy_windows.csv does not list")
    energies, durations = [], []
    for index in range(count):
        mask = trace["window"] == index
        samples, inside = trace["sample"][mask], trace["in_window"][mask]
        if not np.array_equal(samples, np.arange(samples.size)):
            raise Refusal(f"energy_trace.parquet: window {index + 1}: samples must be numbered 0, 1, … (no gap)")
        marks = np.flatnonzero(inside)
        if marks.size == 0 or marks[-1] - marks[0] + 1 != marks.size:
            raise Refusal(f"energy_trace.parquet: window {index + 1}: the timed region (between its two timestamp "
                          "events) must be one run of samples")
        energies.append(float(trace["energy_j"][mask][inside].sum()))
        durations.append(marks.size / rate)
    return energies, durations, _previews(trace, count, rate)


def _known_rate(instrument: str, rate: object) -> bool:
    if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not rate > 0:
        return False
    if instrument == "ST X-NUCLEO-LPM01A":
        from tinybench.targets.power.lpm01a_protocol import FREQUENCIES

        return float(rate) in {float(v) for v in FREQUENCIES.values()}
    return instrument.startswith("Joulescope") and float(rate) in JOULESCOPE_RATES_HZ


def _previews(trace: dict, count: int, rate: float) -> list[dict]:
    import pandas as pd

    from tinybench.modes.energy import _previews as previews

    frames = [pd.DataFrame({"window": trace["window"][m], "energy_j": trace["energy_j"][m],
                            "in_window": trace["in_window"][m]}) for m in (trace["window"] == i for i in range(count))]
    return previews(frames, rate)
