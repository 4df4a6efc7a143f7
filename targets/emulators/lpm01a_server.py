"""`tinybench emulate lpm01a`: the LPM01A on a pseudo-terminal, streaming as the instrument does.

Real time (default): after `start` the board streams samples at the configured rate,
paced by the wall clock, whatever the DUT does, until `stop`; each event line goes out
the moment the DUT's pulse happens (after the samples that ended before it). Sample
values follow the DUT emulator's announced timeline (see
:mod:`~tinybench.targets.emulators.monitor_link`), so a late-scheduled process changes
when bytes leave, never what they say. Samples are held back `LAG_S` so a DUT report
can always arrive before the sample it concerns is written.

Virtual time (`--time-scale 0`): the stream advances only as far as the DUT emulator
has reported (its virtual clock); both emulators must use it.

Output goes through the instrument's buffer (`--buffer-bytes`): when the host does not
read and the pty is full, bytes beyond it are lost, as on a USB link without flow
control, and the `buff NN%` of the TimeStamp lines shows its fill.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import tempfile
import time
import tty
from dataclasses import dataclass

from tinybench.targets.emulators.emulator_clock import EmulatorClock
from tinybench.targets.emulators.lpm01a_emulator import Lpm01aBoard, MonitorFaults, PowerModel

LAG_S = 0.2  # samples are written this long after their period ends (events go out on time)
TICK_S = 0.002  # how often the stream is topped up while acquiring
DEFAULT_BUFFER_BYTES = 4096


@dataclass
class ServerOptions:
    power: PowerModel
    faults: MonitorFaults
    socket_path: str | None = None
    clock: str = "real"
    buffer_bytes: int = DEFAULT_BUFFER_BYTES
    log_events: bool = False  # print "event N" on stdout when each event line is written (for tests)


class Lpm01aServer:
    def __init__(self, options: ServerOptions) -> None:
        self.options = options
        self.clock = EmulatorClock(options.clock)
        self.board = Lpm01aBoard(options.power, options.faults)
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        os.set_blocking(self.master, False)
        self.path = options.socket_path or os.path.join(tempfile.mkdtemp(prefix="tinybench-lpm01a-"), "dut.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.setblocking(False)
        self.dut_address: bytes | str | None = None
        self._virtual_now: float | None = None  # the latest time the DUT reported (virtual clock)
        self._dut_states: list[tuple[float, str]] = []  # the DUT's latest supply states (t, active|idle)
        self._pending = bytearray()  # the instrument's output buffer
        self._queued_total = 0
        self._written_total = 0
        self._acks: list[tuple[int, int]] = []  # (stream offset after the event line, pulse seq)
        self._pending_events: list[tuple[int, str]] = []  # (offset, line) for --log-events
        self.stop = False

    # -- time ------------------------------------------------------------------------------
    def now(self) -> float | None:
        return self._virtual_now if self.clock.virtual else time.monotonic()

    def _started(self) -> None:
        """A new acquisition: the first sample period starts now (virtual clock: at the DUT's next report)."""
        self.board.start(None if self.clock.virtual else time.monotonic())
        acquisition = self.board.acquisition
        if not self.clock.virtual:
            for t, kind in self._dut_states:
                acquisition.change(max(t, acquisition.origin), "dut", kind)
        elif self._dut_states:
            acquisition.state["dut"] = self._dut_states[-1][1]

    # -- DUT side -----------------------------------------------------------------------------
    def _dut_message(self, text: str, address: bytes | str) -> None:
        words = text.split()
        if len(words) == 2 and words[0] == "hello":
            ok = words[1] == self.clock.kind
            self.dut_address = address
            reply = "ok" if ok else (f"error this LPM01A emulator runs on a {self.clock.kind} clock, the DUT on a "
                                     f"{words[1]} one: give both the same --time-scale")
            self._reply(reply, address)
            return
        try:
            t = float(words[-1])
        except (ValueError, IndexError):
            return
        if self.clock.virtual:
            self._virtual_now = max(self._virtual_now or t, t)
        acquisition = self.board.acquisition
        if acquisition is not None and acquisition.origin != acquisition.origin:  # NaN: the first report sets it
            acquisition.origin = t
        if words[0] == "state" and len(words) == 3:
            self._dut_states = [*self._dut_states[-7:], (t, words[1])]
            if acquisition is not None:
                acquisition.change(t, "dut", words[1])
        elif words[0] == "pulse" and len(words) == 3 and words[1].isdigit():
            if acquisition is None:
                self._reply(f"emitted {words[1]}", address)  # nothing records it
            else:
                acquisition.pulse(t, int(words[1]))
        elif words[0] == "reset" and acquisition is not None:
            acquisition.reset(t)

    def _reply(self, text: str, address: bytes | str | None) -> None:
        if address:
            try:
                self.sock.sendto(text.encode("ascii"), address)
            except OSError:
                pass

    # -- stream ---------------------------------------------------------------------------------
    def _pump(self) -> None:
        """Queue every line that is due, then write what the pty takes."""
        acquisition = self.board.acquisition
        now = self.now()
        if acquisition is not None and now is not None and acquisition.origin == acquisition.origin:
            limit = now if self.clock.virtual else now - LAG_S
            due = acquisition.next_pulse_due(now)
            lines = acquisition.emit(max(limit, due) if due is not None else limit)
            self._queue(lines)
            for seq in acquisition.emitted_pulses:
                self._acks.append((self._queued_total, seq))
            acquisition.emitted_pulses.clear()
        self._flush()

    def _queue(self, lines: list[str]) -> None:
        for line in lines:
            data = (line + "\r\n").encode("latin-1")
            if line.startswith("TimeStamp:"):
                fill = min(99, len(self._pending) * 100 // max(1, self.options.buffer_bytes))
                data = data.replace(b"buff 00%", f"buff {fill:02d}%".encode("ascii"))
            if len(self._pending) + len(data) > self.options.buffer_bytes:
                self._flush()  # hand the pty what it takes before anything is lost
            room = self.options.buffer_bytes - len(self._pending)
            self._pending += data[:max(room, 0)]  # beyond the buffer, bytes are lost
            self._queued_total += len(data)
            if self.options.log_events and line.startswith("event "):
                self._pending_events.append((self._queued_total, line))

    def _flush(self) -> None:
        while self._pending:
            try:
                n = os.write(self.master, bytes(self._pending))
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                return
            del self._pending[:n]
        self._written_total = self._queued_total - len(self._pending)  # written, or lost to the full buffer
        while self._acks and self._acks[0][0] <= self._written_total:
            self._reply(f"emitted {self._acks.pop(0)[1]}", self.dut_address)
        while self._pending_events and self._pending_events[0][0] <= self._written_total:
            print(self._pending_events.pop(0)[1], flush=True)

    # -- host side ------------------------------------------------------------------------------
    def _host_bytes(self, data: bytes, buffer: bytearray) -> None:
        buffer.extend(data)
        while (newline := buffer.find(b"\n")) >= 0:
            line = bytes(buffer[:newline]).decode("latin-1").strip()
            del buffer[: newline + 1]
            if not line:
                continue
            self._pump()  # the reply comes after everything already due
            replies = self.board.command(line, self.now())
            if line == "start" and self.board.acquisition is not None:
                self._started()
            self._queue(replies)
            self._flush()

    def serve_forever(self) -> None:
        host_buffer = bytearray()
        while not self.stop:
            acquiring = self.board.acquisition is not None
            timeout = TICK_S if acquiring or self._pending else 0.1
            try:
                ready, _, _ = select.select([self.master, self.sock], [], [], timeout)
            except InterruptedError:
                continue
            if self.sock in ready:
                while True:
                    try:
                        data, address = self.sock.recvfrom(256)
                    except (BlockingIOError, InterruptedError):
                        break
                    self._dut_message(data.decode("ascii", "replace"), address)
            if self.master in ready:
                try:
                    self._host_bytes(os.read(self.master, 4096), host_buffer)
                except (BlockingIOError, InterruptedError, OSError):
                    pass
            self._pump()

    def close(self) -> None:
        for close in (self.sock.close, lambda: os.unlink(self.path), lambda: os.close(self.master),
                      lambda: os.close(self.slave)):
            try:
                close()
            except OSError:
                pass


def serve(options: ServerOptions) -> None:
    """Run the board on a pty; print `pty:`, `pid:` and `dut-socket:`; stop on SIGTERM/SIGINT."""
    server = Lpm01aServer(options)

    def stop(*_: object) -> None:
        server.stop = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"pty: {os.ttyname(server.slave)}", flush=True)
    print(f"pid: {os.getpid()}", flush=True)
    print(f"dut-socket: {server.path}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.close()
