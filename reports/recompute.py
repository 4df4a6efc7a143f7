"""Every published figure of a mode, recomputed from its raw files; rule checks re-derived.

Used by `submit check` (a submission's mode folder) and by `report build` (a local bundle),
so both show only figures that the raw data supports:

- performance: window times and counts from `performance_inferences.parquet` (row count per
  window = the window's iterations; their sum = the window time), throughput per window,
  median, latency = 1 / median; n, mean, std, min, p50/p90/p99, max and the histogram;
- accuracy: top-1, per-class and confusion from `(sample_id, label, predicted)` rows whose
  count equals `samples` (the `correct` column is ignored); AUC from the scores;
- energy: each window's energy and duration from the sample trace between its timestamp
  events (`in_window`), the sample rate being one the named instrument supports; µJ per
  inference, median, average power;
- spin-up: totals from the phases of each repetition, medians per kind and phase;
- stream (sww01): duty cycle, throughput, per-frame figures and TP/FN/FP (:mod:`recompute_stream`).

A published figure that differs from the recomputed one beyond `REL` is a problem; the
block returned carries the recomputed figures and re-derived checks only (the submitter's
`checks` and `valid_for_submission` are never used).
"""

from __future__ import annotations

import csv
import io
import json
import marshal
import math
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from tinybench.reports.bounded_tables import read_csv, read_csv_bytes, read_parquet
from tinybench.reports.safe_json import Refusal
from tinybench.statistics import PERCENTILE_METHOD, Summary, describe

REL = 1e-6  # a published figure may differ from the recomputed one by this relative amount (float rounding)
MIN_WINDOWS, MIN_WINDOW_S, MIN_REPETITIONS = 5, 10.0, 5
FILES = {"performance": ("performance_windows.csv", "performance_inferences.parquet"),
         "energy": ("energy_windows.csv", "energy_trace.parquet"), "spinup": ("spinup.csv",),
         "accuracy": ("accuracy_predictions.csv", "accuracy_scores.csv", "accuracy_detections.csv",
                      "accuracy_truth.csv"),
         "stream": ("stream_detections.csv", "stream_dutycycle.csv", "stream_frames.parquet", "stream_truth.csv")}


@dataclass
class Outcome:
    block: dict
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (file, rule, message)
    notes: list[str] = field(default_factory=list)  # e.g. a figure that cannot be recomputed here


def same(published: object, recomputed: float | None, rel: float = REL) -> bool:
    if published is None or recomputed is None:
        return published is None and recomputed is None
    if isinstance(published, bool) or not isinstance(published, (int, float)) or not math.isfinite(published):
        return False
    return abs(published - recomputed) <= rel * max(abs(recomputed), 1e-12) + 1e-12


def all_same(published: object, recomputed: list[float], rel: float = REL) -> bool:
    """`all(same(a, b, rel) for a, b in zip(published, recomputed))`, with same()'s float operations inlined when
    every value is a float (max(|b|, 1e-12) spelled as max() picks it): the histogram's 41 edges in ~6 µs, where
    the calls take ~30 and numpy arrays ~18."""
    if isinstance(published, list) and all(type(a) is float for a in published) \
            and all(type(b) is float for b in recomputed):
        isfinite = math.isfinite
        return all(isfinite(a) and abs(a - b) <= rel * (1e-12 if 1e-12 > abs(b) else abs(b)) + 1e-12
                   for a, b in zip(published, recomputed))
    return all(same(a, b, rel) for a, b in zip(published, recomputed))


def without_private(result: dict) -> dict:
    """`result` without what recomputation added for the pages (keys starting with `_`, e.g. a stream's
    recomputed detections), i.e. what the schema validates."""
    public = {k: v for k, v in result.items() if not k.startswith("_")}
    public["modes"] = {name: {k: v for k, v in block.items() if not k.startswith("_")}
                       for name, block in result.get("modes", {}).items()}
    return public


