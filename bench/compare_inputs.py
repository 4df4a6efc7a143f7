"""What `tinybench compare` reads: result bundles, folders of bundles, or `report export` files.

Everything here is untrusted input (a bundle may come from anyone): result.json is read with
the safe JSON reader and validated against the result schema; a bundle's other files are
named by plain file names only (no paths), size-limited, and a Parquet file's row count
and uncompressed size are checked in its footer before any row is read. A bundle that
fails a check is skipped with the reason, never trusted in part.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tinybench.compare_stats import Repetitions
from tinybench.result_schema import validation_errors

MAX_CSV_BYTES = 64 * 1024 * 1024
MAX_PARQUET_BYTES = 512 * 1024 * 1024
MAX_PARQUET_ROWS = 50_000_000
MAX_PARQUET_UNCOMPRESSED = 2 * 1024 * 1024 * 1024
MAX_EXPORT_BYTES = 256 * 1024 * 1024
TIMER_RESOLUTION_S = {"device-timer": 1e-6, "host-wall-clock": 1e-9, "simulated-cycles": 0.0}
EXPORT_SUFFIXES = (".json", ".csv", ".parquet")


@dataclass
class MetricSamples:
    """One run's figure for a metric and, where the bundle has them, its repetitions."""

    value: float  # the published figure (ms, µJ/inf)
    unit: str
    reps: Repetitions | None  # None: only the figure is known
    rates: bool = False  # the repetitions are throughputs (the figure is 1000 ÷ their median, in ms)
    clock_source: str | None = None


@dataclass
class AccuracyFacts:
    metric: str  # top1 | auc | car_ap_r40_moderate
    value: float  # fraction (top1, AP) or unitless (AUC)
    samples: int
    per_sample: dict[str, bool] | None = None  # top-1: sample id → correct


@dataclass
class RunRecord:
    run_id: str
    workload: str
    system: str
    system_key: str
    created: str
    source: str
    metrics: dict[str, MetricSamples] = field(default_factory=dict)  # latency, energy, spinup_cold, spinup_warm
    accuracy: AccuracyFacts | None = None
    stability: list[str] = field(default_factory=list)  # the run's own stability warnings (performance)


@dataclass
class Loaded:
    runs: list[RunRecord] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


class Unreadable(Exception):
    """A bundle file that compare will not use (the message says why)."""


def load(sources: list[Path], with_samples: bool = True) -> Loaded:
    """Every run in `sources` (bundle folders, folders of bundles, export files)."""
    from tinybench.reports.results_store import find_bundles

    loaded = Loaded()
    for source in sources:
        source = Path(source)
        if source.name == "result.json" and source.is_file():
            source = source.parent  # a bundle's result.json stands for the bundle
        if source.is_file() and source.suffix.lower() in EXPORT_SUFFIXES and source.name != "result.json":
            try:
                loaded.runs += read_export(source)
            except Unreadable as exc:
                loaded.skipped.append(f"{source}: {exc}")
            continue
        for path in find_bundles([source]):
            try:
                loaded.runs.append(read_bundle(path.parent, with_samples))
            except Unreadable as exc:
                loaded.skipped.append(f"{path.parent}: {exc}")
    return loaded


def read_result(bundle: Path) -> dict:
    """result.json, read safely and validated against the result schema."""
    from tinybench.reports.safe_json import Refusal, load_untrusted

    try:
        result = load_untrusted(bundle / "result.json")
    except (Refusal, OSError) as exc:
        raise Unreadable(str(exc)) from exc
    if not isinstance(result, dict):
        raise Unreadable("result.json is not an object")
    problems = validation_errors(result)
    if problems:
        raise Unreadable(f"result.json does not match the result schema: {problems[0]}")
    return result


def read_bundle(bundle: Path, with_samples: bool = True) -> RunRecord:
    """One bundle as a RunRecord; `with_samples` also reads per-inference times and predictions."""
    from tinybench.reports.results_store import system_id

    result = read_result(bundle)
    record = RunRecord(run_id=result["run_id"], workload=result["workload"]["id"],
                       system=result["target"]["system"]["name"], system_key=system_id(result),
                       created=result["created_utc"], source=str(bundle))
    modes = result["modes"]
    perf = _measured(modes, "performance")
    if perf is not None:
        record.metrics["latency"] = _latency(bundle, perf, with_samples)
        per_inference = _median_inference(record.metrics["latency"])
        if per_inference is not None:
            record.metrics["latency_p50"] = per_inference
        floor = _fastest_inference(record.metrics["latency"])
        if floor is not None:
            record.metrics["latency_floor"] = floor
        record.stability = list((perf.get("stability") or {}).get("warnings") or [])
    energy = _measured(modes, "energy")
    if energy is not None and "energy_per_inference_median" in energy["metrics"]:
        values = [w.get("uj_per_inference") for w in energy.get("windows", [])]
        reps = _repetitions(values)
        record.metrics["energy"] = MetricSamples(energy["metrics"]["energy_per_inference_median"]["value"],
                                                 "µJ/inf", reps)
    spin = _measured(modes, "spinup")
    if spin is not None:
        table = _csv(bundle, spin["files"].get("spinup"), ["kind", "total_ms"]) if with_samples else None
        for kind in ("cold", "warm"):
            metric = spin["metrics"].get(f"spinup_{kind}_median")
            if metric is None:
                continue
            reps = None
            if table is not None:
                reps = _repetitions(table.loc[table["kind"] == kind, "total_ms"].tolist())
            record.metrics[f"spinup_{kind}"] = MetricSamples(metric["value"], "ms", reps)
    accuracy = _measured(modes, "accuracy")
    if accuracy is not None:
        record.accuracy = _accuracy(bundle, accuracy, with_samples)
    return record


