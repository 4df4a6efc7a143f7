"""`tinybench import mlperf-tiny`: MLPerf Tiny results onto the leaderboard, marked as such.

Reads `results.txt` (with the MLCommons checker's own patterns: `Median throughput is …
inf./sec.`, `Top 1% = …`, `AUC = …`, `Median energy cost is … uJ/inf.`), and where present
`results.json` (per-window facts) and `log.txt` (the `m-model-[…]` the DUT announced, and the
date), from
- runner session folders (`sessions/<YYYYMMDD_HHMMSS>/`), and
- the published results repository (`{closed,open}/<org>/results/<system>/<model>/<mode>/`,
  with `systems/<system>.json`).

Each becomes a tinybench result bundle with `origin` saying where it came from. Nothing is
invented: what a result does not carry (the model's SHA-256 and size, the power monitor's
sample rate, a date) is recorded as unknown; nothing printed is dropped (an energy run's
throughput, every accuracy figure). A system is its file, not its display name: two systems
with one name stay two rows, named apart. A system file whose key repeats with the same value
is read with a note; one with conflicting values rejects that system only. A zero or missing
figure is a reason, never a crash; bundles already imported are skipped. The source files are
kept in the bundle as evidence, and the site re-reads its figures from them (:func:`verify_imported`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from tinybench import __version__, environment
from tinybench.bundle import BundleWriter
from tinybench.errors import TinybenchError
from tinybench.reports.safe_json import Refusal, load_untrusted, read_regular
from tinybench.reports.submission_layout import WORKLOAD_OF, safe_name
from tinybench.result_schema import SCHEMA_ID
from tinybench.rules import MLPERF_TINY
from tinybench.workloads import WORKLOADS, get_workload

THROUGHPUT = re.compile(r".* Median throughput is\s+([\d\.]+) inf\./sec\.")
TOP1 = re.compile(r".* Top[- ]1%?\s?[:=] ([\d\.]+)")
AUC = re.compile(r".* AUC\s?[:=] ([\d\.]+)")
ENERGY = re.compile(r"Median energy cost is ([\d\.]+) uJ/inf")
MODEL = re.compile(r"m-model-\[(\w+)\]|Device model retrieved: (\w+)")  # the DUT's reply, or the runner's log line
DATE = re.compile(r"(20\d\d)-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)")
SESSION = re.compile(r"^\d{8}_\d{6}\Z")  # \Z: `$` also matches before a final "\n"
LOGGED_SESSION = re.compile(r"sessions[\\/](\d{8}_\d{6})")  # "Writing output to sessions\20250729_144404\log.txt"
MAX_TEXT = 16 * 1024 * 1024
MODES = ("performance", "accuracy", "energy")


@dataclass
class ImportReport:
    bundles: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _text(path: Path) -> str:
    return read_regular(path, MAX_TEXT).decode("utf-8", "replace")


def _last(pattern: re.Pattern, text: str) -> float | None:
    values = [m.group(1) for line in text.splitlines() if (m := pattern.match(line) or pattern.search(line))]
    for value in reversed(values):
        try:
            return float(value)
        except ValueError:  # "1.2.3" matches [\d\.]+
            continue
    return None


def figures(text: str, metric: str) -> dict[str, dict]:
    """Mode → metrics (or a not-measured reason) from a results.txt, as the MLCommons checker reads it."""
    modes: dict[str, dict] = {}
    if (throughput := _last(THROUGHPUT, text)) is not None:
        modes["performance"] = ({"throughput_median": {"value": throughput, "unit": "inf/s"},
                                 "latency_median": {"value": 1e3 / throughput, "unit": "ms"}} if throughput > 0 else
                                f"the published median throughput is {throughput} inf./sec.: no latency can be derived")
    accuracy = {}
    if (top1 := _last(TOP1, text)) is not None:
        accuracy["top1"] = {"value": min(top1 / 100.0, 1.0), "unit": "fraction"}
    if (auc := _last(AUC, text)) is not None:
        accuracy["auc"] = {"value": min(auc, 1.0), "unit": "unitless"}
    if metric in accuracy:
        modes["accuracy"] = accuracy
    if (energy := _last(ENERGY, text)) is not None:
        modes["energy"] = ({"energy_per_inference_median": {"value": energy, "unit": "uJ/inf"}} if energy > 0 else
                           f"the published median energy is {energy} uJ/inf.: not a measurement")
    return modes


def import_results(source: Path, out: Path) -> ImportReport:
    report = ImportReport()
    for folder in _result_folders(Path(source)):
        try:
            bundle = _import_one(Path(source), folder, Path(out), report)
        except (ValueError, KeyError, TypeError, OSError, Refusal, TinybenchError) as exc:
            report.skipped.append(f"{folder}: {exc}")
            continue
        except Exception as exc:  # noqa: BLE001 - one odd folder never stops the import
            report.skipped.append(f"{folder}: could not be imported ({type(exc).__name__}: {str(exc)[:200]})")
            continue
        if bundle is not None:
            report.bundles.append(bundle)
            from tinybench.reports.result_index import add_written_bundle  # (it imports this module's readers)

            if (why := add_written_bundle(Path(out), bundle)) is not None:  # checked now, not by the next build
                report.notes.append(why)
    return report


def _result_folders(source: Path) -> list[Path]:
    """Folders holding a regular results.txt (links are never followed)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(source, followlinks=False):
        dirnames.sort()
        if "results.txt" in filenames and os.path.isfile(os.path.join(dirpath, "results.txt")) \
                and not os.path.islink(os.path.join(dirpath, "results.txt")):
            found.append(Path(dirpath))
    return sorted(found)


