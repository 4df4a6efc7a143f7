"""Result bundles → a pandas DataFrame, one row per (system, workload, mode).

Columns carry their unit in the name (`latency_ms`, `energy_uj_per_inf`, …) and use
nullable dtypes, so a figure that was not measured stays missing (NA), never zero.
`DataFrame.attrs["units"]` maps each numeric column to its unit.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tinybench.bundle import PARTIAL_PREFIX, RESULT_FILE
from tinybench.progress import Progress
from tinybench.result_schema import SCHEMA_ID

UNITS = {
    "latency_ms": "ms", "throughput_inf_per_s": "inf/s", "p50_ms": "ms", "p99_ms": "ms",
    "energy_uj_per_inf": "µJ/inf", "power_mw": "mW", "accuracy_top1": "fraction", "accuracy_auc": "unitless",
    "quality_target": "same as the metric", "spinup_cold_ms": "ms", "spinup_warm_ms": "ms",
    "model_bytes": "bytes", "arena_used_bytes": "bytes", "parameters": "count", "macs": "count",
    # sww01 stream mode (latency_ms = mean per-frame processing time, as MLPerf Tiny's final report)
    "true_positives_count": "count", "false_negatives_count": "count", "false_positives_count": "count",
    "f1_fraction": "fraction", "duty_cycle_fraction": "fraction", "frame_period_ms": "ms",
    "real_time_factor": "processing time ÷ stream duration", "energy_uj_per_frame": "µJ/frame",
    "energy_uj_per_stream": "µJ",  # published MLPerf Tiny sww energy runs: Total Energy over the stream
}
TEXT = ["run_id", "session_id", "created_utc", "system", "system_id", "target", "processor", "runtime", "workload",
        "mode", "status", "reason", "division", "model_source", "model_sha256", "metric", "origin", "bundle"]
BOOL = ["valid_for_submission", "trained", "quality_met"]
COLUMNS = TEXT[:10] + list(UNITS) + TEXT[10:] + BOOL


@dataclass
class LoadReport:
    bundles: list[dict] = field(default_factory=list)  # the parsed result.json files
    skipped: list[str] = field(default_factory=list)  # "path: why"


def find_bundles(roots: Iterable[Path]) -> Iterator[Path]:
    """Every `<bundle>/result.json` under `roots` (hidden and partial directories are skipped)."""
    for root in roots:
        root = Path(root)
        if (root / RESULT_FILE).is_file():
            yield root / RESULT_FILE
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not d.startswith(PARTIAL_PREFIX))
            if RESULT_FILE in filenames:
                yield Path(dirpath) / RESULT_FILE
                dirnames[:] = []


def read_bundle(path: Path, validate: bool = True) -> tuple[dict | None, str]:
    """One `result.json` parsed (bounded, strict JSON) and, with `validate`, checked against the schema:
    `(result, "")`, or `(None, why)` when it cannot be used."""
    from tinybench.reports.safe_json import Refusal, load_untrusted
    from tinybench.result_schema import validation_errors

    try:
        result = load_untrusted(path)
    except Refusal as exc:
        return None, f"unreadable ({str(exc)[len(str(path)) + 2:]})"
    if not isinstance(result, dict) or result.get("schema") != SCHEMA_ID:
        return None, f"not a {SCHEMA_ID} result"
    if validate:
        problems = validation_errors(result)
        if problems:
            return None, f"does not match the result schema: {'; '.join(problems[:2])}"
    result["_bundle"] = str(path.parent)
    return result, ""


def load_bundles(roots: Iterable[Path], validate: bool = True) -> LoadReport:
    """Parse every bundle (bounded, strict JSON); one that cannot be read, is not a tinybench result or
    (with `validate`) departs from the schema is skipped with the reason."""
    report = LoadReport()
    for path in find_bundles(roots):
        result, why = read_bundle(path, validate)
        if result is None:
            report.skipped.append(f"{path}: {why}")
        else:
            report.bundles.append(result)
    return report


def system_id(result: dict) -> str:
    """A stable identity for 'the same system' across runs: adapter + system name + options."""
    target = result["target"]
    options = json.dumps(target.get("options", {}), sort_keys=True)
    return f"{target['adapter']}|{target['system'].get('name', '')}|{options}"


def rows_of(result: dict) -> Iterator[dict]:
    target, model, workload = result["target"], result["model"], result["workload"]
    memory = result.get("memory_bytes", {})
    base = {
        "run_id": result["run_id"], "session_id": result.get("session_id"), "created_utc": result.get("created_utc"),
        "system": target["system"].get("name", ""), "system_id": system_id(result), "target": target["adapter"],
        "processor": target["system"].get("processor"), "runtime": target["system"].get("runtime"),
        "workload": workload["id"], "division": model.get("division"), "model_source": model.get("source"),
        "model_sha256": model.get("sha256"), "trained": model.get("trained"), "model_bytes": model.get("bytes"),
        "parameters": model.get("parameters"), "macs": model.get("macs"),
        "arena_used_bytes": memory.get("arena_used"), "origin": result.get("origin", "tinybench"),
        "bundle": result.get("_bundle"),
    }
    for mode, block in result["modes"].items():
        row = dict(base, mode=mode, status=block["status"], reason=block.get("reason"),
                   valid_for_submission=block.get("valid_for_submission"))
        metrics = block.get("metrics", {})
        value = lambda name: metrics.get(name, {}).get("value")  # noqa: E731
        if mode == "performance":
            row.update(latency_ms=value("latency_median"), throughput_inf_per_s=value("throughput_median"))
            per = block.get("per_inference_latency") or {}
            row.update(p50_ms=per.get("p50"), p99_ms=per.get("p99"))
        elif mode == "energy":
            row.update(energy_uj_per_inf=value("energy_per_inference_median"), power_mw=value("power_average"))
        elif mode == "accuracy":
            target_q = block.get("quality_target") or {}
            row.update(accuracy_top1=value("top1"), accuracy_auc=value("auc"),
                       accuracy_car_ap_r40_moderate=value("car_ap_r40_moderate"), metric=target_q.get("metric"),
                       quality_target=target_q.get("minimum"), quality_met=target_q.get("met"))
        elif mode == "stream":
            per = block.get("per_frame_latency") or {}
            checks = {c.get("rule"): c.get("passed") for c in block.get("checks", [])}
            row.update(latency_ms=value("processing_time_mean"), throughput_inf_per_s=value("throughput"),
                       p50_ms=per.get("p50"), p99_ms=per.get("p99"), power_mw=value("power_average"),
                       energy_uj_per_frame=value("energy_per_frame"), energy_uj_per_stream=value("energy_total"),
                       true_positives_count=value("true_positives"),
                       false_negatives_count=value("false_negatives"), false_positives_count=value("false_positives"),
                       f1_fraction=value("f1"), duty_cycle_fraction=value("duty_cycle"),
                       frame_period_ms=value("period_mean"), real_time_factor=value("real_time_factor"),
                       metric="sww_fp_fn", quality_met=checks.get("quality_target"))
        elif mode == "spinup":
            row.update(spinup_cold_ms=value("spinup_cold_median"), spinup_warm_ms=value("spinup_warm_median"))
        yield row


def to_frame(results: Iterable[dict]) -> pd.DataFrame:
    return _typed(pd.DataFrame([row for result in results for row in rows_of(result)], columns=COLUMNS))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    for column in UNITS:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Float64")
    for column in BOOL:
        frame[column] = frame[column].astype("boolean")
    for column in TEXT:
        frame[column] = frame[column].astype("string")
    frame.attrs["units"] = dict(UNITS)
    return frame


@dataclass
class IndexedFrame:
    frame: pd.DataFrame
    bundles: int = 0  # accepted bundles
    skipped: list[str] = field(default_factory=list)  # "folder: why" of rejected bundles
    notes: list[str] = field(default_factory=list)  # e.g. an index that was rebuilt


SNAPSHOT = "export.parquet"  # the typed table of a results folder, beside its index (a cache of it)
SNAPSHOT_AGAIN = 0.05  # rewrite the snapshot when more than this share of its bundles changed since


def frame_from_index(roots: Iterable[Path], progress: Progress | None = None) -> IndexedFrame:
    """The rows of every accepted bundle under `roots` from their results indexes (brought up to date first):
    figures as recomputed from the raw files, rejected bundles skipped with the reason. `bundle` is the
    bundle's current folder. Rows are ordered by bundle path, then mode."""
    from tinybench.reports.result_index import ResultIndex, checking_progress

    frames, out = [], IndexedFrame(pd.DataFrame())
    for root in roots:
        index = ResultIndex(Path(root))
        try:
            out.notes += index.sync(checking_progress(progress, index.root) if progress else None).notes
            kept = len(index.notes)
            frames.append(_root_frame(index))
            out.notes += index.notes[kept:]
            (count,) = index.conn.execute("SELECT count(*) FROM bundles WHERE status = 'ok'").fetchone()
            out.bundles += count
            out.skipped += [f"{index.root / path}: {reason}" for path, reason in index.conn.execute(
                "SELECT path, reason FROM bundles WHERE status != 'ok' ORDER BY path")]
        finally:
            index.close()
    frames = [f for f in frames if len(f)]
    frame = pd.concat(frames, ignore_index=True) if frames else _typed(pd.DataFrame(columns=COLUMNS))
    frame.attrs["units"] = dict(UNITS)
    return IndexedFrame(frame, out.bundles, out.skipped, out.notes)


