"""What the serial target needs from a place: port URLs, a reset, facts, a release.

`attach_place()` reuses the lease this process already holds on the place (`tinybench run
--place` and `lab run` acquire it first, with `--wait`, and hold it across workloads and
firmware flashes), or else acquires it and releases it again on `close()`.
"""

from __future__ import annotations

from tinybench.targets.lab.place import PlaceLease, acquire_place, held


class PlaceAttachment:
    def __init__(self, lease: PlaceLease, owned: bool) -> None:
        self.lease = lease
        self.owned = owned

    def port_url(self, role: str) -> str:
        """`rfc2217://…` of the place's `role` port, or "" if the place has none."""
        return self.lease.endpoint(role).url if self.lease.has_port(role) else ""

    def reset(self) -> float:
        return self.lease.reset()

    def lost_reason(self) -> str | None:
        """After an I/O error: did the place go away (its exporter stopped)?"""
        return self.lease.lost_reason(grace_s=1.0)

    def describe(self) -> dict:
        return self.lease.describe()

    def close(self) -> None:
        if self.owned:
            self.lease.release()


def attach_place(name: str, coordinator: str = "") -> PlaceAttachment:
    lease = held(name)
    if lease is not None:
        return PlaceAttachment(lease, owned=False)
    return PlaceAttachment(acquire_place(name, coordinator or None), owned=True)
