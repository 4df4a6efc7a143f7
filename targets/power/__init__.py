"""Power monitors: instruments that report the energy of the system under test.

Register more with an entry point in the group `tinybench.power` naming a
:class:`tinybench.targets.power.contract.PowerMonitor` subclass.
"""

from __future__ import annotations

from typing import Any

from tinybench.registry import Registry
from tinybench.targets.contract import parse_options
from tinybench.targets.power.contract import CounterCapture, PowerMonitor, SampleCapture

POWER_MONITORS: Registry[type[PowerMonitor]] = Registry(
    kind="power monitor",
    group="tinybench.power",
    builtins={
        "lpm01a": "tinybench.targets.power.lpm01a:Lpm01a",
        "joulescope": "tinybench.targets.power.joulescope_monitor:Joulescope",
        "rapl": "tinybench.targets.power.rapl:Rapl",
    },
)


def create_monitor(name: str, options: dict[str, Any] | None = None) -> PowerMonitor:
    cls = POWER_MONITORS.get(name)
    return cls(parse_options(cls.Options, dict(options or {}), name))


__all__ = ["POWER_MONITORS", "CounterCapture", "PowerMonitor", "SampleCapture", "create_monitor"]