def _rows(index, where: str = "", params: list | tuple = ()) -> pd.DataFrame:  # noqa: ANN001 - ResultIndex
    columns = [c for c in COLUMNS if c != "bundle"]
    selected = ", ".join(f'"{c}"' for c in columns)
    part = pd.DataFrame.from_records(index.conn.execute(
        f"SELECT {selected}, path FROM results {where} ORDER BY path, rowid", params).fetchall(),
        columns=[*columns, "path"])
    prefix = str(index.root) + os.sep
    part["bundle"] = (prefix + part["path"]).where(part["path"] != ".", str(index.root))
    return _typed(part[[*COLUMNS, "path"]])


def _snapshot_shape(base: pd.DataFrame) -> bool:
    """The snapshot has the export's columns and its bundle paths and hashes as text (else it is made again)."""
    needed = {*COLUMNS, "path", "sha256"}
    return needed <= set(base.columns) and all(pd.api.types.is_string_dtype(base[c]) for c in ("path", "sha256"))


def _merged(kept: pd.DataFrame, fresh: pd.DataFrame) -> pd.DataFrame:
    """`kept` and `fresh` (each in bundle path order, no path in both) as one table in path order. Fresh rows that
    go in a few places are put there by binary search and slices: sorting 200,000 rows again takes ~0.2 s."""
    if len(kept) == 0 or kept["path"].iloc[-1] < fresh["path"].iloc[0]:
        return pd.concat([kept, fresh], ignore_index=True)
    at = np.searchsorted(kept["path"].to_numpy(dtype=object), fresh["path"].to_numpy(dtype=object), side="right")
    places = np.flatnonzero(np.diff(at, prepend=-1))  # where each run of fresh rows with one position starts
    if len(places) > 50:
        return pd.concat([kept, fresh], ignore_index=True).sort_values("path", kind="stable", ignore_index=True)
    parts, start = [], 0
    for first, last in zip(places, [*places[1:], len(fresh)]):
        parts += [kept.iloc[start:at[first]], fresh.iloc[first:last]]
        start = at[first]
    parts.append(kept.iloc[start:])
    return pd.concat(parts, ignore_index=True)


