"""`tinybench submit pack`: result bundles + a system description → a submission archive.

Each measured mode becomes its own record (`<model>/<mode>/result.json` holding that mode
only, beside its raw files), so every fact exists once; the model file each workload ran is
included as `<model>/model.tflite` when it can be found (its recorded path, the reference
cache, the built-in models) and matches the recorded SHA-256, so the checker can verify the
division by hashing it. A sww01 stream record also gets `stream_truth.csv`, the windows its
detections were scored against, read from the run's truth file (:mod:`sww_truth`). A closed-division host/tflm/simaccel result without its model file
cannot be packed.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import tarfile
import tempfile
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

from tinybench import __version__
from tinybench.errors import TinybenchError
from tinybench.reports.results_store import load_bundles
from tinybench.reports.safe_json import Refusal, load_untrusted
from tinybench.reports.submission_records import SYSTEM_FACTS
from tinybench.reports.sww_truth import FILE as TRUTH_FILE
from tinybench.reports.sww_truth import truth_csv
from tinybench.reports.submission_layout import (
    MANIFEST,
    MODE_FILES,
    MODEL_DIRS,
    MODEL_FILE,
    VERIFIABLE_ADAPTERS,
    division_basis,
    safe_name,
    schema_problem,
)


def system_description(result: dict, organization: str, status: str = "available") -> dict:
    """A system description from a bundle's SystemInfo (a starting point to edit)."""
    info = result["target"]["system"]
    clock = info.get("clock_hz")
    return {
        "schema": "tinybench.system/1", "organization": organization[:200], "system_name": (info.get("name") or "system")[:200],
        "status": status, "processor": (info.get("processor") or "unknown")[:200],
        "processor_frequency_mhz": round(clock / 1e6, 3) if clock else None,
        "framework": f"{info.get('runtime', '')} {info.get('runtime_version', '')}".strip()[:200],
        "notes": f"tinybench target '{result['target']['adapter']}'",
    }


def model_file(result: dict) -> Path | None:
    """The model file a result ran, if it can be found here with the recorded SHA-256."""
    from tinybench.workloads import WORKLOADS
    from tinybench.workloads.builtin_models import BUILTIN_DIR
    from tinybench.workloads.reference_models import find_reference

    facts = result["model"]
    candidates = [Path(facts["path"])] if facts.get("path") else []
    workload_id = result["workload"]["id"]
    if workload_id in WORKLOADS.names():
        workload = WORKLOADS.get(workload_id)
        if facts["source"] == "reference" and (found := find_reference(workload)) is not None:
            candidates.append(found)
        if facts["source"] == "builtin":
            candidates.append(BUILTIN_DIR / workload.builtin_model)
    for path in candidates:
        if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == facts["sha256"]:
            return path
    return None


def _records(bundles: list[dict]) -> dict[tuple[str, str], tuple[dict, Path]]:
    """(model dir, mode) → (a record holding that mode only, its bundle folder)."""
    records = {}
    for result in bundles:
        bundle = Path(result.pop("_bundle"))
        model_dir = MODEL_DIRS.get(result["workload"]["id"])
        if model_dir is None:
            raise TinybenchError(f"workload {result['workload']['id']} has no MLPerf Tiny name; cannot submit it")
        for mode, block in result["modes"].items():
            if block["status"] != "measured":
                continue
            if (model_dir, mode) in records:
                raise TinybenchError(f"two bundles measure {result['workload']['id']} {mode}; keep one")
            record = copy.deepcopy({k: v for k, v in result.items() if k != "modes"})
            record.update(modes={mode: copy.deepcopy(block)}, files={})
            record["model"]["division_basis"] = division_basis(result)
            records[(model_dir, mode)] = (record, bundle)
    return records


