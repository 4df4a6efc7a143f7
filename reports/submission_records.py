"""The result records of a submission: one per (workload, mode), each checked against its raw data.

For every `<model>/<mode>/` folder: the files the mode needs and no others; `result.json`
strictly valid and holding that one mode only; every figure recomputed from the raw files
(:mod:`recompute`); the run rules re-derived there (the submitter's `checks` are never read).
Across records: one system, and what records repeat (the system, the workload, the model)
identical; records of one run identical in everything but their mode. Division: the closed
division needs the reference model, verified by hashing `<model>/model.tflite` for targets
whose runner had the file (host, tflm, simaccel) and recorded as *declared by the submitter*
for a device that runs its own flashed model; the quality target is checked on the
recomputed accuracy. Each model needs performance and accuracy (sww: one stream result, whose
closed rules are in :mod:`sww_submission`); ic2 only beside ic.
"""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path

from tinybench.reports.recompute import recompute
from tinybench.reports.safe_json import Refusal, load_untrusted
from tinybench.reports.submission_layout import (
    MAX_MODEL_BYTES,
    MODE_FILES,
    MODEL_FILE,
    VERIFIABLE_ADAPTERS,
    WORKLOAD_OF,
    required_modes,
)
from tinybench.reports.sww_submission import COVERED as STREAM_COVERED
from tinybench.reports.sww_submission import stream_rules
from tinybench.result_schema import validation_errors

SYSTEM_FACTS = ("processor", "clock_hz", "runtime", "runtime_version")  # one system per submission (its name comes from systems/<system>.json)
SHARED_FACTS = ("workload", "model")  # repeated by every record of a workload: must be identical
RUN_FACTS = ("session_id", "created_utc", "finished_utc", "tinybench_version", "target", "dataset", "rules",
             "environment", "load_phases_s", "memory_bytes", "simulation", "errors")  # identical within one run


def check_records(root: Path, results: str, folders: dict[tuple[str, str], set[str]], model_files: set[str],
                  manifest: dict, report) -> None:  # noqa: ANN001 - CheckReport (import cycle)
    division = manifest["division"]
    records: dict[tuple[str, str], dict] = {}
    for (model, mode), names in sorted(folders.items()):
        where = f"{results}{model}/{mode}"
        report.checked.append(f"{model}/{mode}")
        record = _check_mode(root / where, where, names, model, mode, division, report)
        if record is not None:
            records[(model, mode)] = record
    _same_facts(records, results, report)
    for model in sorted({m for m, _ in folders} | model_files):
        basis = _division_basis(root, results, model, [r for (m, _), r in records.items() if m == model],
                                model in model_files, division, report)
        for (m, _), record in records.items():
            if m == model:
                record["model"]["division_basis"] = basis
        for mode in required_modes(model):
            if (model, mode) not in folders:
                report.add(f"{results}{model}", "required", f"no {mode} result")
    if "ic2" in {m for m, _ in folders} and "ic" not in {m for m, _ in folders}:
        report.add(f"{results}ic2", "closed" if division == "closed" else "rules", "ic2 may only be submitted "
                                                                                   "together with ic")
    report.results = list(records.values())


def _check_mode(folder: Path, where: str, names: set[str], model: str, mode: str, division: str,
                report) -> dict | None:  # noqa: ANN001
    required, optional = MODE_FILES[mode]
    for name in sorted(names - {"result.json", *required, *optional}):
        report.add(f"{where}/{name}", "layout", f"unexpected file in a {mode} folder")
    for name in ["result.json", *required]:
        if name not in names:
            report.add(f"{where}/{name}", "required", f"a {mode} result needs {name}")
    if "result.json" not in names:
        return None
    path = f"{where}/result.json"
    try:
        result = load_untrusted(folder / "result.json", path)
    except Refusal as exc:
        report.add(path, "json", str(exc))
        return None
    problems = validation_errors(result)
    if problems:
        report.add(path, "schema", "; ".join(problems[:3]))
        return None
    workload_id = WORKLOAD_OF[model]
    if result["workload"]["id"] != workload_id:
        report.add(path, "layout", f"result of workload {result['workload']['id']} in the {model} folder "
                                   f"({workload_id})")
        return None
    others = sorted(set(result["modes"]) - {mode})
    if others:
        report.add(path, "duplicate", f"a {mode} folder's result.json must hold only the {mode} result (it also "
                                      f"holds {', '.join(others)}): each fact exists once")
    block = result["modes"].get(mode)
    if block is None or block["status"] != "measured":
        report.add(path, "rules", f"the result has no measured {mode}")
        return None
    if result["model"]["division"] != division:
        report.add(path, "division", f"a {result['model']['division']}-division result in a {division} submission")
    outcome = recompute(folder, where, mode, result, names & {*required, *optional})
    for file, rule, message in outcome.problems:
        report.add(file, rule, message)
    report.notes.extend(f"{where}: {note}" for note in outcome.notes)
    # the open division reports accuracy without enforcing the quality target (MLPerf Tiny rules)
    covered = STREAM_COVERED if mode == "stream" else frozenset()  # reported by sww_submission, by name
    failed = [f"{c['rule']}: {c['detail']}" for c in outcome.block["checks"]
              if not c["passed"] and not (division == "open" and c["rule"] == "quality_target")
              and c["rule"] not in covered]
    if failed:
        report.add(path, "rules", "failed run rule " + "; ".join(failed))
    if division == "closed" and mode == "accuracy":
        _quality_target(result, outcome.block, path, report)
    if mode == "stream":
        stream_rules(outcome.block, where, division, report)
    record = copy.deepcopy({k: v for k, v in result.items() if k != "modes"})
    record["modes"] = {mode: outcome.block}
    record["valid_for_submission"] = outcome.block["valid_for_submission"] and not failed
    return record


