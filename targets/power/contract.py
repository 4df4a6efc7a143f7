"""The power-monitor contract: instruments return raw captures; the harness computes energy.

Two kinds of capture:
- :class:`SampleCapture` — an energy sample stream (J per sample period) with the
  timestamp events the DUT signalled (LPM01A, Joulescope), as MLPerf Tiny's energy mode;
- :class:`CounterCapture` — an energy counter read before and after a window (RAPL).
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np


class MonitorError(Exception):
    """The instrument misbehaved (no ack, malformed data); the message says how."""


class MonitorUnavailable(Exception):
    """The instrument cannot measure here (absent, unreadable); the message is the reason."""


@dataclass(frozen=True)
class MonitorInfo:
    instrument: str
    sample_rate_hz: float | None  # None for counters read per window
    supply_voltage_v: float | None  # None where the instrument does not set the supply
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class SampleCapture:
    """Everything a sample-stream monitor delivered for one window.

    `samples_j[i]` is the energy of sample period i (J); `events` are (event number,
    index of the first sample after the event); `problems` lists malformed or missing
    data, each making the window invalid.
    """

    samples_j: np.ndarray
    events: list[tuple[int, int]]
    sample_rate_hz: float
    problems: list[str] = field(default_factory=list)


@dataclass
class CounterCapture:
    """An energy counter (µJ) read around a window, which wraps at `max_range_uj`."""

    start_uj: list[int]  # one value per counter (e.g. per CPU package)
    end_uj: list[int]
    max_range_uj: list[int]
    domains: list[str]
    elapsed_s: float | None = None  # host time between the two reads, when the monitor knows it


class PowerMonitor(ABC):
    name: ClassVar[str]
    Options: ClassVar[type]
    #: True if the monitor sees the DUT's timestamp events (window = between them).
    uses_timestamp_events: ClassVar[bool] = True

    def __init__(self, options: Any) -> None:
        self.options = options

    def options_json(self) -> dict:
        return dataclasses.asdict(self.options)

    @abstractmethod
    def open(self) -> MonitorInfo:
        """Connect, configure (voltage, rate), power the DUT. Raises MonitorUnavailable or MonitorError."""

    @abstractmethod
    def begin_window(self) -> None:
        """Mark the start of a window (discard data received before it)."""

    @abstractmethod
    def end_window(self, expected_events: int = 2, timeout_s: float = 10.0, verify: bool = True) -> SampleCapture | CounterCapture:
        """Everything since `begin_window` (waiting for `expected_events` events, never longer than `timeout_s`).

        `verify`: also wait for whatever proves the window complete (a stream's next time
        mark); calibration probes skip it.
        """

    def close(self) -> None:  # noqa: B027 - optional hook
        """Power the DUT off and release the instrument."""