def _context(source: Path, folder: Path) -> dict:
    """Division, organization, system, model, mode, from the published layout or a session folder."""
    full = folder.parts
    for i in range(len(full) - 5):
        division, org, results, system, model, mode = full[i:i + 6]
        if division in ("closed", "open") and results == "results" and model in WORKLOAD_OF and \
                i + 6 == len(full):
            return {"division": division, "organization": org, "system": system, "workload": WORKLOAD_OF[model],
                    "mode": mode, "systems_dir": Path(*full[:i + 2]) / "systems", "kind": "published"}
    log = folder / "log.txt"
    announced = [a or b for a, b in MODEL.findall(_text(log))] if log.is_file() else []
    if not announced:
        raise ValueError("cannot tell the workload (no m-model-[…] in log.txt, and not in a published layout)")
    model = announced[-1]
    if model not in WORKLOADS.names():
        raise ValueError(f"the DUT announced model '{model[:40]}', which tinybench does not know")
    session = folder.name if SESSION.match(folder.name) else None
    return {"division": "open", "organization": "unknown", "system": "MLPerf Tiny runner session",
            "workload": model, "mode": None, "session": session, "kind": "session"}


def _modes(ctx: dict, text: str, workload, folder: Path) -> dict[str, dict]:  # noqa: ANN001
    check = {"rule": "origin", "passed": False,
             "detail": f"published MLPerf Tiny result ({folder.name}); imported, not measured by tinybench"[:4000]}
    if workload.id == "sww01":  # one stream block per result folder (energy runs print the stream figures too)
        from tinybench.reports.mlperf_import_sww import stream_block

        block = stream_block(text, folder, check)
        return {"stream": block} if block is not None else {}
    found = figures(text, workload.metric)
    if ctx.get("mode") == "energy" and isinstance(found.get("performance"), dict):
        # an energy run prints its own throughput: kept with the energy figures, never dropped
        energy = found.get("energy")
        if isinstance(energy, dict):
            energy["throughput_median"] = found["performance"]["throughput_median"]
        found.pop("performance")
    if ctx.get("mode") in found:  # a published mode folder speaks for that mode only
        found = {ctx["mode"]: found[ctx["mode"]]}
    elif ctx.get("mode") in MODES:
        found = {}
    modes = {}
    for mode, metrics in found.items():
        base = {"checks": [check], "valid_for_submission": False, "files": {}}
        if isinstance(metrics, str):
            modes[mode] = {"status": "not_measured", "reason": metrics, "metrics": {}, **base}
            continue
        block = {"status": "measured", "reason": None, "metrics": metrics, **base}
        if mode == "performance":
            block.update(windows=_windows(folder), clock_source="device-timer")
        elif mode == "accuracy":
            value = metrics[workload.metric]["value"]
            block["quality_target"] = {"metric": workload.metric, "minimum": workload.quality_target.minimum,
                                       "met": value >= workload.quality_target.minimum}
        elif mode == "energy":
            block["instrument"] = {"instrument": "MLPerf Tiny runner's power monitor (not stated)",
                                   "sample_rate_hz": None, "supply_voltage_v": None, "details": {}}
        modes[mode] = block
    return modes