def _quality_target(result: dict, block: dict, path: str, report) -> None:  # noqa: ANN001
    target = block.get("quality_target") or {}
    if not target.get("met"):
        value = next(iter(block["metrics"].values()), {}).get("value")
        report.add(path, "closed", f"accuracy {value} is below the quality target {target.get('minimum')} "
                                   "(recomputed from the raw predictions)")


def _same_facts(records: dict[tuple[str, str], dict], results: str, report) -> None:  # noqa: ANN001
    """One system per submission; repeated facts identical; records of one run identical but for the mode."""
    items = sorted(records.items())
    for (key_a, a), (key_b, b) in zip(items, items[1:]):
        if _system(a) != _system(b):
            report.add(f"{results}{key_b[0]}/{key_b[1]}/result.json", "duplicate",
                       f"the system under test differs from {key_a[0]}/{key_a[1]}/result.json (adapter, "
                       "processor, clock or runtime): a submission is one system")
        for fact in SHARED_FACTS if key_a[0] == key_b[0] else ():
            if _without_basis(a[fact]) != _without_basis(b[fact]):
                report.add(f"{results}{key_b[0]}/{key_b[1]}/result.json", "duplicate",
                           f"'{fact}' differs from {key_a[0]}/{key_a[1]}/result.json: a fact the records repeat "
                           "must be identical")
    by_run: dict[str, tuple[tuple[str, str], dict]] = {}
    for key, record in items:
        first = by_run.setdefault(record["run_id"], (key, record))
        if first[1] is record:
            continue
        for fact in RUN_FACTS + SHARED_FACTS:
            if _without_basis(first[1].get(fact)) != _without_basis(record.get(fact)):
                report.add(f"{results}{key[0]}/{key[1]}/result.json", "duplicate",
                           f"run {record['run_id']}: '{fact}' differs from {first[0][0]}/{first[0][1]}/result.json")
                break


def _system(record: dict) -> tuple:
    system = record["target"]["system"]
    return (record["target"]["adapter"],) + tuple(system.get(k) for k in SYSTEM_FACTS)


def _without_basis(value: object) -> object:
    if isinstance(value, dict) and "division_basis" in value:
        return {k: v for k, v in value.items() if k != "division_basis"}
    return value


def _division_basis(root: Path, results: str, model: str, records: list[dict], has_file: bool, division: str,
                    report) -> str:  # noqa: ANN001
    """`verified` when the checker hashed the model file the records name, else `declared`."""
    where = f"{results}{model}/{MODEL_FILE}"
    if not records:
        return "declared"
    facts, adapter = records[0]["model"], records[0]["target"]["adapter"]
    basis = "declared"
    if has_file:
        path = root / where
        size = path.stat().st_size
        if size > MAX_MODEL_BYTES:
            report.add(where, "model", f"{size} bytes (limit {MAX_MODEL_BYTES})")
        else:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest != facts["sha256"] or size != facts["bytes"]:
                report.add(where, "model", f"SHA-256 {digest[:16]}… / {size} bytes, but the results say they ran "
                                           f"{str(facts['sha256'])[:16]}… / {facts['bytes']} bytes")
            elif adapter in VERIFIABLE_ADAPTERS:
                basis = "verified"
            # a device runs its own flashed model: a file beside its results proves nothing about what ran
    elif adapter in VERIFIABLE_ADAPTERS and division == "closed":
        report.add(where, "closed", f"a closed-division '{adapter}' result must include the model file it ran "
                                    f"({MODEL_FILE}), so its hash can be checked")
    if division == "closed":
        _closed_model(records[0], where, basis, report)
    return basis


def _closed_model(record: dict, where: str, basis: str, report) -> None:  # noqa: ANN001
    from tinybench.workloads import WORKLOADS

    workload_id = record["workload"]["id"]
    registered = WORKLOADS.get(workload_id).reference if workload_id in WORKLOADS.names() else None
    reference = registered.sha256 if registered is not None else None
    model = record["model"]
    if reference is None or model["source"] != "reference" or model["sha256"] != reference:
        report.add(where, "closed", f"closed division requires the reference model (SHA-256 {reference}); "
                                    f"this result used {model['sha256']}")
    elif basis == "declared":
        report.notes.append(f"{where}: closed-division model declared by the submitter (the device runs its own "
                            "flashed model; its hash cannot be checked)")