def _file_mark(st: os.stat_result) -> str:
    """Size, inode and modification time (ns) of a file: any edit of the snapshot changes it."""
    return f"{st.st_size}:{st.st_ino}:{st.st_mtime_ns}"


def _meta(index, key: str) -> str | None:  # noqa: ANN001 - ResultIndex
    row = index.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def _root_frame(index) -> pd.DataFrame:  # noqa: ANN001 - ResultIndex
    """One results folder's table: its Parquet snapshot (kept beside the index) with the rows of bundles written
    or dropped since replaced from the index — a snapshot that is missing, unreadable, edited since this index wrote
    it (its size, inode and mtime are kept in the index) or made for other checking
    code or another folder is made again (a cache: deleting it costs time only)."""
    import json

    from tinybench.reports.result_index import chunks, code_fingerprint

    (generation,) = index.conn.execute("SELECT max(coalesce((SELECT max(stamped) FROM bundles), 0), "
                                       "coalesce((SELECT max(stamped) FROM removed), 0))").fetchone()
    snapshot = index.path.with_name(SNAPSHOT) if index.path is not None else None
    stamp = {"code": code_fingerprint(), "root": str(index.root), "format": 2}  # 2: rows carry their bundle's sha256
    base = None
    if snapshot is not None and snapshot.exists():
        try:
            # opened without following a link or blocking on a FIFO named like it (an export would wait for ever)
            flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
            with open(snapshot, "rb", opener=lambda name, _: os.open(name, flags)) as file:
                # the very file this index wrote (else edited by someone: not used)
                if _file_mark(os.fstat(file.fileno())) != _meta(index, "snapshot"):
                    raise ValueError("not the snapshot this index wrote")
                base = pd.read_parquet(file)
            info = json.loads(base.attrs.get("tinybench") or "{}") if base.attrs else {}
            if {k: info.get(k) for k in stamp} != stamp or not _snapshot_shape(base):
                base = None
        except Exception:  # noqa: BLE001 - any unreadable cache is only rebuilt
            base = None
    if base is None:
        frame = _rows(index)
        frame["sha256"] = frame["path"].map(dict(index.conn.execute("SELECT path, sha256 FROM bundles")))
        since = generation
    else:
        since = info["generation"]
        # bundles written since (the snapshot's generation is one less than the newest it saw: a sync still writing
        # then is read again), less those the snapshot already holds with the same content (all of them, right
        # after the first build made it)
        written = dict(index.conn.execute("SELECT path, sha256 FROM bundles WHERE written > ?", (since,)))
        removed = {p for (p,) in index.conn.execute("SELECT path FROM removed WHERE stamped > ?", (since,))}
        if len(written) > 1000:  # a Python pass (pandas' isin with 100,000 strings to find takes ~0.5 s)
            held = {p: sha for p, sha in zip(base["path"].to_numpy(dtype=object), base["sha256"].to_numpy(dtype=object))
                    if p in written}
        else:  # the rows' positions, then those two columns only (a row mask takes every column: ~0.06 s)
            at = np.flatnonzero(base["path"].isin(list(written)).to_numpy(dtype=bool)) if written else []
            held = dict(zip(base["path"].take(at), base["sha256"].take(at)))
        changed = {p for p, sha in written.items() if held.get(p) != sha} | removed
        touched = base["path"].isin(changed).to_numpy(dtype=bool) if changed else None
        kept = base[~touched] if touched is not None and touched.any() else base  # additions only: no copy
        fresh = [f.assign(sha256=f["path"].map(written)) for c in chunks(sorted(changed), 500)
                 if len(f := _rows(index, f"WHERE path IN ({','.join('?' * len(c))})", c))]
        frame = _merged(kept, pd.concat(fresh, ignore_index=True)) if fresh else kept
        if len(written) + len(removed) <= SNAPSHOT_AGAIN * max(1, base["path"].nunique()):
            since = None  # few bundles written since: keep the snapshot as it is
    if snapshot is not None and since is not None:
        frame.attrs = {"tinybench": json.dumps(dict(stamp, generation=max(generation - 1, 0)))}
        tmp = snapshot.with_name(f".{SNAPSHOT}.{os.getpid()}.tmp")
        try:
            with contextlib.suppress(FileNotFoundError):  # a link left there (its name is guessable) is not written through
                os.unlink(tmp)
            with open(tmp, "xb") as file:  # O_EXCL: made here, never an existing file or a link's target
                frame.to_parquet(file, index=False)
            with index._write(index.conn):  # noqa: SLF001 - its mark beside the index (a race leaves a mismatch)
                index.conn.execute("INSERT OR REPLACE INTO meta VALUES ('snapshot', ?)", (_file_mark(os.stat(tmp)),))
            os.replace(tmp, snapshot)
        except OSError as exc:  # something in the way (a folder named like it, a full disk): a cache, not kept
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            index.notes.append(f"the export's snapshot {snapshot} could not be written ({exc.strerror or exc}); "
                               "exports make the table from the index each time")
    return frame.drop(columns=["path", "sha256"]).reset_index(drop=True)


def export(frame: pd.DataFrame, path: Path) -> Path:
    """Write the table as CSV, JSON (records) or Parquet, by `path`'s suffix."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".json":
        frame.to_json(path, orient="records", indent=1)
    elif suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        raise ValueError(f"unknown export format '{suffix}' (use .csv, .json or .parquet)")
    return path