def _import_one(source: Path, folder: Path, out: Path, report: ImportReport) -> Path | None:
    ctx = _context(source, folder)
    text = _text(folder / "results.txt")
    workload = get_workload(ctx["workload"])
    modes = _modes(ctx, text, workload, folder)
    if not modes:
        report.skipped.append(f"{folder}: no MLPerf Tiny figure in results.txt")
        return None
    description, name = _system(ctx, report)
    run_id = safe_name(f"mlperf-{ctx['organization']}-{ctx['system']}-{ctx['workload']}-{ctx.get('mode') or 'session'}"
                       f"-{ctx.get('session') or ''}")[:150]
    if (out / run_id).exists():
        report.notes.append(f"{folder}: already imported as {out / run_id}; skipped")
        return None
    stamp = _created(ctx, folder)
    writer = BundleWriter(out, run_id)
    files = {}
    for evidence in ("results.txt", "results.json", "log.txt"):
        path = folder / evidence
        if path.is_file() and not path.is_symlink():
            try:
                data = read_regular(path, MAX_TEXT)
            except Refusal as exc:
                if evidence == "results.txt":
                    raise
                report.notes.append(f"{folder}: {evidence} not kept ({exc})")
                continue
            if len(data) > MAX_TEXT:
                if evidence == "results.txt":
                    raise Refusal(f"results.txt: larger than {MAX_TEXT} bytes")
                report.notes.append(f"{folder}: {evidence} not kept (larger than {MAX_TEXT} bytes)")
                continue
            files[f"source_{evidence.split('.')[0]}"] = writer.write_file(f"source_{evidence}", data)
    result = {
        "schema": SCHEMA_ID, "run_id": run_id, "session_id": ctx.get("session") or "mlperf-tiny",
        "created_utc": stamp, "finished_utc": stamp, "tinybench_version": __version__,
        "origin": f"MLPerf Tiny ({ctx['kind']})",
        "target": {"adapter": "mlperf-tiny", "capabilities": [],
                   "options": {"organization": ctx["organization"][:200], "system_file": ctx["system"][:200]},
                   "system": {"target": "mlperf-tiny", "name": name[:200],
                              "processor": _field(description, "Processor(s) Name", "processor") or "not stated",
                              "clock_hz": None,
                              "runtime": _field(description, "Inference Framework", "framework") or "not stated",
                              "runtime_version": "", "details": _details(description)}},
        "workload": workload.summary(),
        "model": {"source": "reference" if ctx["division"] == "closed" else "user", "sha256": None, "bytes": None,
                  "division": ctx["division"], "division_basis": "declared", "trained": True, "op_counts": {},
                  "parameters": None, "macs": None, "input": workload.input.to_json(),
                  "output": workload.output.to_json()},
        "dataset": {"kind": "mlperf-tiny", "samples": []},
        "rules": MLPERF_TINY.to_json(),
        "modes": modes,
        "valid_for_submission": False, "environment": environment.capture(), "errors": [], "files": files,
    }
    return writer.commit(result)


def _field(description: dict, *keys: str) -> str:
    for key in keys:
        value = description.get(key)
        if value not in (None, ""):
            return str(value)[:200]
    return ""


def _details(description: dict) -> dict:
    """The system file's facts as bounded text (keys ≤ 100 characters, no control characters)."""
    details = {}
    for key, value in list(description.items())[:200]:
        key = "".join(ch if ch.isprintable() else " " for ch in str(key)).strip()[:100]
        if key:
            details[key] = str(value)[:2000]
    return details


