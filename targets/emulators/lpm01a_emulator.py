"""An ST X-NUCLEO-LPM01A's behaviour as pure code: command grammar and energy sample stream.

It speaks the board's grammar (`PowerShield > ack <cmd>`, `error <cmd>` + `Error detail:`,
`dddd±ee` energy samples, `TimeStamp:` lines every 1000 samples, `event <n> ris`,
`Acquisition completed`) and integrates a power model — supply voltage × (idle or active
current of the DUT) — over each sample period. Sample k of an acquisition covers
[origin + k·P, origin + (k+1)·P); an event line goes out after exactly the samples that
ended before its pulse, as the instrument records it. Times are seconds on the set-up's
clock; :mod:`~tinybench.targets.emulators.lpm01a_server` paces the stream.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

from tinybench.targets.power.lpm01a_protocol import FREQUENCIES, PROMPT, VOLT_MAX_MV, VOLT_MIN_MV, encode_sample

MARK_EVERY = 1000  # samples between TimeStamp lines
COMMANDS = ("htc", "hrc", "lcd", "pwr", "acqtime", "trigdelay", "trigsrc", "eventsrc", "output", "format", "freq",
            "volt", "start", "stop", "status")
GARBAGE_BURST = ("32", "3287-0", "12a4-07", "87-08328", "\x7f\x01\x02", "event x ris", "TimeStam", "99999-99",
                 "+-+-", "3287-08 3287-0", "ack", "\xff\xfe\xfd\xfc", "0000+0O", "-08", "TimeStamp: 1s")


@dataclass(frozen=True)
class PowerModel:
    idle_ma: float = 1.0  # DUT current between inferences
    active_ma: float = 10.0  # DUT current while inferring


@dataclass(frozen=True)
class MonitorFaults:
    """Ways the instrument misbehaves, for tests (events and samples count from 1 since `start`)."""

    no_ack: str | None = None  # never answer this command (first word, or "all")
    malformed_after: int | None = None  # after N samples, one malformed sample line
    skip_event: int | None = None  # number event N as N+1 (an event line lost in transit)
    miss_pulse: int | None = None  # the Nth pulse is never seen (no line, no number)
    garbage_after_event: int | None = None  # a burst of malformed lines right after event N
    stop_after_event: int | None = None  # the stream stops for good right after event N


class Acquisition:
    """One `start` … `stop`: the DUT's timeline in, sample/event/TimeStamp lines out."""

    def __init__(self, origin: float, period_s: float, power: PowerModel, faults: MonitorFaults,
                 powered: bool, voltage_mv: int) -> None:
        self.origin = origin
        self.period = period_s
        self.power = power
        self.faults = faults
        self.state = {"dut": "idle", "powered": powered, "voltage_mv": voltage_mv}
        self._changes: list[tuple[float, int, str, object]] = []  # (t, order, key, value)
        self._pulses: list[tuple[float, int]] = []  # (t, seq), pending
        self._order = 0
        self.emitted = 0  # samples
        self.events = 0  # event lines numbered so far
        self.pulses_seen = 0
        self.stopped = False  # the stop_after_event fault
        self._malformed_done = False
        self.emitted_pulses: list[int] = []  # seqs whose fate is decided (line out, missed or late)

    @property
    def frontier(self) -> float:
        """End of the last emitted sample: nothing before it can change any more."""
        return self.origin + self.emitted * self.period

    def change(self, t: float, key: str, value: object) -> None:
        self._order += 1
        bisect.insort(self._changes, (t, self._order, key, value))

    def pulse(self, t: float, seq: int) -> None:
        bisect.insort(self._pulses, (t, seq))

    def reset(self, t: float) -> None:
        """The DUT reset at `t`: what it announced after that will not happen."""
        self._changes = [c for c in self._changes if c[0] <= t]
        self.emitted_pulses += [seq for pt, seq in self._pulses if pt > t]
        self._pulses = [p for p in self._pulses if p[0] <= t]
        self.change(t, "dut", "idle")

    def next_pulse_due(self, now: float) -> float | None:
        return self._pulses[0][0] if self._pulses and self._pulses[0][0] <= now else None

    # -- output ---------------------------------------------------------------------------
    def emit(self, limit: float) -> list[str]:
        """Every line whose time has come by `limit` (s on the clock)."""
        lines: list[str] = []
        while not self.stopped:
            lines += self._due_pulses()
            if self.stopped:
                break
            end = self.frontier + self.period
            if end > limit:
                break
            lines.append(self._sample_line(self._integrate(self.frontier, end)))
            self.emitted += 1
            if self.emitted % MARK_EVERY == 0:
                seconds = self.emitted * self.period
                lines.append(f"TimeStamp: {int(seconds) % 1000:03d}s {int(round(seconds * 1000)) % 1000:03d}ms, "
                             "buff 00%")
        return lines

    def _due_pulses(self) -> list[str]:
        lines: list[str] = []
        while self._pulses:
            t, seq = self._pulses[0]
            index = math.floor((t - self.origin) / self.period + 1e-9)
            if index > self.emitted:
                break
            self._pulses.pop(0)
            self.emitted_pulses.append(seq)
            if t < self.origin:
                continue  # before `start`: not recorded
            self.pulses_seen += 1
            if self.faults.miss_pulse == self.pulses_seen:
                continue
            if index < self.emitted:  # the emulator could not place it: say so rather than misplace it
                lines.append(f"emulator: DUT pulse {seq} reached the monitor "
                             f"{(self.frontier - t) * 1e3:.0f} ms late; its window is not measurable")
            self.events += 1
            number = self.events + (1 if self.faults.skip_event and self.events >= self.faults.skip_event else 0)
            lines.append(f"event {number} ris")
            if self.faults.garbage_after_event == self.events:
                lines += GARBAGE_BURST
            if self.faults.stop_after_event == self.events:
                self.stopped = True
                break
        return lines

    def _power_w(self) -> float:
        if not self.state["powered"]:
            return 0.0
        current_ma = self.power.active_ma if self.state["dut"] == "active" else self.power.idle_ma
        return self.state["voltage_mv"] / 1000.0 * current_ma / 1000.0

    def _integrate(self, start: float, end: float) -> float:
        """Joules drawn in [start, end), applying the timeline's changes where they fall."""
        energy, t = 0.0, start
        while self._changes and self._changes[0][0] < end:
            when, _, key, value = self._changes.pop(0)
            if when > t:
                energy += self._power_w() * (when - t)
                t = when
            self.state[key] = value
        return energy + self._power_w() * (end - t)

    def _sample_line(self, joules: float) -> str:
        if self.faults.malformed_after is not None and not self._malformed_done \
                and self.emitted >= self.faults.malformed_after:
            self._malformed_done = True
            return "12a4-07"
        return encode_sample(joules)


