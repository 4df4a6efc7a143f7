"""The wire between an emulated DUT and an emulated power monitor: its supply and its D7 pin.

On a bench the LPM01A powers the DUT and watches its timestamp pin. Between two
emulator processes that is a Unix datagram socket (the monitor's `dut-socket`), one
ASCII message per datagram, times in seconds on the set-up's clock
(:mod:`~tinybench.targets.emulators.emulator_clock`):

    DUT → monitor   hello <real|virtual>         monitor → DUT   ok | error <reason>
                    state <active|idle> <t>                      emitted <seq>
                    pulse <seq> <t>
                    reset <t>

A DUT announces what it will do as soon as it knows it (an `infer` announces its two
pulses and its idle time at once), so the monitor can place everything exactly however
late the DUT's process is scheduled; `emitted <seq>` tells the DUT that the event line
of pulse `seq` has been written, so its next UART bytes never overtake it.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

from tinybench.targets.emulators.emulator_clock import EmulatorClock

HELLO_TIMEOUT_S = 2.0
PULSE_TIMEOUT_S = 1.0
SEND_TIMEOUT_S = 5.0
MAX_MESSAGE = 256


class MonitorLinkError(Exception):
    """The power monitor is absent or runs on another clock; the message says which."""


class MonitorLink:
    def __init__(self, path: str, clock: EmulatorClock) -> None:
        self.path = path
        self.clock = clock
        self._seq = 0
        self._confirmed = 0
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("")  # an abstract address the monitor can answer to
        try:
            self.sock.connect(path)
            self.sock.send(f"hello {clock.kind}".encode("ascii"))
        except OSError as exc:
            self.sock.close()
            raise MonitorLinkError(f"no power monitor listens on {path} ({exc.strerror or exc}); start "
                                   "`tinybench emulate lpm01a` first and pass its dut-socket") from exc
        self.sock.settimeout(HELLO_TIMEOUT_S)
        try:
            answer = self.sock.recv(MAX_MESSAGE).decode("ascii", "replace")
        except OSError:
            answer = ""
        if answer != "ok":
            self.sock.close()
            raise MonitorLinkError(f"the power monitor on {path} refused this DUT: "
                                   f"{answer.removeprefix('error ') or 'no answer within 2 s'}")

    def _send(self, message: str) -> None:
        # A burst (a stream's per-frame states) can fill the socket's queue: wait for the monitor to
        # read rather than lose a message (wait_pulse leaves a short timeout on the socket).
        self.sock.settimeout(SEND_TIMEOUT_S)
        try:
            self.sock.send(message.encode("ascii"))
        except OSError:
            pass  # the monitor went away: the DUT keeps working, as a board does

    def state(self, kind: str, t: float) -> None:
        self._send(f"state {kind} {t:.9f}")

    def pulse(self, t: float) -> int:
        self._seq += 1
        self._send(f"pulse {self._seq} {t:.9f}")
        return self._seq

    def reset(self, t: float) -> None:
        self._send(f"reset {t:.9f}")

    def wait_pulse(self, seq: int, timeout_s: float = PULSE_TIMEOUT_S,
                   stop: Callable[[], bool] = lambda: False) -> bool:
        """Wait until the monitor has emitted pulse `seq` (False after `timeout_s` or when `stop()`)."""
        deadline = time.monotonic() + timeout_s
        while self._confirmed < seq:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or stop():
                return False
            self.sock.settimeout(min(remaining, 0.05))
            try:
                words = self.sock.recv(MAX_MESSAGE).decode("ascii", "replace").split()
            except (TimeoutError, BlockingIOError):
                continue
            except OSError:
                return False
            if len(words) == 2 and words[0] == "emitted" and words[1].isdigit():
                self._confirmed = max(self._confirmed, int(words[1]))
        return True

    def close(self) -> None:
        self.sock.close()
