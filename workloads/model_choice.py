"""`--model builtin | reference | PATH` → a checked :class:`ModelArtifact`."""

from __future__ import annotations

from pathlib import Path

from tinybench.workloads.builtin_models import builtin_model
from tinybench.workloads.model_artifact import ModelArtifact, load_model
from tinybench.workloads.reference_models import reference_model
from tinybench.workloads.spec import Workload


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