def _copy(block: dict) -> dict:
    """A deep copy of a block of parsed JSON (every caller reads result.json with safe_json: dicts, lists, str,
    int, float, bool, None only): marshal copies those exactly (floats bit for bit), ~8x faster than the JSON
    round trip used before; what marshal cannot write takes that round trip."""
    try:
        return marshal.loads(marshal.dumps(block, 4))
    except ValueError:
        return json.loads(json.dumps(block))


SMALL = 64  # up to this many values, medians and closeness are computed in Python floats


def median_of(values: np.ndarray) -> float:
    """`float(np.median(values))`, bit for bit: the middle value of the sorted float64 values, or the mean
    (0 + a + b) / 2 of the two middle ones, as numpy computes it (its mean adds from +0.0, which also makes the
    sign of a zero irrelevant) — without np.median's generic-axis machinery: ~1 µs on a bundle's handful of
    windows or repetitions (Python floats: the same IEEE operations), where np.median takes ~30 µs.
    NaN or no values: np.median itself."""
    if type(values) is list and len(values) <= SMALL and all(type(v) is float for v in values):
        x = values  # Python floats are float64 values already
    else:
        x = np.asarray(values, dtype=np.float64).ravel()
    if len(x) > SMALL:
        items = np.sort(x)  # NaN sorts last
        if np.isnan(items[-1]):
            return float(np.median(values))
    else:
        items = sorted(x if type(x) is list else x.tolist())
        if not items or any(v != v for v in items):  # (NaN is the value unequal to itself)
            return float(np.median(values))
    return _middle(items)


def _middle(items: list[float] | np.ndarray) -> float:
    """The median of sorted, NaN-free, non-empty `items` as np.median computes it (see median_of)."""
    half = len(items) // 2
    return float(0.0 + items[half]) if len(items) % 2 else float((0.0 + items[half - 1] + items[half]) / 2)