class Lpm01aBoard:
    """The board's command interpreter; `start` opens an :class:`Acquisition` at clock time `now`."""

    def __init__(self, power: PowerModel | None = None, faults: MonitorFaults | None = None) -> None:
        self.power = power or PowerModel()
        self.faults = faults or MonitorFaults()
        self.voltage_mv = 3300
        self.frequency = "1k"
        self.powered = False
        self.acquisition: Acquisition | None = None

    @property
    def period_s(self) -> float:
        return 1.0 / FREQUENCIES[self.frequency]

    def command(self, line: str, now: float | None) -> list[str]:
        """A host command line → reply lines. `now`: clock time (None: not known yet, virtual clock)."""
        word = line.split(" ", 1)[0]
        if self.faults.no_ack in (word, "all"):
            return []
        if word not in COMMANDS:
            return [f"{PROMPT}error {line}", "Error detail: Command unknown"]
        problem = self._apply(word, line[len(word):].strip(), now)
        if problem:
            return [f"{PROMPT}error {line}", f"Error detail: {problem}"]
        out = [f"{PROMPT}ack {line}"]
        if word == "stop":
            out.append(f"{PROMPT}Acquisition completed")
        return out

    def _apply(self, word: str, argument: str, now: float | None) -> str | None:
        if word == "volt":
            try:
                millivolts = int(argument.rstrip("m")) if argument.endswith("m") else int(float(argument) * 1000)
            except ValueError:
                return f"invalid voltage '{argument}'"
            if not VOLT_MIN_MV <= millivolts <= VOLT_MAX_MV:
                return f"voltage {millivolts} mV outside {VOLT_MIN_MV}-{VOLT_MAX_MV} mV"
            self.voltage_mv = millivolts
            self._timeline(now, "voltage_mv", millivolts)
        elif word == "freq":
            if argument not in FREQUENCIES:
                return f"invalid frequency '{argument}'"
            if self.acquisition is not None:
                return "the sampling frequency cannot change during an acquisition"
            self.frequency = argument
        elif word == "pwr":
            self.powered = argument.split(" ")[0] == "on"
            self._timeline(now, "powered", self.powered)
        elif word == "start":
            self.start(now)
        elif word == "stop":
            self.acquisition = None
        return None

    def start(self, origin: float | None) -> None:
        """Open an acquisition; with no origin yet (virtual clock) the DUT's first report sets it."""
        self.acquisition = Acquisition(origin if origin is not None else math.nan, self.period_s, self.power,
                                       self.faults, self.powered, self.voltage_mv)

    def _timeline(self, now: float | None, key: str, value: object) -> None:
        acquisition = self.acquisition
        if acquisition is None:
            return
        if now is None or math.isnan(acquisition.origin):
            acquisition.state[key] = value
        else:
            acquisition.change(max(now, acquisition.frontier), key, value)
