"""`tinybench models build`: build every built-in model and write the manifest."""

from __future__ import annotations

import importlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from tinybench.workloads import get_workload
from tinybench.workloads.model_artifact import sha256_hex
from tinybench.workloads.recipes import RECIPES, import_tensorflow
from tinybench.workloads.recipes.int8_converter import (
    calibration_set,
    convert_int8,
    randomize_statistics,
    workload_seed,
)
from tinybench.workloads.tflite_graph import read_graph

MANIFEST_SCHEMA = "tinybench.builtin-models/1"


def build_model(workload_id: str) -> bytes:
    """Build `workload_id`'s reference architecture with seeded untrained weights → int8 TFLite bytes."""
    tf = import_tensorflow()
    import keras  # type: ignore[import-not-found]

    workload = get_workload(workload_id)
    seed = workload_seed(workload_id)
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    module_name, _, function = RECIPES[workload_id].partition(":")
    model = getattr(importlib.import_module(module_name), function)()
    randomize_statistics(model, seed)
    return convert_int8(model, calibration_set(workload))


def manifest_entry(workload_id: str, filename: str, content: bytes) -> dict:
    graph = read_graph(content, source=filename)
    return {
        "file": filename,
        "sha256": sha256_hex(content),
        "bytes": len(content),
        "op_counts": graph.op_counts,
        "parameters": graph.parameters,
        "macs": graph.macs,
        "input": graph.inputs[0].spec().to_json(),
        "output": graph.outputs[0].spec().to_json(),
        "trained": False,
        "recipe": RECIPES[workload_id],
        "seed": workload_seed(workload_id),
    }


def build_all(out_dir: Path, workloads: Iterable[str] | None = None,
              on_progress: Callable[[str], None] | None = None) -> dict:
    """Build the models into `out_dir` and (re)write `manifest.json` there; returns the manifest."""
    tf = import_tensorflow()
    import keras  # type: ignore[import-not-found]

    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / "manifest.json"
    existing = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    models = dict(existing.get("models", {}))
    for workload_id in workloads or RECIPES:
        if on_progress:
            on_progress(workload_id)
        content = build_model(workload_id)
        filename = get_workload(workload_id).builtin_model
        _atomic_write(out_dir / filename, content)
        models[workload_id] = manifest_entry(workload_id, filename, content)
    manifest = {
        "schema": MANIFEST_SCHEMA,
        "generator": {"tensorflow": tf.__version__, "keras": keras.__version__},
        "note": "untrained weights: valid for latency, spin-up and energy only, never for accuracy",
        "models": dict(sorted(models.items())),
    }
    _atomic_write(manifest_path, (json.dumps(manifest, indent=2) + "\n").encode())
    return manifest


def _atomic_write(path: Path, content: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