def _system(ctx: dict, report: ImportReport) -> tuple[dict, str]:
    """The system file's facts and a display name unique among the organization's systems."""
    systems = ctx.get("systems_dir")
    if systems is None:
        return {}, f"{ctx['organization']}: {ctx['system']}"
    description = _read_system(Path(systems) / f"{ctx['system']}.json", report)
    board = _field(description, "Board Name", "system_name") or ctx["system"]
    twins = []
    for other in sorted(Path(systems).glob("*.json")) if Path(systems).is_dir() else []:
        if other.stem != ctx["system"] and not other.is_symlink():
            try:
                if _field(_read_system(other, None), "Board Name", "system_name") == board:
                    twins.append(other.stem)
            except Refusal:
                continue
    name = f"{ctx['organization']}: {board}"
    return description, f"{name} ({ctx['system']})" if twins else name


def _read_system(path: Path, report: ImportReport | None) -> dict:
    if not path.is_file():
        return {}
    notes: list[str] = []
    data = load_untrusted(path, str(path), notes=notes)
    if report is not None and notes:
        report.notes.extend(f"{path}: {n}" for n in notes if f"{path}: {n}" not in report.notes)
    return data if isinstance(data, dict) else {}


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
    for entry in (entries if isinstance(entries, list) else [])[:1000]:
        infer = entry.get("infer") if isinstance(entry, dict) else None
        if isinstance(infer, dict) and {"elapsed_time", "iterations"} <= set(infer):
            try:
                elapsed = float(infer["elapsed_time"])
                iterations = int(infer["iterations"])
                warmup = int(infer.get("warmups", 0) or 0)
            except (TypeError, ValueError, OverflowError):
                continue
            if 0 < elapsed < 1e9 and 0 <= iterations < 10**12 and 0 <= warmup < 10**12:
                windows.append({"window": len(windows), "sample_id": str(entry.get("file", ""))[:1000],
                                "iterations": iterations, "warmup": warmup, "elapsed_s": elapsed,
                                "throughput_inf_s": iterations / elapsed, "attempts": 1})
    return windows


def _created(ctx: dict, folder: Path) -> str:
    """The date the logs give (log.txt, else the session folder's name), or 'unknown'."""
    log = folder / "log.txt"
    if log.is_file() and not log.is_symlink() and (found := DATE.search(_text(log))):
        try:
            return datetime(*map(int, found.groups()), tzinfo=timezone.utc).isoformat().replace("+00:00", "Z")
        except ValueError:
            pass
    session = ctx.get("session")
    if not session and log.is_file() and not log.is_symlink() and (logged := LOGGED_SESSION.search(_text(log))):
        session = logged.group(1)
    if session:
        try:
            stamp = datetime.strptime(session, "%Y%m%d_%H%M%S").replace(tzinfo=timezone.utc)
        except ValueError:  # a folder named like a session that is no date
            return "unknown"
        return stamp.isoformat().replace("+00:00", "Z")
    return "unknown"


def verify_imported(folder: Path, result: dict, names: set[str]) -> list[str]:
    """Problems if an imported bundle's figures differ from its kept results.txt (re-read here)."""
    from tinybench.reports.recompute import same

    if "source_results.txt" not in names:
        return [f"{folder}: an imported result without its source_results.txt"]
    if result["workload"]["id"] == "sww01":
        from tinybench.reports.mlperf_import_sww import verify

        return verify(folder, result, _text(folder / "source_results.txt"))
    found = figures(_text(folder / "source_results.txt"), result["workload"]["metric"])
    if isinstance(found.get("performance"), dict) and isinstance(found.get("energy"), dict):
        found["energy"]["throughput_median"] = found["performance"]["throughput_median"]
    problems = []
    for mode, block in result["modes"].items():
        for metric, quantity in block["metrics"].items():
            source = found.get(mode)
            value = source.get(metric, {}).get("value") if isinstance(source, dict) else None
            if not same(quantity["value"], value):
                problems.append(f"{folder}: {mode} {metric} {quantity['value']} is not what its results.txt says "
                                f"({value})")
    return problems
