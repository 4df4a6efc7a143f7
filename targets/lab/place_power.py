"""A place's power switch or reset line, through labgrid's own drivers.

The place's acquired resources (as the coordinator describes them) are turned into labgrid
resource objects on a private labgrid `Target`, and the matching driver is bound to them:
a power port (`NetworkPowerPort`, `PDUDaemonPort`) with its power driver, or a digital
output (`HttpDigitalOutput`, `ModbusTCPCoil`) wired to the board's reset pin with
`DigitalOutputResetDriver`'s semantics (asserted = held in reset).

`reset()` returns the `time.perf_counter()` instant at which the board was let go (power
back on, reset line released), so spin-up is timed from there and not from the start of
an off period.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from tinybench.errors import TargetError
from tinybench.targets.lab.coordinator import ResourceView

POWER_DRIVERS = {"NetworkPowerPort": "NetworkPowerDriver", "PDUDaemonPort": "PDUDaemonDriver"}
OUTPUT_DRIVERS = {"HttpDigitalOutput": "HttpDigitalOutputDriver", "ModbusTCPCoil": "ModbusCoilDriver"}


@dataclass(frozen=True)
class PowerTiming:
    """How long the board stays off (power) or held in reset (reset line), in seconds."""

    off_s: float = 0.5
    hold_s: float = 0.05


class PlacePower:
    """Reset the board of a place with its power port or reset line (whichever it has)."""

    def __init__(self, place: str, resource: ResourceView, timing: PowerTiming | None = None) -> None:
        from labgrid import Target
        from labgrid.factory import target_factory

        self.place = place
        self.resource = resource
        self.timing = timing or PowerTiming()
        self.kind = "power" if resource.cls in POWER_DRIVERS else "reset"
        target = Target(f"tinybench-{place}")
        args = {k: v for k, v in resource.params.items() if k != "extra"}
        try:
            labgrid_resource = target_factory.make_resource(target, resource.cls, resource.name, args)
            labgrid_resource.extra = dict(resource.params.get("extra") or {})
            driver_name = POWER_DRIVERS.get(resource.cls) or OUTPUT_DRIVERS[resource.cls]
            self._driver = target_factory.make_driver(target, driver_name, None, {})
            target.activate(self._driver)
        except Exception as exc:  # noqa: BLE001 - labgrid raises many kinds; one clear error
            raise TargetError(f"place {place}: cannot drive its {resource.cls} {resource.name!r}: {exc}") from exc
        self._target = target

    @staticmethod
    def find(resources: tuple[ResourceView, ...], wanted: str | None = None) -> ResourceView | None:
        """The place's power port or reset output (by name if `wanted`); a power port is preferred."""
        usable = [r for r in resources if r.cls in POWER_DRIVERS or r.cls in OUTPUT_DRIVERS]
        if wanted:
            usable = [r for r in usable if r.name == wanted]
        usable.sort(key=lambda r: (r.cls not in POWER_DRIVERS, r.name))
        return usable[0] if usable else None

    def describe(self) -> str:
        return f"{self.kind} via {self.resource.cls} {self.resource.name!r} ({self.resource.exporter})"

    def reset(self) -> float:
        """Power-cycle (or pulse reset); returns the perf_counter instant the board was let go."""
        try:
            if self.kind == "power":
                self._driver.off()
                time.sleep(self.timing.off_s)
                released = time.perf_counter()
                self._driver.on()
            else:
                self._driver.set(True)
                time.sleep(self.timing.hold_s)
                released = time.perf_counter()
                self._driver.set(False)
        except Exception as exc:  # noqa: BLE001 - HTTP, Modbus, PDU errors alike
            raise TargetError(f"place {self.place}: {self.kind} through {self.resource.cls} failed: {exc}",
                              hint="check the power switch / reset line of the place") from exc
        return released

    def power_on(self) -> None:
        """Make sure the board is powered (a place may have been left switched off)."""
        if self.kind == "power":
            try:
                if not self._driver.get():
                    self._driver.on()
            except Exception as exc:  # noqa: BLE001
                raise TargetError(f"place {self.place}: cannot switch the power on: {exc}") from exc

    def close(self) -> None:
        target: Any = self._target
        try:
            target.deactivate_all_drivers()
        except Exception:  # noqa: BLE001 - best effort at release
            pass