def all_close(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    """`np.allclose(a, b, rtol, atol)` (finite tolerances, NaN never equal), in its own formula
    |a − b| ≤ atol + rtol·|b| where b is finite, or a == b — without its argument handling (~3x faster); on a
    handful of float64 values in Python floats (the same IEEE operations, integers made float64 first as numpy
    does)."""
    if type(a) is list and type(b) is list and len(a) == len(b) <= SMALL \
            and all(type(v) is float for v in a) and all(type(v) is float for v in b):
        return _close_floats(a, b, rtol, atol)
    x = np.asarray(a)
    y = np.asarray(b, dtype=np.result_type(b, 1.0))
    if x.shape == y.shape and x.ndim == 1 and x.size <= SMALL and y.dtype == np.float64 and x.dtype.kind in "iuf" \
            and np.result_type(x, y) == np.float64:
        return _close_floats(x.astype(np.float64).tolist(), y.tolist(), rtol, atol)
    with np.errstate(invalid="ignore"):
        return bool(np.all((np.abs(x - y) <= atol + rtol * np.abs(y)) & np.isfinite(y) | (x == y)))


def _close_floats(a: list[float], b: list[float], rtol: float, atol: float) -> bool:
    """all_close of two equally long lists of Python floats."""
    isfinite = math.isfinite
    return all(abs(p - q) <= atol + rtol * abs(q) and isfinite(q) or p == q for p, q in zip(a, b))


def summary_fields(summary: Summary) -> dict:
    """`summary.to_json()` (dataclasses.asdict: its fields in order, each number as it is) without asdict's
    recursive deep copy, ~10x dearer on a Summary's eight numbers."""
    return {f.name: getattr(summary, f.name) for f in fields(summary)}


def check(rule: str, passed: bool, detail: str) -> dict:
    return {"rule": rule, "passed": bool(passed), "detail": detail}


def profile_check(result: dict) -> dict:
    rules = result["rules"]
    ok = rules["submission"] and rules["name"] != "quick"
    return check("profile", ok, f"rules profile '{rules['name']}'" + ("" if ok else " is for smoke runs only"))


class _Mode:
    def __init__(self, folder: Path, where: str, mode: str, result: dict, names: set[str]) -> None:
        self.folder, self.where, self.mode, self.result, self.names = folder, where, mode, result, names
        self.block = _copy(result["modes"][mode])
        self.out = Outcome(self.block)

    def problem(self, file: str, message: str, rule: str = "samples") -> None:
        self.out.problems.append((f"{self.where}/{file}", rule, message))

    def compare(self, label: str, published: object, recomputed: float | None, rel: float = REL) -> None:
        if not same(published, recomputed, rel):
            self.problem("result.json", f"{label} {published} does not match its raw data ({recomputed})")

    def metric(self, name: str, value: float, unit: str) -> None:
        metrics = self.block["metrics"]
        if name in metrics:
            self.compare(name.replace("_", " "), metrics[name]["value"], value)
        metrics[name] = {"value": value, "unit": unit}

    def need(self, file: str) -> Path:
        if file not in self.names:
            raise Refusal(f"{file}: missing (a {self.mode} result needs it)")
        return self.folder / file


def recompute(folder: Path, where: str, mode: str, result: dict, names: set[str]) -> Outcome:
    """Recompute one measured mode of `result` from the raw files `names` in `folder`."""
    job = _Mode(folder, where, mode, result, names)
    block = job.block
    if block["status"] != "measured":
        return job.out
    if mode not in RECOMPUTED:  # a mode tinybench cannot recompute yet: shown as the run computed it, and said so
        job.out.notes.append(f"the {mode} figures are shown as the run computed them: tinybench does not yet "
                             f"recompute {mode} results from their raw files")
        block["valid_for_submission"] = False
        return job.out
    known = {"throughput_median", "latency_median", "spinup_cold_median", "spinup_warm_median", "top1", "auc",
             "car_ap_r40_moderate", "energy_per_inference_median", "power_average"}
    unexpected = [] if mode == "stream" else sorted(set(block["metrics"]) - known)  # stream: its own list
    try:
        RECOMPUTED[mode](job)
    except Refusal as exc:
        job.problem(str(exc).split(":")[0], str(exc), "samples")
    for name in unexpected:
        job.problem("result.json", f"metric {name} cannot be recomputed from raw data")
    failed = any(not c["passed"] for c in block["checks"])
    block["valid_for_submission"] = not failed and not job.out.problems
    return job.out


# -- performance ---------------------------------------------------------------------------------------------

def _performance(job: _Mode) -> None:
    block = job.block
    rows = read_csv(job.need("performance_windows.csv"), "performance_windows.csv",
                    {"window": "int", "sample_id": "text", "iterations": "int", "warmup": "int",
                     "elapsed_s": "float", "throughput_inf_s": "float", "attempts": "int"},
                    optional=frozenset({"sample_id", "warmup", "throughput_inf_s", "attempts"}))
    count = len(rows["window"])
    iterations = rows["iterations"].tolist()  # a handful of windows: Python lists
    if rows["window"].tolist() != list(range(count)) or min(iterations) < 1 or rows["elapsed_s"].min() <= 0:
        raise Refusal("performance_windows.csv: windows must be numbered 0, 1, … with ≥ 1 iteration and a "
                      "positive time each")
    elapsed = rows["elapsed_s"].astype(np.float64)
    if "performance_inferences.parquet" in job.names:
        samples = read_parquet(job.folder / "performance_inferences.parquet", "performance_inferences.parquet",
                               {"window": "int", "latency_ns": "int"})
        window, ns = samples["window"], samples["latency_ns"]
        if ns.min() <= 0 or window.min() < 0 or window.max() >= count:  # (integers: no NaN)
            raise Refusal("performance_inferences.parquet: latencies must be positive and windows those of "
                          "performance_windows.csv")
        per_count = np.bincount(window, minlength=count)
        if per_count.tolist() != iterations:
            raise Refusal(f"performance_inferences.parquet: {per_count.tolist()[:8]} inferences per window, "
                          f"the windows declare {iterations[:8]} iterations")
        as_float = ns.astype(np.float64)
        summed = np.bincount(window, weights=as_float, minlength=count) / 1e9
        if not all_close(summed, elapsed, rtol=REL, atol=0):
            raise Refusal("performance_inferences.parquet: per-inference times do not add up to the window times")
        seconds = np.divide(as_float, 1e9, out=as_float)  # = ns / 1e9 (numpy makes the integers float64 first too)
        del ns, window
        summary, histogram_ms = describe(seconds, 1e3)  # summarize(seconds).scaled(1e3), histogram(seconds * 1e3)
        stats = {"unit": "ms", **summary_fields(summary), "percentile_method": PERCENTILE_METHOD,
                 "histogram_ms": histogram_ms}
        published = block.get("per_inference_latency")
        if published is not None:
            for key in ("n", "mean", "std", "min", "p50", "p90", "p99", "max"):
                job.compare(f"per-inference {key}", published.get(key), stats[key])
            hist = published.get("histogram_ms")
            if hist is not None and (hist.get("counts") != stats["histogram_ms"]["counts"]
                                     or hist.get("above", 0) != stats["histogram_ms"]["above"]
                                     or not all_same(hist.get("edges", []), stats["histogram_ms"]["edges"], 1e-5)
                                     or len(hist.get("edges", [])) != len(stats["histogram_ms"]["edges"])):
                job.problem("result.json", "the latency histogram does not match the per-inference times")
        block["per_inference_latency"] = stats
    elif block.get("per_inference_latency") is not None:
        job.problem("result.json", "per-inference statistics without performance_inferences.parquet")
        block.pop("per_inference_latency")
    throughput = rows["iterations"] / elapsed
    if "throughput_inf_s" in rows and not all_close(rows["throughput_inf_s"], throughput, rtol=REL, atol=0):
        job.problem("performance_windows.csv", "a window's throughput is not its iterations ÷ its time")
    sample_ids = [str(v) for v in rows["sample_id"].tolist()] if "sample_id" in rows else [""] * count
    warmups = rows["warmup"].tolist() if "warmup" in rows else [0] * count
    attempts = rows["attempts"].tolist() if "attempts" in rows else [1] * count
    windows = [{"window": i, "sample_id": sample_id, "iterations": n, "warmup": warmup, "elapsed_s": seconds,
                "throughput_inf_s": rate, "attempts": tries}
               for i, (sample_id, n, warmup, seconds, rate, tries)
               in enumerate(zip(sample_ids, iterations, warmups, elapsed.tolist(), throughput.tolist(), attempts))]
    _same_windows(job, block.get("windows"), windows, ("iterations", "elapsed_s", "sample_id"))
    block["windows"] = windows
    median = median_of(throughput)
    job.metric("throughput_median", median, "inf/s")
    job.metric("latency_median", 1e3 / median, "ms")
    shortest = float(elapsed.min())
    block["checks"] = [profile_check(job.result),
                       check("windows", count >= MIN_WINDOWS, f"{count} windows (at least {MIN_WINDOWS} required)"),
                       check("window_duration", shortest >= MIN_WINDOW_S,
                             f"shortest window {shortest:.3f} s (each must be ≥ {MIN_WINDOW_S:g} s)")]


def _same_windows(job: _Mode, published: list | None, recomputed: list[dict], keys: tuple[str, ...]) -> None:
    """result.json's copy of the windows must be the raw file's (each fact once; copies identical)."""
    if published is None:
        return
    if len(published) != len(recomputed):
        job.problem("result.json", f"{len(published)} windows in result.json, {len(recomputed)} in the raw file")
        return
    for mine, theirs in zip(recomputed, published):
        for key in keys:
            a, b = theirs.get(key), mine[key]
            equal = same(a, b, 1e-9) if isinstance(b, float) else (a == b and type(a) is type(b))
            if not equal:
                job.problem("result.json", f"window {mine['window'] + 1}: {key} {a!r} differs from the raw file "
                                           f"({b!r})")
                return


# -- spin-up ---------------------------------------------------------------------------------------------------

def _spinup(job: _Mode) -> None:
    path = job.need("spinup.csv")
    data = read_csv_bytes(path, "spinup.csv")  # read once: its header names the phases, then its rows
    try:
        header = next(csv.reader(io.StringIO(data[:4097].decode("utf-8", "replace"))), [])
    except csv.Error:  # e.g. a carriage return inside the header (was a traceback): read_csv names the problem
        header = []
    phases = [c for c in header if c.endswith("_ms") and c not in ("total_ms",)]
    columns = {"kind": "text", "repetition": "int", "total_ms": "float", **{c: "float?" for c in phases}}
    rows = read_csv(path, "spinup.csv", columns, data=data)
    kinds = rows["kind"].tolist()
    if not set(kinds) <= {"cold", "warm"}:
        raise Refusal("spinup.csv: kind must be cold or warm")
    parts = [c for c in phases if c != "runtime_import_ms"]
    block, metrics, medians, counts, isnan = job.block, job.block["metrics"], {}, {}, math.isnan
    # a handful of repetitions: in Python floats (the same IEEE additions, in the same order, as float64 arrays)
    table = {c: rows[c].tolist() for c in (*phases, "total_ms")}
    for kind in ("cold", "warm"):
        chosen = [i for i, k in enumerate(kinds) if k == kind]
        if not chosen:
            if f"spinup_{kind}_median" in metrics:
                job.problem("result.json", f"{kind} spin-up published without {kind} repetitions in spinup.csv")
                metrics.pop(f"spinup_{kind}_median")
            continue
        counts[kind] = len(chosen)
        picked = {c: [values[i] for i in chosen] for c, values in table.items()}  # this kind's repetitions
        missing = {c: any(map(isnan, values)) for c, values in picked.items()}  # NaN: an empty cell
        total = [0.0] * counts[kind]
        for column in parts:
            values = picked[column]
            if missing[column]:
                if not all(map(isnan, values)):
                    raise Refusal(f"spinup.csv: {column} is missing in some {kind} repetitions")
                continue
            if min(values) < 0:  # (no NaN here)
                raise Refusal(f"spinup.csv: negative {column}")
            total = [t + v for t, v in zip(total, values)]
        if not all_close(picked["total_ms"], total, rtol=1e-9, atol=1e-9):
            raise Refusal(f"spinup.csv: a {kind} total is not the sum of its phases")
        # median_of each column without NaN: its values are floats already
        medians[kind] = {c[:-3]: _middle(sorted(picked[c])) for c in (*phases, "total_ms") if not missing[c]}
        job.metric(f"spinup_{kind}_median", medians[kind]["total"], "ms")  # total_ms has no empty cells
    published = block.get("phases_median_ms")
    if published is not None:
        for kind, values in medians.items():
            for phase, value in values.items():
                job.compare(f"{kind} {phase} median", published.get(kind, {}).get(phase), value)
    block["phases_median_ms"] = medians
    block["repetitions"] = counts
    block["checks"] = [profile_check(job.result),
                       check("repetitions", all(n >= MIN_REPETITIONS for n in counts.values()),
                             ", ".join(f"{n} {k}" for k, n in counts.items())
                             + f" (at least {MIN_REPETITIONS} each)")]


# -- accuracy and energy live in recompute_quality (kept apart to keep modules small) -------------------------

def _accuracy(job: _Mode) -> None:
    from tinybench.reports.recompute_quality import accuracy

    accuracy(job)


def _energy(job: _Mode) -> None:
    from tinybench.reports.recompute_quality import energy

    energy(job)


def _stream(job: _Mode) -> None:
    from tinybench.reports.recompute_stream import stream

    stream(job)


RECOMPUTED = {"performance": _performance, "spinup": _spinup, "accuracy": _accuracy, "energy": _energy,
              "stream": _stream}
