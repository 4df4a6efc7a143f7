"""ST X-NUCLEO-LPM01A over serial: setup, power, acquisition, with a deadline on every ack.

A background thread reads the board continuously (a 10-s window at 1 kHz is ~80 kB of
ASCII, more than an OS serial buffer may hold) and sorts lines into data (samples,
events, TimeStamp marks) and messages (acks, errors). Commands wait for their own
`ack <command>` at most `ack_timeout_s` — the official runner waits forever.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass

import numpy as np

from tinybench.targets.power.contract import MonitorError, MonitorInfo, PowerMonitor, SampleCapture
from tinybench.targets.power.lpm01a_protocol import (
    FREQUENCIES,
    TIMESTAMP,
    classify,
    looks_like_data,
    setup_commands,
)


@dataclass(frozen=True)
class Lpm01aOptions:
    port: str = ""
    baud: int = 3686400
    voltage_v: float = 1.8  # DUT supply (MLPerf Tiny: 1.8 V for kws/ic/vww/ad)
    frequency: str = "1k"  # energy samples per second
    ack_timeout_s: float = 2.0

    def __post_init__(self) -> None:
        if not self.port:
            raise ValueError("the lpm01a monitor needs a port: -P port=/dev/ttyACM1")
        setup_commands(self.voltage_v, self.frequency)  # validates both


class Lpm01a(PowerMonitor):
    name = "lpm01a"
    Options = Lpm01aOptions

    def __init__(self, options: Lpm01aOptions) -> None:
        super().__init__(options)
        self._port = None
        self._messages: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._samples: list[float] = []
        self._events: list[tuple[int, int]] = []
        self._problems: list[str] = []
        self._timestamps = 0
        self._stop = threading.Event()
        self._reader: threading.Thread | None = None
        self.rate = FREQUENCIES[options.frequency]

    # -- connection -----------------------------------------------------------------
    def open(self) -> MonitorInfo:
        import serial

        try:
            self._port = serial.Serial(self.options.port, self.options.baud, timeout=0.05)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise MonitorError(f"cannot open the LPM01A port {self.options.port}: {exc}") from exc
        self._port.reset_input_buffer()
        self._reader = threading.Thread(target=self._read_loop, name="lpm01a-reader", daemon=True)
        self._reader.start()
        for command in setup_commands(self.options.voltage_v, self.options.frequency):
            self.command(command)
        self.command("pwr on nostatus")
        self.command("start")
        return MonitorInfo(instrument="ST X-NUCLEO-LPM01A", sample_rate_hz=self.rate,
                           supply_voltage_v=self.options.voltage_v,
                           details={"port": self.options.port, "output": "energy", "format": "ascii_dec"})

    def command(self, command: str) -> None:
        """Send `command`; wait for `ack <command>` (a MonitorError on error, stray text or timeout)."""
        while not self._messages.empty():
            self._messages.get_nowait()
        self._port.write((command + "\r\n").encode("ascii"))
        deadline = time.monotonic() + self.options.ack_timeout_s
        while True:
            try:
                kind, text = self._messages.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise MonitorError(f"the LPM01A did not acknowledge '{command}' within "
                                   f"{self.options.ack_timeout_s:g} s", ) from None
            if kind == "ack" and text == command:
                return
            if kind == "error":
                detail = self._detail(deadline)
                raise MonitorError(f"the LPM01A refused '{command}': {text}" + (f" ({detail})" if detail else ""))
            # other messages (banners, summaries) are not an answer; keep waiting

    def _detail(self, deadline: float) -> str:
        try:
            kind, text = self._messages.get(timeout=max(0.05, deadline - time.monotonic()))
            return text if kind == "detail" else ""
        except queue.Empty:
            return ""

    # -- reader thread ----------------------------------------------------------------
    def _read_loop(self) -> None:
        buffer = bytearray()
        while not self._stop.is_set():
            try:
                chunk = self._port.read(self._port.in_waiting or 1)
            except (OSError, TypeError):
                return
            if not chunk:
                continue
            buffer.extend(chunk)
            while (newline := buffer.find(b"\n")) >= 0:
                raw = bytes(buffer[:newline]).decode("ascii", "replace")
                del buffer[: newline + 1]
                self._handle(raw)

    def _handle(self, raw: str) -> None:
        line = classify(raw)
        if not line.text:
            return
        with self._lock:
            if line.kind == "sample":
                self._samples.append(float(line.value))
            elif line.kind == "event":
                self._events.append((int(line.value), len(self._samples)))
            elif line.kind == "timestamp":
                self._timestamps += 1
                if not TIMESTAMP.match(line.text):
                    self._problems.append(f"malformed TimeStamp line {line.text!r}")
            elif line.kind == "message" and looks_like_data(line.text):
                self._problems.append(f"malformed sample line {line.text!r} after sample {len(self._samples)}")
            else:
                self._messages.put((line.kind, line.text))

    # -- windows ------------------------------------------------------------------------
    def begin_window(self) -> None:
        with self._lock:
            self._samples.clear()
            self._events.clear()
            self._problems.clear()

    def end_window(self, expected_events: int = 2, timeout_s: float = 10.0) -> SampleCapture:
        """Wait until `expected_events` events have arrived (never longer than `timeout_s`).

        The board sends every sample before an event line ahead of it, and the window's
        energy is Σ samples[i0:i1] (the sample in which the last event falls is not in
        it), so nothing later needs to be awaited.
        """
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if len(self._events) >= expected_events:
                    break
            time.sleep(0.005)
        with self._lock:
            problems = list(self._problems)
            if len(self._events) < expected_events:
                problems.append(f"{len(self._events)} timestamp events within {timeout_s:g} s; "
                                f"expected {expected_events} (is the DUT's timestamp pin wired to D7?)")
            return SampleCapture(np.asarray(self._samples, dtype=np.float64), list(self._events), self.rate, problems)

    def close(self) -> None:
        if self._port is None:
            return
        try:
            for command in ("stop", "pwr off", "hrc"):
                try:
                    self.command(command)
                except MonitorError:
                    pass
        finally:
            self._stop.set()
            if self._reader:
                self._reader.join(timeout=1)
            try:
                self._port.close()
            except OSError:
                pass
            self._port = None
