"""`tinybench submit check`: is a submission acceptable? Stricter than MLPerf Tiny's checker.

Everything is read from a private copy made by :mod:`safe_archive` (nothing is executed,
no link followed) and every JSON by :mod:`safe_json`. Checked: the manifest (every file
listed with the right SHA-256, nothing unlisted), the layout, every JSON against its
schema, the files each mode needs, the published figures against the raw samples (medians
and top-1/AUC recomputed), the run rules (5 windows of ≥ 10 s, valid energy windows, no
smoke-run profile), and for the closed division the reference model's SHA-256, the quality
target, and ic2 only beside ic. Accepted means no problem at all.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tinybench.reports.safe_archive import Limits, SafeTree
from tinybench.reports.safe_json import Refusal, load_untrusted
from tinybench.reports.submission_layout import (
    MANIFEST,
    MODE_FILES,
    MODES,
    REQUIRED_MODES,
    WORKLOAD_OF,
    schema,
)
from tinybench.result_schema import validation_errors
from tinybench.statistics import median
from tinybench.workloads.metrics.auc import roc_auc

REL = 1e-9  # published figures must equal the recomputed ones to this relative tolerance


@dataclass
class Problem:
    path: str
    rule: str
    message: str


@dataclass
class CheckReport:
    source: str
    problems: list[Problem] = field(default_factory=list)
    organization: str | None = None
    division: str | None = None
    system: str | None = None
    revision: int | None = None
    created_utc: str | None = None
    system_description: dict | None = None
    results: list[dict] = field(default_factory=list)  # each distinct result.json, for publishing
    checked: list[str] = field(default_factory=list)  # "<model>/<mode>" folders looked at

    @property
    def accepted(self) -> bool:
        return not self.problems and bool(self.checked)

    def add(self, path: str, rule: str, message: str) -> None:
        self.problems.append(Problem(path, rule, message))

    def to_json(self) -> dict:
        return {"source": self.source, "accepted": self.accepted, "organization": self.organization,
                "division": self.division, "system": self.system, "revision": self.revision,
                "checked": self.checked, "problems": [asdict(p) for p in self.problems]}

    def to_text(self) -> str:
        head = f"{self.source}: {'ACCEPTED' if self.accepted else 'REJECTED'}"
        if self.organization:
            head += f" — {self.division}/{self.organization}/{self.system} revision {self.revision}"
        lines = [head, f"  checked: {', '.join(self.checked) or 'nothing'}"]
        if not self.checked and not self.problems:
            lines.append("  no results found")
        lines += [f"  ✗ [{p.rule}] {p.path}: {p.message}" for p in self.problems]
        return "\n".join(lines)


def check_submission(path: Path, limits: Limits | None = None) -> CheckReport:
    report = CheckReport(str(path))
    try:
        with SafeTree(Path(path), limits) as tree:
            _check_tree(tree.root, tree.files, report)
    except Refusal as exc:
        report.add(str(path), "archive", str(exc))
    if not report.checked and not report.problems:
        report.add(str(path), "layout", "no results in the submission")
    return report


def _check_tree(root: Path, files: list[str], report: CheckReport) -> None:
    import jsonschema

    if MANIFEST not in files:
        report.add(MANIFEST, "manifest", "missing: a submission starts with submission.json")
        return
    try:
        manifest = load_untrusted(root / MANIFEST, MANIFEST)
        jsonschema.validate(manifest, schema("submission"))
    except Refusal as exc:
        report.add(MANIFEST, "json", str(exc))
        return
    except jsonschema.ValidationError as exc:
        report.add(MANIFEST, "schema", f"{'/'.join(map(str, exc.absolute_path)) or '(root)'}: {exc.message}")
        return
    report.organization, report.division = manifest["organization"], manifest["division"]
    report.system, report.revision = manifest["system"], manifest["revision"]
    report.created_utc = manifest["created_utc"]
    listed = manifest["files"]
    present = set(files) - {MANIFEST}
    for name in sorted(present - set(listed)):
        report.add(name, "manifest", "file not listed in submission.json")
    for name in sorted(set(listed) - present):
        report.add(name, "manifest", "listed in submission.json but missing")
    for name in sorted(present & set(listed)):
        content = (root / name).read_bytes()
        if hashlib.sha256(content).hexdigest() != listed[name]["sha256"] or len(content) != listed[name]["bytes"]:
            report.add(name, "manifest", "SHA-256 or size differs from submission.json (the file was altered)")
    prefix = f"{manifest['division']}/{manifest['organization']}/"
    system_file = f"{prefix}systems/{manifest['system']}.json"
    folders: dict[tuple[str, str], set[str]] = {}
    for name in sorted(present):
        if name == system_file:
            continue
        parts = name.split("/")
        if (not name.startswith(prefix) or len(parts) != 7 or parts[2] != "results" or parts[3] != manifest["system"]
                or parts[4] not in WORKLOAD_OF or parts[5] not in MODES):
            report.add(name, "layout", f"not where a file may be (expected {prefix}results/{manifest['system']}"
                                       "/<kws|vww|ic|ic2|ad>/<mode>/<file>)")
            continue
        folders.setdefault((parts[4], parts[5]), set()).add(parts[6])
    if system_file not in present:
        report.add(system_file, "layout", "missing system description")
    else:
        try:
            description = load_untrusted(root / system_file, system_file)
            jsonschema.validate(description, schema("system"))
            report.system_description = description
        except Refusal as exc:
            report.add(system_file, "json", str(exc))
        except jsonschema.ValidationError as exc:
            report.add(system_file, "schema", exc.message)
    seen_runs: dict[str, dict] = {}
    for (model, mode), names in sorted(folders.items()):
        where = f"{prefix}results/{manifest['system']}/{model}/{mode}"
        report.checked.append(f"{model}/{mode}")
        result = _check_mode(root / where, where, names, WORKLOAD_OF[model], mode, manifest["division"], report)
        if result is not None:
            seen_runs.setdefault(result["run_id"], result)
    models = {model for model, _ in folders}
    for model in sorted(models):
        for mode in REQUIRED_MODES:
            if (model, mode) not in folders:
                report.add(f"{prefix}results/{manifest['system']}/{model}", "required", f"no {mode} result")
    if "ic2" in models and "ic" not in models:
        report.add(f"{prefix}results/{manifest['system']}/ic2", "closed" if manifest["division"] == "closed"
                   else "rules", "ic2 may only be submitted together with ic")
    report.results = list(seen_runs.values())


def _check_mode(folder: Path, where: str, names: set[str], workload_id: str, mode: str, division: str,
                report: CheckReport) -> dict | None:
    required, optional = MODE_FILES[mode]
    for name in sorted(names - {"result.json", *required, *optional}):
        report.add(f"{where}/{name}", "layout", f"unexpected file in a {mode} folder")
    for name in ["result.json", *required]:
        if name not in names:
            report.add(f"{where}/{name}", "required", f"a {mode} result needs {name}")
    if "result.json" not in names:
        return None
    try:
        result = load_untrusted(folder / "result.json", f"{where}/result.json")
    except Refusal as exc:
        report.add(f"{where}/result.json", "json", str(exc))
        return None
    problems = validation_errors(result) if isinstance(result, dict) else ["(root): not an object"]
    if problems:
        report.add(f"{where}/result.json", "schema", problems[0])
        return None
    path = f"{where}/result.json"
    if result["workload"]["id"] != workload_id:
        report.add(path, "layout", f"result of workload {result['workload']['id']} in the {workload_id} folder")
    block = result["modes"].get(mode)
    if block is None or block["status"] != "measured":
        report.add(path, "rules", f"the result has no measured {mode}")
        return result
    if result["model"]["division"] != division:
        report.add(path, "division", f"a {result['model']['division']}-division result in a {division} submission")
    # the open division reports accuracy without enforcing the quality target (MLPerf Tiny rules)
    failed = [c["rule"] + ": " + c["detail"] for c in block["checks"]
              if not c["passed"] and not (division == "open" and c["rule"] == "quality_target")]
    if failed:
        report.add(path, "rules", "failed run rule " + "; ".join(failed))
    try:
        recompute = {"performance": _performance, "energy": _energy, "accuracy": _accuracy, "spinup": _spinup}[mode]
        recompute(folder, where, block, names, report)
    except (OSError, ValueError, KeyError, pd.errors.ParserError, TypeError) as exc:
        report.add(where, "samples", f"raw files cannot be read: {exc}")
    if division == "closed":
        _closed_rules(result, path, mode, block, report)
    return result


def _csv(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO((folder / name).read_bytes()))


def _same(published: float, recomputed: float) -> bool:
    return bool(np.isfinite(published)) and abs(published - recomputed) <= REL * max(abs(recomputed), 1e-300)


def _performance(folder: Path, where: str, block: dict, names: set[str], report: CheckReport) -> None:
    windows = _csv(folder, "performance_windows.csv")
    throughput = windows["iterations"].astype(float) / windows["elapsed_s"].astype(float)
    recomputed = median(throughput)
    published = block["metrics"]["throughput_median"]["value"]
    if not _same(published, recomputed):
        report.add(f"{where}/result.json", "samples",
                   f"median throughput {published} does not match its windows ({recomputed})")
    if not _same(block["metrics"]["latency_median"]["value"], 1e3 / recomputed):
        report.add(f"{where}/result.json", "samples", "median latency is not 1 / median throughput of the windows")
    if len(windows) < 5 or float(windows["elapsed_s"].min()) < 10.0:
        report.add(f"{where}/performance_windows.csv", "rules",
                   f"{len(windows)} windows, shortest {float(windows['elapsed_s'].min()):.3f} s "
                   "(at least 5 windows of ≥ 10 s required)")
    if "performance_inferences.parquet" in names:
        samples = pd.read_parquet(io.BytesIO((folder / "performance_inferences.parquet").read_bytes()))
        per_window = samples.groupby("window")["latency_ns"].sum() / 1e9
        if len(per_window) != len(windows) or not np.allclose(per_window.to_numpy(), windows["elapsed_s"], rtol=1e-6):
            report.add(f"{where}/performance_inferences.parquet", "samples",
                       "per-inference times do not add up to the window times")


def _energy(folder: Path, where: str, block: dict, names: set[str], report: CheckReport) -> None:
    windows = _csv(folder, "energy_windows.csv")
    per_inference = windows["energy_j"].astype(float) / windows["iterations"].astype(float) * 1e6
    recomputed = median(per_inference)
    published = block["metrics"]["energy_per_inference_median"]["value"]
    if not _same(published, recomputed):
        report.add(f"{where}/result.json", "samples", f"median energy {published} µJ/inf does not match its windows "
                                                      f"({recomputed})")
    if len(windows) < 5 or float(windows["duration_s"].min()) < 10.0:
        report.add(f"{where}/energy_windows.csv", "rules", f"{len(windows)} energy windows, shortest "
                   f"{float(windows['duration_s'].min()):.3f} s (at least 5 of ≥ 10 s required)")
    if block.get("instrument", {}).get("sample_rate_hz") is None:
        report.add(f"{where}/result.json", "rules", "energy must come from a timestamped sample-stream monitor")


def _accuracy(folder: Path, where: str, block: dict, names: set[str], report: CheckReport) -> None:
    metrics = block["metrics"]
    if "top1" in metrics:
        if "accuracy_predictions.csv" not in names:
            report.add(f"{where}/accuracy_predictions.csv", "required", "top-1 needs the per-sample predictions")
            return
        rows = _csv(folder, "accuracy_predictions.csv")
        correct = rows.get("correct", pd.Series(dtype=bool)).fillna(False).astype(str).str.lower().isin(["true", "1"])
        recomputed = float(correct.sum()) / len(rows)
        if not _same(metrics["top1"]["value"], recomputed):
            report.add(f"{where}/result.json", "samples",
                       f"top-1 {metrics['top1']['value']} does not match its predictions ({recomputed})")
    else:
        if "accuracy_scores.csv" not in names:
            report.add(f"{where}/accuracy_scores.csv", "required", "AUC needs the per-file scores")
            return
        rows = _csv(folder, "accuracy_scores.csv")
        readable = rows[rows["readable"].astype(str).str.lower().isin(["true", "1"])]
        recomputed = roc_auc(readable["label"].to_numpy(dtype=np.int64), readable["score"].to_numpy(dtype=float))
        if not _same(metrics["auc"]["value"], recomputed):
            report.add(f"{where}/result.json", "samples",
                       f"AUC {metrics['auc']['value']} does not match its scores ({recomputed})")


def _spinup(folder: Path, where: str, block: dict, names: set[str], report: CheckReport) -> None:
    table = _csv(folder, "spinup.csv")
    for kind in ("cold", "warm"):
        key = f"spinup_{kind}_median"
        if key in block["metrics"]:
            recomputed = median(table[table["kind"] == kind]["total_ms"])
            if not _same(block["metrics"][key]["value"], recomputed):
                report.add(f"{where}/result.json", "samples", f"{kind} spin-up does not match spinup.csv")


def _closed_rules(result: dict, path: str, mode: str, block: dict, report: CheckReport) -> None:
    model, workload = result["model"], result["workload"]
    reference = workload.get("reference_model", {}).get("sha256")
    from tinybench.workloads import WORKLOADS

    if workload["id"] in WORKLOADS.names():  # trust the registry, not the submission, for the pinned hash
        registered = WORKLOADS.get(workload["id"]).reference
        reference = registered.sha256 if registered is not None else None
    if model["source"] != "reference" or model["sha256"] != reference:
        report.add(path, "closed", f"closed division requires the reference model (SHA-256 {reference}); "
                                   f"this result used {model['sha256']}")
    if mode == "accuracy":
        target = WORKLOADS.get(workload["id"]).quality_target if workload["id"] in WORKLOADS.names() else None
        metrics = block["metrics"]
        value = metrics.get("top1", metrics.get("auc", {})).get("value")
        if target is not None and (value is None or value < target.minimum):
            report.add(path, "closed", f"accuracy {value} is below the quality target {target.describe()}")
