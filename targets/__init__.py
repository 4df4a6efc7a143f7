"""Targets: adapters that run a model somewhere and report raw facts.

Register more from another package with an entry point in the group `tinybench.targets`
that names a :class:`tinybench.targets.contract.Target` subclass.
"""

from __future__ import annotations

from typing import Any

from tinybench.registry import Registry
from tinybench.targets.contract import Capability, ClockSource, InferReport, LoadReport, SystemInfo, Target

TARGETS: Registry[type[Target]] = Registry(
    kind="target",
    group="tinybench.targets",
    builtins={
        "host": "tinybench.targets.host:HostTarget",
        "tflm": "tinybench.targets.tflm:TflmTarget",
        "serial": "tinybench.targets.serial_target:SerialTarget",
        "simaccel": "tinybench.targets.simaccel.target:SimAccelTarget",
    },
)


def create_target(name: str, options: dict[str, Any] | None = None) -> Target:
    """Instantiate the registered target `name` with its options (strings are coerced)."""
    return TARGETS.get(name).from_options(dict(options or {}))


__all__ = [
    "TARGETS",
    "Capability",
    "ClockSource",
    "InferReport",
    "LoadReport",
    "SystemInfo",
    "Target",
    "create_target",
]
