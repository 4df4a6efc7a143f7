"""Boards in a labgrid lab: places acquired through the coordinator, spoken to over RFC 2217.

labgrid (the `lab` extra) is imported only by the modules of this package that talk to a
coordinator, and only when they are used; importing `tinybench.targets.lab` itself costs
nothing and needs no extra.

- :mod:`.coordinator` — a client session to the labgrid coordinator (places, resources,
  acquire/release) on its own event-loop thread.
- :mod:`.place` — a :class:`~.place.PlaceLease`: an acquired place, its serial ports as
  `rfc2217://host:port?ign_set_control` URLs, its power or reset driver, released on every
  exit path.
- :mod:`.place_power` — the place's power switch or reset line through labgrid's drivers.
- :mod:`.port_relay` — a remote port seen as a local pseudo-terminal (for tools that open
  device paths only).
- :mod:`.emulated_board` and :mod:`.emulated_lab` — a lab without hardware: a coordinator,
  exporters acting as hosts, and DUT emulators behind ser2net.
"""

from __future__ import annotations

DEFAULT_COORDINATOR_PORT = 20408
PORT_ROLES = ("dut", "interface", "monitor")  # names a place gives its serial ports
