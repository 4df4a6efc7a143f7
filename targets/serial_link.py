"""Lines over a serial port with hard deadlines: nothing here ever waits forever.

Device lines end with `\\r\\n` (`\\r` and NUL bytes are dropped, as the MLCommons runner
does). A reply is every line up to `m-ready`. A boot banner line where a reply was
expected means the device reset; that is reported as such, not as a timeout.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tinybench.targets.eembc_protocol import BOOT_LINES, MAX_COMMAND_CHARS, READY, ProtocolError, encode_command

MAX_LINE_BYTES = 1 << 20  # far above any reply line (an m-results line, 16 activations); bounds a line never ended
MAX_REPLY_LINES = 500_000  # far above any reply (`db print` of a 4-MB input); bounds a device that floods


class LinkTimeout(Exception):
    """No complete reply in time; names the command and what did arrive."""


class DeviceReset(Exception):
    """The device printed its boot banner while a reply was expected."""


@dataclass
class Transcript:
    """The last lines exchanged, for error messages and the run log."""

    limit: int = 200
    lines: list[str] = field(default_factory=list)

    def add(self, direction: str, text: str) -> None:
        self.lines.append(f"{direction} {text}")
        if len(self.lines) > self.limit:
            del self.lines[: len(self.lines) - self.limit]


class LineLink:
    """Commands and reply lines over a pyserial-like port (read/write/timeout/reset_input_buffer)."""

    def __init__(self, port, description: str) -> None:  # noqa: ANN001 - serial.Serial or alike
        self.port = port
        self.description = description
        self._buffer = bytearray()
        self._scanned = 0  # bytes at the buffer's start known to hold no newline
        self._timeout = getattr(port, "timeout", None)
        self.transcript = Transcript()
        self.on_line: Callable[[str], None] | None = None  # e.g. the bundle's log

    # -- raw lines -------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        self.port.write(data)
        self.port.flush()

    def read_line(self, deadline: float) -> str | None:
        """The next line, or None when `deadline` (time.monotonic) passes first."""
        while True:
            newline = self._buffer.find(b"\n", self._scanned)
            if newline < 0:
                self._scanned = len(self._buffer)
                if self._scanned > MAX_LINE_BYTES:
                    head = bytes(self._buffer[:40]).decode("ascii", "replace")
                    self._buffer.clear()
                    self._scanned = 0
                    raise ProtocolError(f"{self.description} sent more than {MAX_LINE_BYTES} bytes without an end of "
                                        f"line (starting {head!r}): not a line of the protocol; check the baud rate "
                                        "and that this port is the device's")
            else:
                self._scanned = 0
                raw = bytes(self._buffer[:newline])
                del self._buffer[: newline + 1]
                line = raw.replace(b"\r", b"").replace(b"\x00", b"").decode("ascii", "replace")
                self.transcript.add("<", line)
                if self.on_line:
                    self.on_line(line)
                return line
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            timeout = min(remaining, 0.05)
            if timeout != self._timeout:  # setting it reconfigures the port (an RFC 2217 round trip)
                self.port.timeout = self._timeout = timeout
            waiting = getattr(self.port, "in_waiting", 0) or 1
            chunk = self.port.read(waiting)
            if chunk:
                self._buffer.extend(chunk)

    def drain(self, quiet_s: float = 0.1, limit_s: float = 2.0) -> list[str]:
        """Discard input until the line has been quiet for `quiet_s` (at most `limit_s`)."""
        end = time.monotonic() + limit_s
        lines: list[str] = []
        try:
            self.port.reset_input_buffer()
        except (OSError, AttributeError):
            pass
        while time.monotonic() < end:
            try:
                line = self.read_line(min(end, time.monotonic() + quiet_s))
            except ProtocolError:  # an endless line: discarded like the rest
                continue
            if line is None:
                break
            lines.append(line)
        self._buffer.clear()
        self._scanned = 0
        return lines

    # -- commands --------------------------------------------------------------------
    def command(self, command: str, timeout_s: float, end: str = READY, allow_boot: bool = False,
                max_chars: int = MAX_COMMAND_CHARS) -> list[str]:
        """Send `command%`, return the reply lines before `end` (exclusive)."""
        self.transcript.add(">", command + "%")
        self.write(encode_command(command, max_chars))
        return self.collect(command, timeout_s, end, allow_boot)

    def collect(self, command: str, timeout_s: float, end: str = READY, allow_boot: bool = False,
                max_lines: int = MAX_REPLY_LINES) -> list[str]:
        deadline = time.monotonic() + timeout_s
        lines: list[str] = []
        while True:
            line = self.read_line(deadline)
            if line is None:
                got = f"; it sent {lines[-3:]!r}" if lines else "; it sent nothing"
                raise LinkTimeout(f"no reply to '{_short(command)}' on {self.description} within {timeout_s:g} s{got}")
            if line == end:
                return lines
            if line in BOOT_LINES and not allow_boot:
                raise DeviceReset(f"the device on {self.description} reset while answering '{_short(command)}' "
                                  f"(it printed {line!r})")
            if line:
                lines.append(line)
                if len(lines) > max_lines:
                    raise ProtocolError(f"the reply to '{_short(command)}' on {self.description} has more than "
                                        f"{max_lines} lines (it ends {lines[-1][:40]!r}): the device floods; reset it")

    def wait_for(self, wanted: str, timeout_s: float, what: str) -> list[str]:
        """Lines up to and including `wanted` (e.g. m-init-done after a reset)."""
        deadline = time.monotonic() + timeout_s
        lines: list[str] = []
        while True:
            line = self.read_line(deadline)
            if line is None:
                raise LinkTimeout(f"no {wanted!r} from {self.description} within {timeout_s:g} s after {what}")
            lines.append(line)
            if line == wanted:
                return lines
            if len(lines) > MAX_REPLY_LINES:
                raise ProtocolError(f"more than {MAX_REPLY_LINES} lines from {self.description} after {what} and no "
                                    f"{wanted!r} (the last: {line[:40]!r}): the device floods; reset it")


def _short(command: str) -> str:
    return command if len(command) <= 24 else command[:21] + "…"
