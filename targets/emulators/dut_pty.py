"""Serve an emulated DUT on a pseudo-terminal, with optional line-rate pacing and faults.

`tinybench emulate dut` runs this in its own process and prints `pty: <path>` and
`pid: <pid>`. SIGHUP resets the device (as a debugger's reset line would): it stops
what it was doing, goes silent for its boot time, then prints its boot banner.
SIGTERM/SIGINT stop it. The firmware's output is written as it happens: in real time
each piece waits for the moment the device model says it is printed.
"""

from __future__ import annotations

import os
import random
import select
import signal
import sys
import time
import tty
from collections.abc import Callable
from dataclasses import dataclass

from tinybench.targets.emulators.emulator_clock import AwaitPulse, EmulatorClock, Out, Until

VIRTUAL_LINE_BAUD = 115200  # the rate the virtual clock assumes for the host link when it is not paced


def sleep_until(deadline: float) -> None:
    """Sleep until time.monotonic() reaches `deadline`, without the OS timer's ~0.1 ms overshoot.

    A paced line must not be slower than the UART it emulates: sleep most of the way,
    then spin for the last 0.3 ms.
    """
    remaining = deadline - time.monotonic()
    if remaining > 0.0003:
        time.sleep(remaining - 0.0003)
    while time.monotonic() < deadline:
        pass


@dataclass(frozen=True)
class FaultPlan:
    """Ways the emulated device misbehaves, for tests. Command numbers count from 1 since boot."""

    tx_corrupt_rate: float = 0.0  # probability that an outgoing byte is replaced by garbage
    rx_drop_rate: float = 0.0  # probability that an incoming byte is lost (UART overrun)
    reset_after: int | None = None  # reboot when command N arrives, instead of answering it
    stall_after: int | None = None  # after N commands, never answer again
    garbage_after: int | None = None  # the reply to command N carries a burst of garbage mid-line
    seed: int = 0
    command: str | None = None  # count (and drop bytes of) only commands starting with this word

    def matches(self, line: bytes) -> bool:
        return self.command is None or line.split(b" ", 1)[0] == self.command.encode()


