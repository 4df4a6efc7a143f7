"""A model file plus what is known of it, checked against its workload.

`source` is `builtin` (the project's own recipe, untrained weights), `reference` (the
official MLPerf Tiny model, verified by SHA-256) or `user` (a path the user gave).
Only the reference model, byte for byte, is eligible for the closed division.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from tinybench.errors import ModelError
from tinybench.workloads.spec import TensorSpec, Workload
from tinybench.workloads.tflite_graph import ModelGraph, read_graph

SOURCES = ("builtin", "reference", "user")


@dataclass(frozen=True)
class ModelArtifact:
    """A `.tflite` model in memory with its facts. `content` is the exact file bytes."""

    workload: str
    source: str
    path: Path | None
    content: bytes = field(repr=False)
    sha256: str
    graph: ModelGraph = field(repr=False)
    trained: bool

    @property
    def size_bytes(self) -> int:
        return len(self.content)

    @property
    def input(self) -> TensorSpec:
        return self.graph.inputs[0].spec()

    @property
    def output(self) -> TensorSpec:
        return self.graph.outputs[0].spec()

    @property
    def division(self) -> str:
        """`closed` only for the official reference model; everything else is `open`."""
        return "closed" if self.source == "reference" else "open"

    def facts(self) -> dict:
        """The model facts recorded in every result bundle."""
        return {
            "source": self.source,
            "path": str(self.path) if self.path else None,
            "sha256": self.sha256,
            "bytes": self.size_bytes,
            "division": self.division,
            "trained": self.trained,
            "op_counts": self.graph.op_counts,
            "operators": len(self.graph.operators),
            "parameters": self.graph.parameters,
            "macs": self.graph.macs,
            "input": self.input.to_json(),
            "output": self.output.to_json(),
        }


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def load_model(path: Path, workload: Workload, source: str, trained: bool,
               reference_sha256: str | None = None, mismatch_hint: str | None = None) -> ModelArtifact:
    """Read and check a model file for `workload`; every problem is a :class:`ModelError`."""
    path = Path(path)
    if not path.exists():
        raise ModelError(f"model file not found: {path}")
    if path.is_dir():
        raise ModelError(f"model path is a directory, not a .tflite file: {path}")
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read model file {path}: {exc.strerror or exc}") from exc
    digest = sha256_hex(content)
    if reference_sha256 is not None and digest != reference_sha256:
        raise ModelError(
            f"checksum mismatch for {path}: SHA-256 {digest[:16]}… is not the pinned {reference_sha256[:16]}…",
            hint=mismatch_hint or "delete the file and fetch it again (tinybench models fetch)",
        )
    graph = read_graph(content, source=str(path))
    artifact = ModelArtifact(workload.id, source, path, content, digest, graph, trained)
    check_fits_workload(artifact, workload)
    return artifact


def check_fits_workload(model: ModelArtifact, workload: Workload) -> None:
    """Raise a :class:`ModelError` if the model's tensors cannot serve `workload`."""
    where = str(model.path) if model.path else f"{model.source} model"
    wanted_outputs = 1 + len(workload.extra_outputs)
    if len(model.graph.inputs) != 1 or len(model.graph.outputs) != wanted_outputs:
        raise ModelError(
            f"{where} has {len(model.graph.inputs)} inputs and {len(model.graph.outputs)} outputs; "
            f"workload {workload.id} needs one input and {wanted_outputs} output{'s' if wanted_outputs > 1 else ''}"
        )
    got, want = model.input, workload.input
    if _batchless(got.shape) != _batchless(want.shape):
        raise ModelError(
            f"{where} takes input {got.describe()}, but workload {workload.id} feeds {want.describe()}",
            hint=f"use a model built for {workload.id}",
        )
    if got.dtype not in ("int8", "uint8", "float32"):
        raise ModelError(f"{where} takes {got.dtype} input; tinybench feeds int8, uint8 or float32")
    if got.dtype != "float32" and got.quantization is None:
        raise ModelError(f"{where} has an integer input without per-tensor quantization parameters")
    got_shapes = sorted(_batchless(t.shape) for t in model.graph.outputs)
    want = [workload.output, *workload.extra_outputs]
    if got_shapes != sorted(_batchless(t.shape) for t in want):
        shown = ", ".join(t.spec().describe() for t in model.graph.outputs)
        raise ModelError(f"{where} produces {shown}, but workload {workload.id} expects "
                         f"{', '.join(t.describe() for t in want)}")


def _batchless(shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(shape[1:]) if len(shape) > 1 and shape[0] == 1 else tuple(shape)
