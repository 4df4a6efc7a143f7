"""`tinybench import mlperf-tiny`: MLPerf Tiny results onto the leaderboard, marked as such.

Reads `results.txt` (with the MLCommons checker's own patterns: `Median throughput is …
inf./sec.`, `Top 1% = …`, `AUC = …`, `Median energy cost is … uJ/inf.`), and where present
`results.json` (per-window facts) and `log.txt` (the `m-model-[…]` the DUT announced), from
- runner session folders (`sessions/<YYYYMMDD_HHMMSS>/`), and
- the published results repository (`{closed,open}/<org>/results/<system>/<model>/<mode>/`,
  with `systems/<system>.json`).

Each becomes a tinybench result bundle with `origin` saying where it came from. What an
MLPerf result does not carry (the model file's SHA-256, its size) is recorded as unknown
(null), not invented; imported results are never marked valid for a tinybench submission.
The source files are kept in the bundle as evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from tinybench import __version__, environment
from tinybench.bundle import BundleWriter
from tinybench.reports.safe_json import Refusal, load_untrusted
from tinybench.reports.submission_layout import WORKLOAD_OF, safe_name
from tinybench.result_schema import SCHEMA_ID
from tinybench.rules import MLPERF_TINY
from tinybench.workloads import WORKLOADS, get_workload

THROUGHPUT = re.compile(r".* Median throughput is\s+([\d\.]+) inf\./sec\.")
TOP1 = re.compile(r".* Top[- ]1%?\s?[:=] ([\d\.]+)")
AUC = re.compile(r".* AUC\s?[:=] ([\d\.]+)")
ENERGY = re.compile(r"Median energy cost is ([\d\.]+) uJ/inf")
MODEL = re.compile(r"m-model-\[(\w+)\]")
SESSION = re.compile(r"^\d{8}_\d{6}$")
MAX_TEXT = 64 * 1024 * 1024


@dataclass
class ImportReport:
    bundles: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _text(path: Path) -> str:
    with open(path, "rb") as fh:
        return fh.read(MAX_TEXT).decode("utf-8", "replace")


def _last(pattern: re.Pattern, text: str) -> float | None:
    values = [m.group(1) for line in text.splitlines() if (m := pattern.match(line) or pattern.search(line))]
    return float(values[-1]) if values else None


def import_results(source: Path, out: Path) -> ImportReport:
    report = ImportReport()
    for results_txt in sorted(Path(source).rglob("results.txt")):
        folder = results_txt.parent
        try:
            bundle = _import_one(Path(source), folder, out)
        except (ValueError, KeyError, OSError, Refusal) as exc:
            report.skipped.append(f"{folder}: {exc}")
            continue
        if bundle is None:
            report.skipped.append(f"{folder}: no MLPerf Tiny figure in results.txt")
        else:
            report.bundles.append(bundle)
    return report


def _context(source: Path, folder: Path) -> dict:
    """Division, organization, system, model, mode, from the published layout or a session folder."""
    parts = folder.relative_to(source).parts if folder != source else ()
    full = folder.parts
    for i in range(len(full) - 5):
        division, org, results, system, model, mode = full[i:i + 6]
        if division in ("closed", "open") and results == "results" and model in WORKLOAD_OF and \
                i + 6 == len(full):
            return {"division": division, "organization": org, "system": system, "workload": WORKLOAD_OF[model],
                    "mode": mode, "systems_dir": Path(*full[:i + 2]) / "systems", "kind": "published"}
    log = folder / "log.txt"
    announced = MODEL.findall(_text(log)) if log.is_file() else []
    if not announced:
        raise ValueError("cannot tell the workload (no m-model-[…] in log.txt, and not in a published layout)")
    model = announced[-1]
    if model not in WORKLOADS.names():
        raise ValueError(f"the DUT announced model '{model}', which tinybench does not know")
    session = folder.name if SESSION.match(folder.name) else None
    return {"division": "open", "organization": "unknown", "system": "MLPerf Tiny runner session",
            "workload": model, "mode": None, "session": session, "kind": "session", "parts": parts}


def _import_one(source: Path, folder: Path, out: Path) -> Path | None:
    ctx = _context(source, folder)
    text = _text(folder / "results.txt")
    workload = get_workload(ctx["workload"])
    modes: dict[str, dict] = {}
    origin_note = f"published MLPerf Tiny result ({folder.relative_to(source) if folder != source else folder.name}); " \
                  "imported, not measured by tinybench"
    check = {"rule": "origin", "passed": False, "detail": origin_note}
    if (throughput := _last(THROUGHPUT, text)) is not None:
        modes["performance"] = {"metrics": {"throughput_median": {"value": throughput, "unit": "inf/s"},
                                            "latency_median": {"value": 1e3 / throughput, "unit": "ms"}},
                                "windows": _windows(folder), "clock_source": "device-timer"}
    top1, auc = _last(TOP1, text), _last(AUC, text)
    if workload.metric == "auc" and auc is not None:
        value = auc
    elif workload.metric == "top1" and top1 is not None:
        value = top1 / 100.0
    else:
        value = None
    if value is not None:
        name = workload.metric
        modes["accuracy"] = {"metrics": {name: {"value": value, "unit": "fraction" if name == "top1" else "unitless"}},
                             "quality_target": {"metric": name, "minimum": workload.quality_target.minimum,
                                                "met": value >= workload.quality_target.minimum}}
    if (energy := _last(ENERGY, text)) is not None:
        modes["energy"] = {"metrics": {"energy_per_inference_median": {"value": energy, "unit": "uJ/inf"}},
                           "instrument": {"instrument": "MLPerf Tiny runner's power monitor", "sample_rate_hz": 1000.0,
                                          "supply_voltage_v": None, "details": {}}}
    if ctx.get("mode") in modes:  # a published mode folder speaks for that mode only
        modes = {ctx["mode"]: modes[ctx["mode"]]}
    if not modes:
        return None
    description = _system_description(ctx)
    system_name = description.get("Board Name") or description.get("system_name") or ctx["system"]
    stamp = _created(ctx)
    run_id = safe_name(f"mlperf-{ctx['organization']}-{ctx['system']}-{ctx['workload']}-{ctx.get('mode') or 'session'}"
                       f"-{ctx.get('session') or ''}")
    writer = BundleWriter(Path(out), run_id)
    files = {}
    for evidence in ("results.txt", "results.json", "log.txt"):
        if (folder / evidence).is_file():
            files[f"source_{evidence.split('.')[0]}"] = writer.write_file(f"source_{evidence}",
                                                                          (folder / evidence).read_bytes()[:MAX_TEXT])
    result = {
        "schema": SCHEMA_ID, "run_id": run_id, "session_id": ctx.get("session") or "mlperf-tiny",
        "created_utc": stamp, "finished_utc": stamp, "tinybench_version": __version__,
        "origin": f"MLPerf Tiny ({ctx['kind']})",
        "target": {"adapter": "mlperf-tiny", "options": {"organization": ctx["organization"]},
                   "capabilities": [],
                   "system": {"target": "mlperf-tiny", "name": f"{ctx['organization']}: {system_name}",
                              "processor": description.get("Processor(s) Name") or description.get("processor")
                              or "not stated", "clock_hz": None,
                              "runtime": description.get("Inference Framework") or "not stated", "runtime_version": "",
                              "details": {k: str(v) for k, v in description.items()}}},
        "workload": workload.summary(),
        "model": {"source": "reference" if ctx["division"] == "closed" else "user", "sha256": None, "bytes": None,
                  "division": ctx["division"], "trained": True, "op_counts": {}, "parameters": None, "macs": None,
                  "input": workload.input.to_json(), "output": workload.output.to_json()},
        "dataset": {"kind": "mlperf-tiny", "samples": []},
        "rules": MLPERF_TINY.to_json(),
        "modes": {mode: {"status": "measured", "reason": None, "checks": [check], "valid_for_submission": False,
                         "files": {}, **block} for mode, block in modes.items()},
        "valid_for_submission": False, "environment": environment.capture(), "errors": [], "files": files,
    }
    return writer.commit(result)


def _windows(folder: Path) -> list[dict]:
    """Per-window facts from results.json (performance entries with an `infer` block)."""
    path = folder / "results.json"
    if not path.is_file():
        return []
    try:
        entries = load_untrusted(path, str(path))
    except Refusal:
        return []
    windows = []
    for entry in entries if isinstance(entries, list) else []:
        infer = entry.get("infer") if isinstance(entry, dict) else None
        if isinstance(infer, dict) and {"elapsed_time", "iterations"} <= set(infer):
            try:
                elapsed = float(infer["elapsed_time"])
                iterations = int(infer["iterations"])
            except (TypeError, ValueError):
                continue
            if elapsed > 0:
                windows.append({"window": len(windows), "sample_id": str(entry.get("file", "")),
                                "iterations": iterations, "warmup": int(infer.get("warmups", 0) or 0),
                                "elapsed_s": elapsed, "throughput_inf_s": iterations / elapsed, "attempts": 1})
    return windows


def _system_description(ctx: dict) -> dict:
    systems = ctx.get("systems_dir")
    if systems is None:
        return {}
    path = Path(systems) / f"{ctx['system']}.json"
    if not path.is_file():
        return {}
    data = load_untrusted(path)
    return data if isinstance(data, dict) else {}


def _created(ctx: dict) -> str:
    session = ctx.get("session")
    if session:
        return datetime.strptime(session, "%Y%m%d_%H%M%S").replace(tzinfo=timezone.utc).isoformat().replace("+00:00", "Z")
    return "unknown"