class PtyDevice:
    def __init__(self, make_firmware: Callable[[], object], faults: FaultPlan | None = None,
                 line_rate_baud: int = 0, clock: EmulatorClock | None = None, monitor=None) -> None:  # noqa: ANN001
        self.make_firmware = make_firmware
        self.faults = faults or FaultPlan()
        self.line_rate = line_rate_baud
        self.clock = clock or EmulatorClock("virtual")
        self.monitor = monitor  # the emulated power monitor's link, if any (pulse acknowledgements)
        self.random = random.Random(self.faults.seed)
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.firmware = make_firmware()
        self._reset_requested = False
        self._stop = False
        self._stalled = False
        self._rx_clock = 0.0
        self.total_commands = 0

    # -- control ---------------------------------------------------------------------
    def request_reset(self, *_: object) -> None:
        self._reset_requested = True

    def request_stop(self, *_: object) -> None:
        self._stop = True

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGHUP, self.request_reset)
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)

    @property
    def _interrupted(self) -> bool:
        return self._reset_requested or self._stop

    # -- output ----------------------------------------------------------------------
    def _write(self, text: str) -> None:
        data = bytearray(text.encode("latin-1"))
        if self.faults.tx_corrupt_rate:
            for i in range(len(data)):
                if self.random.random() < self.faults.tx_corrupt_rate:
                    data[i] = self.random.randrange(256)
        if self.line_rate:  # the host sees the bytes only after they have crossed the line
            sleep_until(time.monotonic() + len(data) * 10 / self.line_rate)
        os.write(self.master, bytes(data))

    def _wait_until(self, t: float) -> bool:
        """Real time: sleep until the clock reads `t`; False if a reset or stop interrupts."""
        if self.clock.virtual:
            return not self._interrupted
        while not self._interrupted:
            remaining = t - time.monotonic()
            if remaining <= 0.05:
                sleep_until(t)
                return True
            time.sleep(0.05)
        return False

    def _play(self, items: list[Out], garbage: bool = False) -> bool:
        """Write the output as it happens; False if a reset or stop cut it short."""
        texts = [i for i, item in enumerate(items) if isinstance(item, str) and item]
        target = texts[len(texts) // 2] if garbage and texts else None
        for index, item in enumerate(items):
            if isinstance(item, Until):
                if not self._wait_until(item.t):
                    return False
            elif isinstance(item, AwaitPulse):
                if self.monitor is not None and not self.monitor.wait_pulse(item.seq, stop=lambda: self._interrupted):
                    print(f"warning: the power monitor did not confirm pulse {item.seq}", file=sys.stderr, flush=True)
            elif item:
                if index == target:
                    middle = len(item) // 2
                    junk = "".join(chr(self.random.randrange(128, 256)) for _ in range(12))
                    item = item[:middle] + junk + item[middle:]
                self._write(item)
        return True

    def boot(self) -> None:
        """Reset: lose all state, stay silent for the boot time, print the banner."""
        if self.monitor is not None:
            self.monitor.reset(self.clock.now())
        self.firmware = self.make_firmware()
        self._stalled = False
        self._reset_requested = False
        self.total_commands = 0
        time.sleep(self.firmware.boot_us() / 1e6)  # always wall time: a host can time a reset
        self._play(self.firmware.boot_output())

    def serve_forever(self) -> None:
        self.boot()
        while not self._stop:
            if self._reset_requested:
                self.boot()
                continue
            try:
                ready, _, _ = select.select([self.master], [], [], 0.05)
            except InterruptedError:
                continue
            if not ready:
                continue
            try:
                data = os.read(self.master, 4096)
            except OSError:
                continue
            self._receive(data)

    # -- input -----------------------------------------------------------------------
    def _arrival(self, n_bytes: int) -> float:
        """When the last of `n_bytes` just read reached the device, on the set-up's clock."""
        if self.line_rate:  # bytes arrive no faster than the line carries them
            self._rx_clock = max(self._rx_clock, time.monotonic()) + n_bytes * 10 / self.line_rate
            sleep_until(self._rx_clock)
        if self.clock.virtual:
            self.clock.reach(self.clock.now() + n_bytes * 10 / (self.line_rate or VIRTUAL_LINE_BAUD))
        return self.clock.now()

    def _receive(self, data: bytes) -> None:
        at = self._arrival(len(data))
        if not self.faults.rx_drop_rate:
            self._receive_fast(data, at)
            return
        for byte in data:
            if self._stalled or self._interrupted:
                return
            partial = self.firmware.pending
            if (byte != ord("%") and self.faults.matches(partial + b" ")
                    and self.random.random() < self.faults.rx_drop_rate):
                continue  # lost on the wire
            before = self.firmware.commands_seen
            items = self.firmware.feed(bytes([byte]), at)
            if self.firmware.commands_seen != before and not self._deliver(partial, items):
                return

    def _receive_fast(self, data: bytes, at: float) -> None:
        """The same as the byte loop, one command at a time."""
        start = 0
        while start < len(data) and not self._stalled and not self._interrupted:
            end = data.find(b"%", start)
            if end < 0:
                self.firmware.feed(data[start:], at)
                return
            partial = self.firmware.pending + data[start:end]
            items = self.firmware.feed(data[start:end + 1], at)
            start = end + 1
            if not self._deliver(partial, items):
                return

    def _deliver(self, command: bytes, items: list[Out]) -> bool:
        """Play the reply to `command`, or misbehave as planned; False once the device stops listening."""
        if not self.faults.matches(command):
            return self._play(items)
        self.total_commands += 1
        n = self.total_commands
        if self.faults.reset_after is not None and n == self.faults.reset_after:
            self.boot()
            return False
        if self.faults.stall_after is not None and n > self.faults.stall_after:
            self._stalled = True
            return False
        return self._play(items, garbage=self.faults.garbage_after == n)

    def close(self) -> None:
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass
