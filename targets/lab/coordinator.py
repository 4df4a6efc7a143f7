"""A client of the labgrid coordinator: places, resources, acquire and release.

labgrid's `ClientSession` is asyncio code bound to one event loop; here that loop runs in
a daemon thread of its own, so the session keeps receiving place and resource updates
(an exporter that goes away is seen at once) while the benchmark blocks on serial I/O.
Every call from the caller's thread is a coroutine sent to that loop with a deadline.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tinybench.errors import MissingExtraError, TargetError
from tinybench.targets.lab import DEFAULT_COORDINATOR_PORT

T = TypeVar("T")

_ADDRESS = re.compile(r"^[A-Za-z0-9_.\-\[\]:]{1,253}\Z")  # \Z: `$` also matches before a final "\n"
CALL_TIMEOUT_S = 15.0


class CoordinatorError(TargetError):
    """The coordinator cannot be reached or refused a request."""


def require_labgrid() -> None:
    """Raise a clear error when the `lab` extra is not installed."""
    try:
        import labgrid  # noqa: F401
    except ImportError as exc:
        raise MissingExtraError("boards in a labgrid lab (--place, lab run)", "lab", "labgrid") from exc


def coordinator_address(explicit: str | None = None) -> str:
    """`explicit`, else $LG_COORDINATOR, as HOST:PORT (the port defaults to labgrid's 20408)."""
    address = (explicit or os.environ.get("LG_COORDINATOR") or "").strip()
    if not address:
        raise CoordinatorError("no labgrid coordinator given",
                               hint="pass --coordinator HOST:PORT or set LG_COORDINATOR=HOST:PORT")
    if not _ADDRESS.match(address):
        raise CoordinatorError(f"not a coordinator address: {address[:80]!r}", hint="expected HOST:PORT")
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        return f"{address}:{DEFAULT_COORDINATOR_PORT}"
    if not 0 < int(port) < 65536:
        raise CoordinatorError(f"coordinator port out of range in {address!r}")
    return address


@dataclass(frozen=True)
class ResourceView:
    """One resource of a place as the coordinator knows it (a copy, safe to keep)."""

    exporter: str
    group: str
    cls: str
    name: str  # the place's name for it (a match's rename), else the exporter's
    params: dict[str, Any]
    avail: bool

    @property
    def path(self) -> str:
        return f"{self.exporter}/{self.group}/{self.cls}/{self.name}"


@dataclass(frozen=True)
class PlaceView:
    """A place: its tags, who holds it, and (when acquired) its resources."""

    name: str
    tags: dict[str, str] = field(default_factory=dict)
    comment: str = ""
    acquired: str | None = None  # "host/user" of the holder
    matches: tuple[str, ...] = ()
    resources: tuple[ResourceView, ...] = ()
    orphaned: tuple[str, ...] = ()  # acquired resources whose exporter is gone


class CoordinatorClient:
    """A labgrid ClientSession on its own event-loop thread. Use as a context manager."""

    def __init__(self, address: str, connect_timeout_s: float = 10.0) -> None:
        require_labgrid()
        self.address = address
        self._loop = asyncio.new_event_loop()
        self._session: Any = None
        self._error: BaseException | None = None
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), name=f"labgrid {address}", daemon=True)
        self._thread.start()
        if not ready.wait(connect_timeout_s) or self._error is not None or self._session is None:
            self._stop_loop()
            raise CoordinatorError(f"cannot reach the labgrid coordinator at {address}"
                                   + (f": {self._error}" if self._error else f" within {connect_timeout_s:g} s"),
                                   hint="check --coordinator / LG_COORDINATOR and that labgrid-coordinator runs")

    def _serve(self, ready: threading.Event) -> None:
        from labgrid.remote.client import start_session

        asyncio.set_event_loop(self._loop)  # grpc.aio binds the channel to this thread's loop
        logging.getLogger().addHandler(logging.NullHandler())  # labgrid logs to the root logger
        try:
            self._session = start_session(self.address, loop=self._loop)
        except Exception as exc:  # noqa: BLE001 - reported to the caller as one clear error
            self._error = exc
        ready.set()
        if self._session is not None:
            self._loop.run_forever()

    # -- plumbing --------------------------------------------------------------------
    def _run(self, factory: Callable[[], Any], timeout_s: float = CALL_TIMEOUT_S) -> Any:
        """Run the coroutine made by `factory` on the session's loop; wait at most `timeout_s`."""
        if self._session is None or self._session.stopping.is_set():
            raise CoordinatorError(f"the connection to the labgrid coordinator at {self.address} was lost")
        future = asyncio.run_coroutine_threadsafe(factory(), self._loop)
        try:
            return future.result(timeout_s)
        except TimeoutError as exc:
            future.cancel()
            raise CoordinatorError(f"the labgrid coordinator at {self.address} did not answer within "
                                   f"{timeout_s:g} s") from exc

    def _request(self, method: str, request: Any) -> None:
        """One coordinator RPC, then a sync so that the session has seen its effects."""
        import grpc

        session = self._session

        async def call() -> None:
            try:
                await getattr(session.stub, method)(request)
            except grpc.aio.AioRpcError as exc:
                raise CoordinatorError(f"{exc.details()}") from None
            await session.sync_with_coordinator()

        self._run(call)

    def _snapshot(self, build: Callable[[Any], T]) -> T:
        """Read the session's state inside its loop (it is mutated there)."""
        session = self._session

        async def read() -> T:
            return build(session)

        return self._run(read)

    # -- queries ---------------------------------------------------------------------
    @property
    def identity(self) -> str:
        """Who this client is to the coordinator: "host/user" (LG_HOSTNAME / LG_USERNAME)."""
        return f"{self._session.gethostname()}/{self._session.getuser()}"

    def places(self) -> dict[str, PlaceView]:
        return self._snapshot(lambda s: {name: _place_view(s, place) for name, place in s.places.items()})

    def place(self, name: str) -> PlaceView:
        view = self._snapshot(lambda s: _place_view(s, s.places[name]) if name in s.places else None)
        if view is None:
            known = sorted(self.places())
            raise CoordinatorError(f"the coordinator at {self.address} has no place named {name!r}",
                                   hint=f"places: {', '.join(known[:20]) or 'none'}")
        return view

    def exporters(self) -> set[str]:
        """Exporters that currently publish at least one resource."""
        return self._snapshot(lambda s: {e for e, groups in s.resources.items()
                                         if any(group for group in groups.values())})

    # -- changes ---------------------------------------------------------------------
    def acquire(self, name: str) -> None:
        from labgrid.remote.generated import labgrid_coordinator_pb2 as pb

        self._request("AcquirePlace", pb.AcquirePlaceRequest(placename=name))

    def release(self, name: str) -> None:
        from labgrid.remote.generated import labgrid_coordinator_pb2 as pb

        self._request("ReleasePlace", pb.ReleasePlaceRequest(placename=name))

    def add_place(self, name: str, matches: list[tuple[str, str | None]], tags: dict[str, str] | None = None) -> None:
        """Create a place with its resource matches (pattern, rename) and tags (lab set-up)."""
        from labgrid.remote.generated import labgrid_coordinator_pb2 as pb

        self._request("AddPlace", pb.AddPlaceRequest(name=name))
        for pattern, rename in matches:
            request = pb.AddPlaceMatchRequest(placename=name, pattern=pattern)
            if rename:
                request.rename = rename
            self._request("AddPlaceMatch", request)
        if tags:
            self._request("SetPlaceTags", pb.SetPlaceTagsRequest(placename=name, tags=tags))

    # -- lifetime --------------------------------------------------------------------
    def close(self) -> None:
        session = self._session
        if session is not None and self._thread.is_alive():
            async def stop() -> None:
                await session.stop()
                await session.close()

            try:
                asyncio.run_coroutine_threadsafe(stop(), self._loop).result(5.0)
            except Exception:  # noqa: BLE001 - closing must not mask what the caller is doing
                pass
        self._session = None
        self._stop_loop()

    def _stop_loop(self) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5.0)

    def __enter__(self) -> CoordinatorClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _place_view(session: Any, place: Any) -> PlaceView:
    resources, orphaned = [], []
    for path in place.acquired_resources:
        exporter, group, cls, resource_name = path
        match = place.getmatch(path)
        name = match.rename if match is not None and match.rename else resource_name
        entry = session.resources.get(exporter, {}).get(group, {}).get(resource_name)
        if entry is None or not entry.data.get("cls"):
            orphaned.append(f"{exporter}/{group}/{cls}/{resource_name}")
            continue
        resources.append(ResourceView(exporter, group, entry.cls, name, dict(entry.params), bool(entry.avail)))
    return PlaceView(
        name=place.name, tags={str(k): str(v) for k, v in place.tags.items()}, comment=place.comment or "",
        acquired=place.acquired or None, matches=tuple(str(m) for m in place.matches),
        resources=tuple(resources), orphaned=tuple(orphaned),
    )