def _measured(modes: dict, mode: str) -> dict | None:
    block = modes.get(mode)
    return block if block and block["status"] == "measured" else None


def _repetitions(values: list) -> Repetitions | None:
    try:
        array = np.asarray([float(v) for v in values], dtype=np.float64)
        return Repetitions(array) if array.size and np.all(array > 0) else None
    except (TypeError, ValueError):
        return None


def _latency(bundle: Path, perf: dict, with_samples: bool) -> MetricSamples:
    clock = perf.get("clock_source")
    windows = perf.get("windows") or []
    value = perf["metrics"]["latency_median"]["value"]
    try:
        throughputs = np.array([float(w["throughput_inf_s"]) for w in windows])
        elapsed = np.array([float(w["elapsed_s"]) for w in windows])
    except (KeyError, TypeError, ValueError):
        return MetricSamples(value, "ms", None, clock_source=clock)
    if not throughputs.size or not np.all(throughputs > 0) or not np.all(elapsed > 0):
        return MetricSamples(value, "ms", None, clock_source=clock)
    resolution = throughputs * TIMER_RESOLUTION_S.get(clock, 1e-6) / elapsed
    inner = None
    name = perf["files"].get("performance_inferences")
    if with_samples and name:
        inner = _per_window_stats(bundle, name, len(windows))
    return MetricSamples(value, "ms", Repetitions(throughputs, inner, resolution), rates=True, clock_source=clock)


def _median_inference(latency: MetricSamples) -> MetricSamples | None:
    """The median single-inference latency (ms): repetitions are the windows' medians."""
    inner = latency.reps.inner if latency.reps is not None else None
    if inner is None or not np.all(inner[:, 0] > 0):
        return None
    medians_ms = inner[:, 3] * 1e3
    return MetricSamples(float(np.median(medians_ms)), "ms", Repetitions(medians_ms), clock_source=latency.clock_source)


def _fastest_inference(latency: MetricSamples) -> MetricSamples | None:
    """The fastest single inference (ms): repetitions are each window's minimum time.

    Interruptions and a host drifting between speed levels only ever add time, so a window's
    fastest inference is its least disturbed one: it moves with the code's own cost and little
    with that noise (Chen & Revels, "Robust benchmarking in noisy environments", 2016). Another
    busy process contending for caches and memory moves it too (by ±2 % on the project's VM).
    Not what users experience under contention: that is the median.
    """
    inner = latency.reps.inner if latency.reps is not None else None
    if inner is None or inner.shape[1] < 5 or not np.all(inner[:, 4] > 0):
        return None
    minima_ms = inner[:, 4] * 1e3
    return MetricSamples(float(np.median(minima_ms)), "ms", Repetitions(minima_ms), clock_source=latency.clock_source)


def _plain_name(bundle: Path, name: str) -> Path:
    if not isinstance(name, str) or Path(name).name != name or name in ("", ".", ".."):
        raise Unreadable(f"file name {name!r} is not a plain file name")
    path = bundle / name
    if path.is_symlink() or not path.is_file():
        raise Unreadable(f"{name} is missing or not a regular file")
    return path


def _csv(bundle: Path, name: str | None, columns: list[str]) -> pd.DataFrame | None:
    if not name:
        return None
    path = _plain_name(bundle, name)
    if path.stat().st_size > MAX_CSV_BYTES:
        raise Unreadable(f"{name} is larger than {MAX_CSV_BYTES} bytes")
    try:
        table = pd.read_csv(path, usecols=columns)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise Unreadable(f"{name}: {str(exc).splitlines()[0]}") from exc
    return table