def pack(bundle_dirs: Iterable[Path], out: Path, organization: str, system_file: Path | None = None,
         revision: int = 1, status: str = "available", sww_truth: Path | None = None) -> Path:
    """`sww_truth`: the truth file of a sww01 stream run, if it is no longer where the run read it."""
    loaded = load_bundles(bundle_dirs, validate=True)
    if loaded.skipped:
        raise TinybenchError(f"cannot pack: {loaded.skipped[0]}")
    if not loaded.bundles:
        raise TinybenchError("no result bundles to pack")
    divisions = {b["model"]["division"] for b in loaded.bundles}
    if len(divisions) != 1:
        raise TinybenchError("the bundles mix the closed and open divisions; pack them separately")
    division = divisions.pop()
    systems = {json.dumps([b["target"]["adapter"]] + [b["target"]["system"].get(k) for k in SYSTEM_FACTS])
               for b in loaded.bundles}
    if len(systems) != 1:
        raise TinybenchError("the bundles come from more than one system (adapter, processor, clock or "
                             "runtime differ); a submission is one system: pack them separately")
    try:  # the user's own file, read as strictly as the checker will read it
        system = load_untrusted(Path(system_file)) if system_file else \
            system_description(loaded.bundles[0], organization, status)
    except Refusal as exc:
        raise TinybenchError(f"system description {exc}") from exc
    if (problem := schema_problem("system", system)) is not None:
        raise TinybenchError(f"system description: {problem}")
    org, name = safe_name(organization), safe_name(system["system_name"])
    models = {MODEL_DIRS.get(b["workload"]["id"]): b for b in loaded.bundles}
    records = _records(loaded.bundles)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        base = root / division / org
        (base / "systems").mkdir(parents=True)
        (base / "systems" / f"{name}.json").write_text(json.dumps(system, indent=2) + "\n")
        for model_dir, result in models.items():
            verifiable = result["target"]["adapter"] in VERIFIABLE_ADAPTERS
            source = model_file(result) if verifiable else None  # a device's flashed model is declared, not shipped
            (base / "results" / name / model_dir).mkdir(parents=True, exist_ok=True)
            if source is not None:
                shutil.copyfile(source, base / "results" / name / model_dir / MODEL_FILE)
            elif division == "closed" and verifiable:
                raise TinybenchError(f"the model file of the {result['workload']['id']} results (SHA-256 "
                                     f"{result['model']['sha256'][:16]}…) was not found; a closed-division result "
                                     "must include it", hint="run `tinybench models fetch` or keep the model file")
        for (model_dir, mode), (record, bundle) in records.items():
            folder = base / "results" / name / model_dir / mode
            folder.mkdir(parents=True)
            (folder / "result.json").write_text(json.dumps(record, indent=2, ensure_ascii=False, allow_nan=False)
                                                + "\n", encoding="utf-8")
            required, optional = MODE_FILES[mode]
            for file in required + optional:
                if (bundle / file).is_file():
                    shutil.copyfile(bundle / file, folder / file)
                elif file == TRUTH_FILE:  # the windows the stream was scored against, from its truth file
                    (folder / file).write_text(truth_csv(record, sww_truth), encoding="utf-8")
                elif file in required:
                    raise TinybenchError(f"{bundle} lacks {file}, which a {mode} result must include")
        files = {}
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            content = path.read_bytes()
            files[path.relative_to(root).as_posix()] = {"sha256": hashlib.sha256(content).hexdigest(),
                                                        "bytes": len(content)}
        manifest = {"schema": "tinybench.submission/1", "organization": org, "division": division, "system": name,
                    "revision": revision, "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "tinybench_version": __version__, "files": files}
        if (problem := schema_problem("submission", manifest)) is not None:  # what every checker would refuse
            raise TinybenchError(f"cannot pack: {MANIFEST}: {problem}")
        (root / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        _write_archive(root, Path(out))
    return Path(out)


def _write_archive(root: Path, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    with tarfile.open(partial, "w:gz") as archive:
        for path in sorted(root.rglob("*")):
            info = archive.gettarinfo(str(path), arcname=path.relative_to(root).as_posix())
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if path.is_file():
                with path.open("rb") as fh:
                    archive.addfile(info, fh)
            else:
                archive.addfile(info)
    partial.replace(out)


__all__ = ["model_file", "pack", "system_description"]
