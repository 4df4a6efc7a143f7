"""ST X-NUCLEO-LPM01A over serial: setup, power, acquisition, with a deadline on every ack.

The board streams from `start` to `stop` whatever the DUT does (about 9 kB/s of ASCII
at 1 kHz), so a background thread reads it continuously and keeps the bookkeeping of
:mod:`~tinybench.targets.power.lpm01a_stream`. A window is delimited by the DUT's
timestamp events *in the stream*, never by host time: the host's clock is used only to
know how far the stream must have come before a missing event can be called lost.
Commands wait for their own `ack <command>` at most `ack_timeout_s` — the official
runner waits forever.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass

import numpy as np

from tinybench.targets.power.contract import MonitorError, MonitorInfo, PowerMonitor, SampleCapture
from tinybench.targets.power.lpm01a_protocol import FREQUENCIES, classify, setup_commands
from tinybench.targets.power.lpm01a_stream import StreamState

LIVE_WAIT_S = 1.5  # how long after `start` a real-time stream must have begun
SETTLE_S = 0.15  # the stream must reach this far past the end of the inference before a window closes
GRACE_S = 0.75  # … and this far before a missing event is called lost
STALL_S = 1.0  # no line for this long, nothing unread: the stream stopped
DRIFT = 2e-4  # allowance for the instrument's clock against the host's (200 ppm)


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
        self.rate = FREQUENCIES[options.frequency]
        self._stream = StreamState(self.rate)
        self._stop = threading.Event()
        self._reader: threading.Thread | None = None
        self._t_start = 0.0  # host time when the acquisition started
        self.live = False  # the stream flows in real time (an instrument), not only when a DUT reports
        self._last_read_t = 0.0  # host time the reader last got bytes

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
        with self._lock:
            self._stream.acquiring = True
        self.command("start")
        self._t_start = time.monotonic()
        self.live = self._wait_for_samples(LIVE_WAIT_S)
        stream = "continuous" if self.live else "event-driven (a DUT emulator on a virtual clock)"
        return MonitorInfo(instrument="ST X-NUCLEO-LPM01A", sample_rate_hz=self.rate,
                           supply_voltage_v=self.options.voltage_v,
                           details={"port": self.options.port, "output": "energy", "format": "ascii_dec",
                                    "stream": stream})

    def _wait_for_samples(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if self._stream.total:
                    return True
            time.sleep(0.01)
        return False

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
            except (OSError, TypeError, AttributeError):
                return
            if not chunk:
                continue
            self._last_read_t = time.monotonic()
            buffer.extend(chunk)
            while (newline := buffer.find(b"\n")) >= 0:
                raw = bytes(buffer[:newline]).decode("latin-1")
                del buffer[: newline + 1]
                line = classify(raw)
                if line.text:
                    with self._lock:
                        reply = self._stream.handle(line)
                    if reply:
                        self._messages.put((line.kind, line.text))

    def _unread_bytes(self) -> int:
        try:
            return int(self._port.in_waiting)
        except (OSError, TypeError, AttributeError):
            return 0

    # -- windows ------------------------------------------------------------------------
    def begin_window(self) -> None:
        with self._lock:
            self._stream.begin_window()

    def end_window(self, expected_events: int = 2, timeout_s: float = 10.0, verify: bool = True) -> SampleCapture:
        """The window's samples and events, once the stream shows it is complete.

        A continuous stream must run `SETTLE_S` past this call (so every pulse of the
        inference has arrived) and, with `verify`, reach the next TimeStamp line after
        the window's last event (so a sample lost inside the window is seen). An event
        still missing once the stream is `GRACE_S` past, a stream that stops, or
        `timeout_s` without an answer makes the window invalid, with the reason.
        """
        called = time.monotonic()
        elapsed = called - self._t_start
        settle = elapsed + SETTLE_S + DRIFT * elapsed
        grace = elapsed + GRACE_S + DRIFT * elapsed
        problem = None
        while True:
            now = time.monotonic()
            with self._lock:
                stream = self._stream
                stream_s, n_events = stream.total / self.rate, len(stream.events)
                last_event = stream.events[-1][1] if stream.events else None
                quiet_s = now - max(stream.last_line_t, self._last_read_t)
                last_mark = stream.last_mark
            if self.live:
                if n_events >= expected_events and stream_s >= settle \
                        and (not verify or last_mark >= last_event):
                    break
                if n_events < expected_events and stream_s >= grace:
                    problem = (f"{n_events} of {expected_events} timestamp events in the window although the "
                               f"stream ran {stream_s - elapsed:.2f} s past the end of the inference "
                               "(a pulse was not seen: is the DUT's timestamp pin wired to D7?)")
                    break
                if quiet_s > STALL_S and self._unread_bytes() == 0:
                    problem = (f"the LPM01A stream stopped: nothing for {quiet_s:.1f} s after sample "
                               f"{stream.total} (is it still connected and acquiring?)")
                    break
            elif n_events >= expected_events:
                break
            if now - called > timeout_s:
                problem = (f"{n_events} timestamp events within {timeout_s:g} s; expected {expected_events} "
                           "(is the DUT's timestamp pin wired to D7?)")
                break
            time.sleep(0.005)
        with self._lock:
            stream = self._stream
            problems = list(stream.problems) + ([problem] if problem else [])
            return SampleCapture(np.asarray(stream.window or [], dtype=np.float64), stream.events_in_window(),
                                 self.rate, problems)

    def close(self) -> None:
        if self._port is None:
            return
        try:
            with self._lock:
                self._stream.acquiring = False
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