def _per_window_stats(bundle: Path, name: str, windows: int) -> np.ndarray | None:
    """(n, mean s, std s, median s, min s) of each window's timed inferences, from performance_inferences.parquet."""
    import pyarrow.parquet as pq

    path = _plain_name(bundle, name)
    if path.stat().st_size > MAX_PARQUET_BYTES:
        raise Unreadable(f"{name} is larger than {MAX_PARQUET_BYTES} bytes")
    try:
        meta = pq.ParquetFile(path).metadata
        uncompressed = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        if meta.num_rows > MAX_PARQUET_ROWS or uncompressed > MAX_PARQUET_UNCOMPRESSED:
            raise Unreadable(f"{name}: {meta.num_rows} rows / {uncompressed} bytes exceed the limits")
        table = pq.read_table(path, columns=["window", "latency_ns"]).to_pandas()
    except (OSError, ValueError, KeyError) as exc:
        raise Unreadable(f"{name}: {exc}") from exc
    times = table["latency_ns"].to_numpy(dtype=np.float64, na_value=np.nan)
    bad = int(np.count_nonzero(~(np.isfinite(times) & (times > 0))))
    if bad:  # a timer never gives 0, a negative or a missing time: the file is corrupt or edited
        raise Unreadable(f"{name}: {bad} inference time(s) are not positive numbers of ns")
    stats = np.zeros((windows, 5))
    grouped = table.groupby("window")["latency_ns"].agg(["count", "mean", "std", "median", "min"])
    for window, row in grouped.iterrows():
        if 0 <= int(window) < windows and row["count"] > 1 and row["median"] > 0:
            stats[int(window)] = (row["count"], row["mean"] / 1e9, row["std"] / 1e9, row["median"] / 1e9,
                                  row["min"] / 1e9)
    return stats


def _accuracy(bundle: Path, block: dict, with_samples: bool) -> AccuracyFacts | None:
    metrics = block["metrics"]
    metric = next((m for m in ("top1", "auc", "car_ap_r40_moderate") if m in metrics), None)
    samples = block.get("samples")
    if metric is None or not isinstance(samples, int) or samples < 1:
        return None
    facts = AccuracyFacts(metric, float(metrics[metric]["value"]), samples)
    name = block["files"].get("accuracy_predictions")
    if metric == "top1" and with_samples and name:
        table = _csv(bundle, name, ["sample_id", "correct"])
        if table is not None and len(table) == samples and table["sample_id"].is_unique:
            facts.per_sample = dict(zip(table["sample_id"].astype(str), table["correct"].astype(bool)))
    return facts


EXPORT_COLUMNS = {"latency": ("latency_ms", "ms"), "energy": ("energy_uj_per_inf", "µJ/inf"),
                  "spinup_cold": ("spinup_cold_ms", "ms"), "spinup_warm": ("spinup_warm_ms", "ms")}


def _refuse_hostile_text(frame: pd.DataFrame, columns: tuple[str, ...]) -> None:
    """What untrusted JSON strings may not hold (control and bidirectional formatting characters) is refused in the
    text an export's rows show: the names are printed on the terminal."""
    from tinybench.reports.safe_json import first_string_problem

    for column in (c for c in columns if c in frame.columns):
        if found := first_string_problem(frame[column].astype(str).tolist()):
            raise Unreadable(f"row {found[0] + 1}: column '{column}': {found[1]}")


def read_export(path: Path) -> list[RunRecord]:
    """Rows of `tinybench report export` (one per system, workload, mode): figures only, no repetitions."""
    if path.stat().st_size > MAX_EXPORT_BYTES:
        raise Unreadable(f"larger than {MAX_EXPORT_BYTES} bytes")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path)
        elif suffix == ".json":
            frame = pd.read_json(path, orient="records")
        else:
            frame = pd.read_parquet(path)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise Unreadable(f"not a readable export ({str(exc).splitlines()[0] if str(exc) else exc})") from exc
    needed = {"run_id", "workload", "system", "system_id", "mode", "status"}
    if not needed <= set(frame.columns):
        raise Unreadable(f"not a tinybench export (missing columns: {', '.join(sorted(needed - set(frame.columns)))})")
    _refuse_hostile_text(frame, ("run_id", "workload", "system", "system_id", "created_utc"))
    runs: dict[str, RunRecord] = {}
    for row in frame.to_dict("records"):
        if row.get("status") != "measured":
            continue
        run_id = str(row["run_id"])
        record = runs.setdefault(run_id, RunRecord(
            run_id=run_id, workload=str(row["workload"]), system=str(row["system"]),
            system_key=str(row["system_id"]), created=str(row.get("created_utc") or ""), source=str(path)))
        for metric, (column, unit) in EXPORT_COLUMNS.items():
            value = row.get(column)
            if isinstance(value, (int, float)) and np.isfinite(value) and value > 0:
                record.metrics[metric] = MetricSamples(float(value), unit, None)
        top1 = row.get("accuracy_top1")
        if isinstance(top1, (int, float)) and np.isfinite(top1) and row.get("mode") == "accuracy":
            record.accuracy = AccuracyFacts("top1", float(top1), 0)
    return list(runs.values())
