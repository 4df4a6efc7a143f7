"""An acquired labgrid place: its serial ports as RFC 2217 URLs, its power, its release.

`acquire_place()` returns a :class:`PlaceLease`; release it with `.release()` or a `with`
block (every exit path: success, failure, Ctrl-C). A place held by someone else is a
:class:`PlaceHeldError` naming the holder, unless `wait_s` allows waiting for it.

Ports are found by name: a place's serial ports are called `dut`, `interface` (the MLPerf
Tiny interface board) and `monitor` (the power monitor), by the exporter's resource name
or a match's rename; a place with a single serial port uses it for the DUT. Everything the
coordinator says about a resource (host, port, speed) is checked before it is used.
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tinybench.errors import TargetError
from tinybench.targets.lab import PORT_ROLES
from tinybench.targets.lab.coordinator import (
    CoordinatorClient,
    CoordinatorError,
    PlaceView,
    ResourceView,
    coordinator_address,
)

SERIAL_CLASS = "NetworkSerialPort"
_HOST = re.compile(r"^[A-Za-z0-9_.\-]{1,253}\Z")  # \Z: `$` also matches before a final "\n"
_PLACE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}\Z")
POLL_S = 0.5
RESOURCE_READY_S = 15.0  # acquire → every exported port has its ser2net port


class PlaceHeldError(TargetError):
    """The place is acquired by another client."""


class PlaceLostError(TargetError):
    """The place went away while in use (its exporter stopped, or it was released under us)."""


@dataclass(frozen=True)
class SerialEndpoint:
    """Where a place's serial port is reachable (checked values)."""

    role: str
    resource: str
    host: str
    port: int
    speed: int
    exporter: str

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        # ser2net never confirms DTR/RTS control requests on a pty or many USB bridges:
        # without ign_set_control the open fails after 3.5 s (labgrid's SerialDriver adds it too).
        return f"rfc2217://{host}:{self.port}?ign_set_control"


def check_place_name(name: str) -> str:
    if not _PLACE.match(name or ""):
        raise TargetError(f"not a place name: {str(name)[:80]!r}", hint="letters, digits, _ . - (at most 64)")
    return name


@dataclass
class PlaceLease:
    """A place this process holds. Not thread-safe; one lease per place per process."""

    name: str
    client: CoordinatorClient
    view: PlaceView
    acquired_at: float = field(default_factory=time.time)
    _power: object | None = None
    _released: bool = False

    # -- ports -----------------------------------------------------------------------
    def serial_ports(self) -> dict[str, SerialEndpoint]:
        """Every serial port of the place by role (`dut`, `interface`, `monitor`, or its own name)."""
        serial = [r for r in self.view.resources if r.cls == SERIAL_CLASS]
        named = {r.name: r for r in serial}
        ports = {name: _endpoint(self.name, name, r) for name, r in named.items()}
        unnamed = [r for r in serial if r.name not in PORT_ROLES]
        if "dut" not in ports and "interface" not in ports and len(serial) == 1 and unnamed:
            ports["dut"] = _endpoint(self.name, "dut", unnamed[0])
        return ports

    def endpoint(self, role: str) -> SerialEndpoint:
        ports = self.serial_ports()
        if role not in ports:
            have = ", ".join(f"{k} ({v.resource})" for k, v in ports.items()) or "no serial port"
            raise TargetError(f"place {self.name} has no '{role}' serial port (it has {have})",
                              hint="name the exported ports dut / interface / monitor, or rename them "
                                   "with labgrid-client add-named-match")
        return ports[role]

    def has_port(self, role: str) -> bool:
        return role in self.serial_ports()

    # -- power -----------------------------------------------------------------------
    @property
    def power(self):  # noqa: ANN201 - PlacePower | None (labgrid imported only when used)
        if self._power is None:
            from tinybench.targets.lab.place_power import PlacePower

            resource = PlacePower.find(self.view.resources)
            self._power = PlacePower(self.name, resource) if resource is not None else False
        return self._power or None

    def reset(self) -> float:
        """Reset the board with the place's power port or reset line; the release instant."""
        power = self.power
        if power is None:
            raise TargetError(f"place {self.name} exports no power port or reset output",
                              hint="export a NetworkPowerPort (or a digital output on the reset pin), "
                                   "or use -O reset=command")
        return power.reset()

    # -- health ----------------------------------------------------------------------
    def lost_reason(self, grace_s: float = 0.0) -> str | None:
        """Why the place is no longer usable (exporter gone, released, resource down), or None.

        `grace_s`: after a link failure, the coordinator may hear of the exporter's end a moment
        after the client did; look again for up to this long before saying the place is fine.
        """
        deadline = time.monotonic() + grace_s
        while (reason := self._lost_now()) is None and time.monotonic() < deadline:
            time.sleep(0.2)
        return reason

    def _lost_now(self) -> str | None:
        try:
            view = self.client.place(self.name)
        except CoordinatorError as exc:
            return str(exc)
        if view.acquired != self.client.identity:
            return f"place {self.name} is no longer held by this client (now: {view.acquired or 'nobody'})"
        if view.orphaned:
            gone = sorted({path.split('/')[0] for path in view.orphaned})
            return (f"place {self.name} lost its exporter{'s' if len(gone) > 1 else ''} "
                    f"{', '.join(gone)} ({len(view.orphaned)} resource(s) orphaned)")
        down = [r.path for r in view.resources if not r.avail]
        if down:
            return f"place {self.name}: resource(s) no longer available: {', '.join(down)}"
        return None

    def describe(self) -> dict:
        """Facts for the result bundle (strings only, no secrets)."""
        exporters = sorted({r.exporter for r in self.view.resources})
        facts = {"place": self.name, "coordinator": self.client.address, "exporters": ",".join(exporters)}
        power = self.power
        if power is not None:
            facts["reset_via"] = power.describe()
        return facts

    # -- release ---------------------------------------------------------------------
    def release(self) -> None:
        if self._released:
            return
        self._released = True
        _HELD.pop(self.name, None)
        try:
            if self._power:
                self._power.close()
            self.client.release(self.name)
        except TargetError:
            pass  # the coordinator is gone: nothing left to release
        finally:
            self.client.close()

    def __enter__(self) -> PlaceLease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


