"""`--model builtin | reference | PATH` → a checked model: one the host runs, or one a device is declared to run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tinybench.workloads.builtin_models import builtin_model
from tinybench.workloads.model_artifact import ModelArtifact, load_model
from tinybench.workloads.reference_models import find_reference, reference_model
from tinybench.workloads.spec import TensorSpec, Workload


def resolve_model(choice: str, workload: Workload, download: bool = False) -> ModelArtifact:
    """`builtin` (untrained, offline), `reference` (official, verified) or a user's file (open division).

    With `download`, a reference model found neither in the cache nor the mirror is fetched.
    """
    if choice == "builtin":
        return builtin_model(workload)
    if choice == "reference":
        return reference_model(workload, download=download)
    # A user's own model: we cannot know whether it was trained; accuracy will tell.
    # A byte-identical copy of the official model is the reference model.
    path = Path(choice).expanduser()
    model = load_model(path, workload, source="user", trained=True)
    if workload.reference is not None and model.sha256 == workload.reference.sha256:
        model = load_model(path, workload, source="reference", trained=True)
    return model


@dataclass(frozen=True)
class DeclaredModel:
    """The official model a device is declared to run, known by its pinned facts (no file on the host)."""

    workload: str
    sha256: str
    size_bytes: int
    input: TensorSpec  # the reference model's quantization, from the workload
    output: TensorSpec
    source: str = "reference"
    trained: bool = True
    path: None = None
    division: str = "closed"

    def facts(self) -> dict:
        return {"source": self.source, "path": None, "sha256": self.sha256, "bytes": self.size_bytes,
                "division": self.division, "trained": True, "op_counts": {}, "parameters": None, "macs": None,
                "input": self.input.to_json(), "output": self.output.to_json()}


def declare_model(choice: str, workload: Workload) -> ModelArtifact | DeclaredModel:
    """What a device with its own flashed model is declared to run (`--model` on a device target).

    Nothing is downloaded: the device needs no model file on the host. `reference` uses the
    verified file when the cache or mirror has it (for its facts), else the pinned SHA-256
    and size; `builtin` and a PATH are read as usual. The bundle records the division as
    declared, not verified.
    """
    if choice == "reference" and workload.reference is not None and find_reference(workload) is None:
        ref = workload.reference
        return DeclaredModel(workload.id, ref.sha256, ref.size_bytes, workload.input, workload.output)
    return resolve_model(choice, workload, download=False)
