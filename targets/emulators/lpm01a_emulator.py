"""An ST X-NUCLEO-LPM01A on a pseudo-terminal, measuring an emulated DUT.

It speaks the board's grammar (`PowerShield > ack <cmd>`, `error <cmd>` + `Error detail:`,
`dddd±ee` energy samples, `TimeStamp:` lines every 1000 samples, `event <n> ris`,
`Acquisition completed`) and integrates a power model — supply voltage × (idle or active
current) — along the DUT emulator's own clock. The DUT emulator reports each state change
and timestamp pulse with its device time (µs) in a datagram on a Unix socket:
`active <us>`, `idle <us>`, `ts <us>`. So the whole energy path runs with real processes,
real ptys and real parsers, and the expected energy is known exactly.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import tempfile
import tty
from dataclasses import dataclass

from tinybench.targets.power.lpm01a_protocol import FREQUENCIES, PROMPT, VOLT_MAX_MV, VOLT_MIN_MV, encode_sample


@dataclass(frozen=True)
class PowerModel:
    idle_ma: float = 1.0  # DUT current between inferences
    active_ma: float = 10.0  # DUT current while inferring


@dataclass(frozen=True)
class MonitorFaults:
    no_ack: str | None = None  # never answer this command (first word, or "all")
    malformed_after: int | None = None  # after N samples, one malformed sample line
    skip_event: int | None = None  # number event N as N+1 (non-consecutive events)


COMMANDS = ("htc", "hrc", "lcd", "pwr", "acqtime", "trigdelay", "trigsrc", "eventsrc", "output", "format", "freq",
            "volt", "start", "stop", "status")


class Lpm01aModel:
    """The board's state machine: host command lines and DUT timeline → output lines."""

    def __init__(self, power: PowerModel | None = None, faults: MonitorFaults | None = None) -> None:
        self.power = power or PowerModel()
        self.faults = faults or MonitorFaults()
        self.voltage_mv = 3300
        self.frequency = "1k"
        self.powered = False
        self.acquiring = False
        self.dut_active = False
        self._origin_us: int | None = None
        self._last_us = 0
        self._accumulated_j = 0.0
        self.samples_sent = 0
        self.events_sent = 0
        self._malformed_done = False

    @property
    def period_us(self) -> float:
        return 1e6 / FREQUENCIES[self.frequency]

    # -- host commands --------------------------------------------------------------------
    def command(self, line: str) -> list[str]:
        word = line.split(" ", 1)[0]
        if self.faults.no_ack in (word, "all"):
            return []
        if word not in COMMANDS:
            return [f"{PROMPT}error {line}", "Error detail: Command unknown"]
        problem = self._apply(word, line[len(word):].strip())
        if problem:
            return [f"{PROMPT}error {line}", f"Error detail: {problem}"]
        out = [f"{PROMPT}ack {line}"]
        if word == "stop":
            out.append(f"{PROMPT}Acquisition completed")
        return out

    def _apply(self, word: str, argument: str) -> str | None:
        if word == "volt":
            try:
                millivolts = int(argument.rstrip("m")) if argument.endswith("m") else int(float(argument) * 1000)
            except ValueError:
                return f"invalid voltage '{argument}'"
            if not VOLT_MIN_MV <= millivolts <= VOLT_MAX_MV:
                return f"voltage {millivolts} mV outside {VOLT_MIN_MV}-{VOLT_MAX_MV} mV"
            self.voltage_mv = millivolts
        elif word == "freq":
            if argument not in FREQUENCIES:
                return f"invalid frequency '{argument}'"
            self.frequency = argument
        elif word == "pwr":
            self.powered = argument.split(" ")[0] == "on"
        elif word == "start":
            self.acquiring = True
            self._origin_us = None
            self.samples_sent = 0
            self._accumulated_j = 0.0
        elif word == "stop":
            self.acquiring = False
        return None

    # -- the DUT's timeline ----------------------------------------------------------------
    def dut(self, kind: str, device_us: int) -> list[str]:
        lines = self._advance(device_us)
        if kind == "ts" and self.acquiring:
            self.events_sent += 1
            number = self.events_sent + (1 if self.faults.skip_event and self.events_sent >= self.faults.skip_event
                                         else 0)
            lines.append(f"event {number} ris")
        elif kind == "active":
            self.dut_active = True
        elif kind == "idle":
            self.dut_active = False
        return lines

    def _power_w(self) -> float:
        if not self.powered:
            return 0.0
        current = self.power.active_ma if self.dut_active else self.power.idle_ma
        return self.voltage_mv / 1000.0 * current / 1000.0

    def _advance(self, device_us: int) -> list[str]:
        if not self.acquiring:
            return []
        if self._origin_us is None:
            self._origin_us = self._last_us = device_us
            return []
        lines: list[str] = []
        power = self._power_w()
        while self._last_us < device_us:
            sample_end = self._origin_us + self.period_us * (self.samples_sent + 1)
            segment_end = min(sample_end, device_us)
            self._accumulated_j += power * (segment_end - self._last_us) / 1e6
            self._last_us = segment_end
            if segment_end == sample_end:
                lines.append(self._sample_line())
                self._accumulated_j = 0.0
                self.samples_sent += 1
                if self.samples_sent % 1000 == 0:
                    seconds = self.samples_sent * self.period_us / 1e6
                    lines.append(f"TimeStamp: {int(seconds) % 1000:03d}s {int(seconds * 1000) % 1000:03d}ms, buff 00%")
        return lines

    def _sample_line(self) -> str:
        if self.faults.malformed_after is not None and not self._malformed_done \
                and self.samples_sent >= self.faults.malformed_after:
            self._malformed_done = True
            return "12a4-07"
        return encode_sample(self._accumulated_j)


def serve(power: PowerModel, faults: MonitorFaults, socket_path: str | None = None) -> None:
    """Run the board on a pty; print `pty:`, `pid:` and `dut-socket:`; stop on SIGTERM/SIGINT."""
    model = Lpm01aModel(power, faults)
    master, slave = os.openpty()
    tty.setraw(slave)
    path = socket_path or os.path.join(tempfile.mkdtemp(prefix="tinybench-lpm01a-"), "dut.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    print(f"pty: {os.ttyname(slave)}", flush=True)
    print(f"pid: {os.getpid()}", flush=True)
    print(f"dut-socket: {path}", flush=True)
    pending = bytearray()

    def send(lines: list[str]) -> None:
        if lines:
            os.write(master, "".join(f"{line}\r\n" for line in lines).encode("ascii"))

    try:
        while not stop:
            try:
                ready, _, _ = select.select([master, sock], [], [], 0.1)
            except InterruptedError:
                continue
            if sock in ready:
                message = sock.recv(256).decode("ascii", "replace").split()
                if len(message) == 2 and message[1].isdigit():
                    send(model.dut(message[0], int(message[1])))
            if master in ready:
                try:
                    pending.extend(os.read(master, 4096))
                except OSError:
                    continue
                while (newline := pending.find(b"\n")) >= 0:
                    line = bytes(pending[:newline]).decode("ascii", "replace").strip()
                    del pending[: newline + 1]
                    if line:
                        send(model.command(line))
    finally:
        sock.close()
        os.unlink(path)
        os.close(master)
        os.close(slave)
