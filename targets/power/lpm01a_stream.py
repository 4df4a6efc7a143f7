"""Bookkeeping of an LPM01A acquisition stream, without a port: what each line means for a window.

Samples are counted from `start` (global indices); a window keeps the samples and
events that arrive after it begins, and an event's index is the number of samples
received before it, as the instrument orders them — so a host that reads late still
sees exactly the same window. Every `TimeStamp:` line is checked against the number
of samples received (the instrument writes one per 1000 samples and its time is
samples ÷ rate): a mismatch means samples were lost on the way, and the window that
sees it is invalid. Event numbers must follow each other; anything else the board
sends during an acquisition that is not an acknowledgement is a problem too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from tinybench.targets.power.lpm01a_protocol import TIMESTAMP, Line, looks_like_data

REPLY_KINDS = ("ack", "error", "detail")
COMPLETED = "Acquisition completed"
MAX_PROBLEMS = 20


@dataclass
class StreamState:
    rate_hz: float
    acquiring: bool = False
    total: int = 0  # samples since `start`
    offset: int = 0  # samples the TimeStamp lines count but that never arrived (after a loss)
    window: list[float] | None = None
    window_base: int = 0  # global index of window[0]
    events: list[tuple[int, int]] = field(default_factory=list)  # (number, global index) in the window
    last_event_number: int | None = None
    last_mark: int = -1  # global index of the latest TimeStamp line
    problems: list[str] = field(default_factory=list)
    last_line_t: float = 0.0  # host monotonic time of the latest line

    def begin_window(self) -> None:
        self.window, self.window_base = [], self.total
        self.events, self.problems = [], []

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)

    def handle(self, line: Line) -> bool:
        """Account for one classified line; True if it is a reply for the command queue."""
        self.last_line_t = time.monotonic()
        if line.kind == "sample":
            self.total += 1
            if self.window is not None:
                self.window.append(float(line.value))
        elif line.kind == "event":
            self._event(int(line.value))
        elif line.kind == "timestamp":
            self._mark(line.text)
        elif line.kind in REPLY_KINDS:
            return True
        elif looks_like_data(line.text):
            self.problem(f"malformed sample line {line.text!r} after sample {self.total}")
        elif self.acquiring and COMPLETED not in line.text:
            self.problem(f"unexpected line from the LPM01A after sample {self.total}: {line.text[:60]!r}")
        else:
            return True
        return False

    def _event(self, number: int) -> None:
        if self.last_event_number is not None and number != self.last_event_number + 1:
            self.problem(f"timestamp events are not consecutive: {self.last_event_number} then {number} "
                         "(an event line was lost)")
        self.last_event_number = number
        if self.window is not None:
            self.events.append((number, self.total))

    def _mark(self, text: str) -> None:
        match = TIMESTAMP.match(text)
        if not match:
            self.problem(f"malformed TimeStamp line {text!r}")
            return
        said_ms = int(match[1]) * 1000 + int(match[2])
        counted = self.total + self.offset
        expected_ms = round(counted * 1000 / self.rate_hz) % 1_000_000
        if said_ms != expected_ms:
            said_samples = round(said_ms * self.rate_hz / 1000)
            missing = (said_samples - counted) % round(1000 * self.rate_hz)
            self.problem(f"samples lost: the LPM01A marked {text[11:20].strip()} after {counted} samples "
                         f"({missing} missing); the host did not read fast enough or the link dropped bytes")
            self.offset += missing
        self.last_mark = self.total

    def events_in_window(self) -> list[tuple[int, int]]:
        return [(n, index - self.window_base) for n, index in self.events]
