"""Workloads: the registry of benchmark workloads and the facts about their models.

Extend it from another package with an entry point in the group `tinybench.workloads`
that names a :class:`tinybench.workloads.spec.Workload` object.
"""

from __future__ import annotations

from tinybench.registry import Registry
from tinybench.workloads.spec import Workload

WORKLOADS: Registry[Workload] = Registry(
    kind="workload",
    group="tinybench.workloads",
    builtins={
        "vww01": "tinybench.workloads.vww01:WORKLOAD",
        "kws01": "tinybench.workloads.kws01:WORKLOAD",
        "ic01": "tinybench.workloads.ic01:WORKLOAD",
        "ic02": "tinybench.workloads.ic02:WORKLOAD",
        "ad01": "tinybench.workloads.ad01:WORKLOAD",
        "det01": "tinybench.workloads.det01:WORKLOAD",
        "sww01": "tinybench.workloads.sww01:WORKLOAD",
    },
)


def get_workload(name: str) -> Workload:
    """The registered workload `name` (an UnknownNameError lists the choices)."""
    return WORKLOADS.get(name)


__all__ = ["WORKLOADS", "Workload", "get_workload"]
