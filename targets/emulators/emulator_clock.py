"""The clock an emulated set-up runs on, and the timed output items the emulators produce.

Real time (the default, `--time-scale 1`): times are `time.monotonic()` seconds, which
is the same clock in every process on the machine, so the DUT emulator and the LPM01A
emulator agree on when a pulse happened without exchanging clocks. An emulated device
computes its own times from a model (a window ends exactly N × t_inference after it
started) and the process then waits for the wall clock to get there: scheduler jitter
delays the bytes, never the modelled times.

Virtual time (`--time-scale 0`): a counter that advances only when the emulated
device works (compute, bytes on its UART). Every emulator of a set-up must then share
it; the LPM01A emulator follows the times the DUT emulator reports.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

TIME_SCALES = (0.0, 1.0)


def clock_kind(time_scale: float) -> str:
    """`real` (1) or `virtual` (0); anything else is refused with the reason."""
    if time_scale == 1.0:
        return "real"
    if time_scale == 0.0:
        return "virtual"
    raise ValueError(f"--time-scale must be 1 (real time, as a board runs) or 0 (virtual clock for fast tests), "
                     f"got {time_scale:g}")


class EmulatorClock:
    """Seconds on the set-up's clock; `reach(t)` moves a virtual clock forward (no-op in real time)."""

    def __init__(self, kind: str = "real") -> None:
        if kind not in ("real", "virtual"):
            raise ValueError(f"unknown clock kind {kind!r}")
        self.kind = kind
        self._virtual_s = 0.0

    @property
    def virtual(self) -> bool:
        return self.kind == "virtual"

    def now(self) -> float:
        return self._virtual_s if self.virtual else time.monotonic()

    def reach(self, t: float) -> None:
        if self.virtual and t > self._virtual_s:
            self._virtual_s = t


@dataclass(frozen=True)
class Until:
    """Output item: hold the following bytes until the clock reads `t` (s)."""

    t: float


@dataclass(frozen=True)
class AwaitPulse:
    """Output item: hold the following bytes until the power monitor has emitted pulse `seq`.

    On a bench the monitor sees a GPIO edge at once, long before the DUT's next UART
    bytes reach the host; this keeps that order between two emulator processes.
    """

    seq: int


Out = str | Until | AwaitPulse  # str: exact bytes (latin-1) the device prints


def text_of(items: list[Out]) -> str:
    """The bytes of an output sequence, without its timing."""
    return "".join(item for item in items if isinstance(item, str))


def lines_of(items: list[Out]) -> list[str]:
    """The output split into CRLF-terminated lines (a bare LF stays inside its line)."""
    text = text_of(items)
    parts = text.split("\r\n")
    return parts[:-1] if parts and parts[-1] == "" else parts
