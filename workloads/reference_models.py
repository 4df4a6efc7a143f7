"""The official MLPerf Tiny models: where they are cached and how they are found.

Lookup order: the cache (`$TINYBENCH_CACHE` or `~/.cache/tinybench`, file
`models/<sha256>/<name>`), then an offline mirror directory (`$TINYBENCH_REFERENCE_DIR`,
file `models/<name>` or `<name>`). Every file is verified by SHA-256 before use.
"""

from __future__ import annotations

import os
from pathlib import Path

from tinybench.errors import ModelError
from tinybench.workloads.model_artifact import ModelArtifact, load_model
from tinybench.workloads.spec import Workload

ENV_CACHE = "TINYBENCH_CACHE"
ENV_MIRROR = "TINYBENCH_REFERENCE_DIR"


def cache_dir() -> Path:
    configured = os.environ.get(ENV_CACHE)
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tinybench"


def require_reference(workload: Workload) -> None:
    if workload.reference is None:
        raise ModelError(f"workload {workload.id} has no official reference model",
                         hint="use --model builtin, or a model you trained (tinybench models train)")


def cached_path(workload: Workload) -> Path:
    require_reference(workload)
    return cache_dir() / "models" / workload.reference.sha256 / workload.reference.filename


def mirror_candidates(workload: Workload, mirror: Path | None = None) -> list[Path]:
    require_reference(workload)
    root = mirror if mirror is not None else (Path(os.environ[ENV_MIRROR]) if os.environ.get(ENV_MIRROR) else None)
    if root is None:
        return []
    name = workload.reference.filename
    return [root / workload.reference.mirror_folder / name, *([root / "models" / name]
            if workload.reference.mirror_folder != "models" else []), root / name]


def find_reference(workload: Workload) -> Path | None:
    """The first existing copy of the reference model file (not yet verified)."""
    if workload.reference is None:
        return None
    for path in [cached_path(workload), *mirror_candidates(workload)]:
        if path.is_file():
            return path
    return None


def reference_model(workload: Workload, download: bool = False) -> ModelArtifact:
    """The verified official model of `workload`, from the cache or the offline mirror.

    With `download`, a model found in neither is fetched from its pinned URL first.
    """
    require_reference(workload)
    path = find_reference(workload)
    if path is None and download:
        from tinybench.workloads.reference_fetch import fetch

        path = fetch(workload).path
    if path is None:
        raise ModelError(
            f"the reference model of {workload.id} ({workload.reference.filename}) is not available offline",
            hint=f"run: tinybench models fetch --workload {workload.id} (or set {ENV_MIRROR} to a mirror)",
        )
    return load_model(path, workload, source="reference", trained=True, reference_sha256=workload.reference.sha256)
