"""Holding a labgrid place for a run: the lease, the target and monitor options it implies.

Shared by `tinybench run --place` and the `lab run` workers. The place is acquired before the
run (waiting with a deadline if asked), held across all of its workloads and firmware
flashes, and released on every exit path: success, failure, Ctrl-C and SIGTERM.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

MONITORS_ON_A_PORT = ("lpm01a",)  # power monitors reached over a serial port (-P port=…)


@dataclass
class PlaceRun:
    """An acquired place and what a run on it needs."""

    lease: object  # tinybench.targets.lab.place.PlaceLease
    target_options: dict[str, object] = field(default_factory=dict)
    power_options: dict[str, object] = field(default_factory=dict)
    relays: list = field(default_factory=list)


@contextmanager
def interrupt_on_sigterm() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt (main thread only), so `finally` blocks release the place."""
    def handler(*_: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def hold_place(place: str, coordinator: str | None, wait_s: float, modes: tuple[str, ...],
               options: dict[str, object], power: str | None, power_options: dict[str, object],
               on_wait: Callable[[str], None] | None = None) -> Iterator[PlaceRun]:
    """Acquire `place`; yield the serial target's and the power monitor's options for it; release."""
    from tinybench.targets.lab.coordinator import require_labgrid
    from tinybench.targets.lab.place import acquire_place

    require_labgrid()
    with interrupt_on_sigterm():
        lease = acquire_place(place, coordinator, wait_s, on_wait)
        run = PlaceRun(lease)
        try:
            run.target_options = {**options, "place": place}
            if "reset" not in options and lease.power is not None:
                run.target_options["reset"] = "place"  # spin-up through the place's power/reset driver
            run.power_options = dict(power_options)
            if ("energy" in modes and power in MONITORS_ON_A_PORT and "port" not in power_options
                    and lease.has_port("monitor")):
                run.power_options["port"] = _relay(run, lease, "monitor")
            yield run
        finally:
            for relay in run.relays:
                relay.close()
            lease.release()


def _relay(run: PlaceRun, lease, role: str) -> str:  # noqa: ANN001
    """The LPM01A driver opens device paths only: reach the place's port through a local pty."""
    from tinybench.targets.lab.port_relay import PortRelay

    endpoint = lease.endpoint(role)
    relay = PortRelay(endpoint.url, endpoint.speed, f"place {lease.name} ({role})")
    run.relays.append(relay)
    return relay.path
