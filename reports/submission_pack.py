"""`tinybench submit pack`: result bundles + a system description → a submission archive."""

from __future__ import annotations

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
from tinybench.reports.submission_layout import MANIFEST, MODE_FILES, MODEL_DIRS, safe_name, schema


def system_description(result: dict, organization: str, status: str = "available") -> dict:
    """A system description from a bundle's SystemInfo (a starting point to edit)."""
    info = result["target"]["system"]
    clock = info.get("clock_hz")
    return {
        "schema": "tinybench.system/1", "organization": organization, "system_name": info.get("name") or "system",
        "status": status, "processor": info.get("processor") or "unknown",
        "processor_frequency_mhz": round(clock / 1e6, 3) if clock else None,
        "framework": f"{info.get('runtime', '')} {info.get('runtime_version', '')}".strip(),
        "notes": f"tinybench target '{result['target']['adapter']}'",
    }


def pack(bundle_dirs: Iterable[Path], out: Path, organization: str, system_file: Path | None = None,
         revision: int = 1, status: str = "available") -> Path:
    import jsonschema

    loaded = load_bundles(bundle_dirs)
    if loaded.skipped:
        raise TinybenchError(f"cannot pack: {loaded.skipped[0]}")
    if not loaded.bundles:
        raise TinybenchError("no result bundles to pack")
    divisions = {b["model"]["division"] for b in loaded.bundles}
    if len(divisions) != 1:
        raise TinybenchError("the bundles mix the closed and open divisions; pack them separately")
    division = divisions.pop()
    if system_file:
        system = json.loads(Path(system_file).read_text(encoding="utf-8"))
    else:
        system = system_description(loaded.bundles[0], organization, status)
    try:
        jsonschema.validate(system, schema("system"))
    except jsonschema.ValidationError as exc:
        raise TinybenchError(f"system description: {exc.message}") from exc
    org, name = safe_name(organization), safe_name(system["system_name"])
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        base = root / division / org
        (base / "systems").mkdir(parents=True)
        (base / "systems" / f"{name}.json").write_text(json.dumps(system, indent=2) + "\n")
        for result in loaded.bundles:
            bundle = Path(result.pop("_bundle"))
            model_dir = MODEL_DIRS.get(result["workload"]["id"])
            if model_dir is None:
                raise TinybenchError(f"workload {result['workload']['id']} has no MLPerf Tiny name; cannot submit it")
            for mode, block in result["modes"].items():
                if block["status"] != "measured":
                    continue
                folder = base / "results" / name / model_dir / mode
                if folder.exists():
                    raise TinybenchError(f"two bundles measure {result['workload']['id']} {mode}; keep one")
                folder.mkdir(parents=True)
                shutil.copyfile(bundle / "result.json", folder / "result.json")
                required, optional = MODE_FILES[mode]
                for file in required + optional:
                    if (bundle / file).is_file():
                        shutil.copyfile(bundle / file, folder / file)
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
        (root / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        out = Path(out)
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
    return out


__all__ = ["pack", "system_description"]