_HELD: dict[str, PlaceLease] = {}


def held(name: str) -> PlaceLease | None:
    """The lease this process already holds on `name` (the serial target reuses it)."""
    return _HELD.get(name)


def acquire_place(name: str, coordinator: str | None = None, wait_s: float = 0.0,
                  on_wait: Callable[[str], None] | None = None) -> PlaceLease:
    """Acquire `name` (waiting up to `wait_s` for its holder to release it)."""
    check_place_name(name)
    if not 0 <= wait_s <= 7 * 24 * 3600:
        raise TargetError("--wait must be between 0 and 604800 seconds")
    client = CoordinatorClient(coordinator_address(coordinator))
    try:
        view = _acquire(client, name, wait_s, on_wait)
        lease = PlaceLease(name, client, view)
        _HELD[name] = lease
    except BaseException:
        client.close()
        raise
    try:
        if lease.power is not None:
            lease.power.power_on()  # a place may have been left switched off
    except BaseException:
        lease.release()
        raise
    return lease


def _acquire(client: CoordinatorClient, name: str, wait_s: float, on_wait: Callable[[str], None] | None) -> PlaceView:
    deadline = time.monotonic() + wait_s
    announced = False
    while True:
        view = client.place(name)
        if view.acquired is None:
            try:
                client.acquire(name)
                return _ready(client, name)
            except CoordinatorError as exc:
                if "already acquired" not in str(exc):
                    raise CoordinatorError(f"cannot acquire place {name}: {exc}",
                                           hint="labgrid-client -p NAME show tells what it matches") from exc
                view = client.place(name)  # someone was faster
        holder = view.acquired or "another client"
        if time.monotonic() >= deadline:
            mine = holder == client.identity
            waited = f" (waited {wait_s:g} s)" if wait_s else ""
            raise PlaceHeldError(
                f"place {name} is held by {holder}{' — that is you, in another session' if mine else ''}{waited}",
                hint=(f"wait for it with --wait SECONDS, or ask {holder.split('/')[-1]} to release it "
                      f"(labgrid-client -p {name} release)"))
        if on_wait and not announced:
            on_wait(f"place {name} is held by {holder}; waiting up to {wait_s:g} s")
            announced = True
        time.sleep(min(POLL_S, max(deadline - time.monotonic(), 0.0)))


def _ready(client: CoordinatorClient, name: str) -> PlaceView:
    """After acquiring: wait until every serial port has its ser2net port (started on acquire)."""
    deadline = time.monotonic() + RESOURCE_READY_S
    while True:
        view = client.place(name)
        pending = [r for r in view.resources if r.cls == SERIAL_CLASS and not (r.avail and r.params.get("port"))]
        if not pending and not view.orphaned:
            if not view.resources:
                client.release(name)
                raise TargetError(f"place {name} matches no exported resource",
                                  hint=f"labgrid-client -p {name} show; add a match with add-match")
            return view
        if time.monotonic() >= deadline:
            client.release(name)
            what = ", ".join([r.path for r in pending] + list(view.orphaned))
            raise TargetError(f"place {name}: {what} did not become available within {RESOURCE_READY_S:g} s",
                              hint="is its exporter running, and ser2net installed on that host?")
        time.sleep(0.1)


def _endpoint(place: str, role: str, resource: ResourceView) -> SerialEndpoint:
    """Check what the coordinator says about a serial port before using it."""
    params = resource.params
    host, port, speed = params.get("host"), params.get("port"), params.get("speed", 115200)
    extra = params.get("extra") or {}
    if isinstance(extra, dict) and extra.get("proxy_required"):
        raise TargetError(f"place {place}: port {resource.path} is reachable only through an SSH proxy",
                          hint="run tinybench on a host that reaches the exporter directly")
    if not isinstance(host, str) or not (_HOST.match(host) or _is_ip(host)):
        raise TargetError(f"place {place}: the coordinator gave an invalid host for {resource.path}: {str(host)[:80]!r}")
    if not isinstance(port, int) or not 0 < port < 65536:
        raise TargetError(f"place {place}: the coordinator gave an invalid port for {resource.path}: {str(port)[:20]!r}")
    if not isinstance(speed, int) or not 0 < speed <= 20_000_000:
        raise TargetError(f"place {place}: invalid speed for {resource.path}: {str(speed)[:20]!r}")
    return SerialEndpoint(role, resource.name, host, port, speed, resource.exporter)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
