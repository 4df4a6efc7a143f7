"""A remote serial port (any pyserial URL, e.g. rfc2217://…) seen as a local pseudo-terminal.

For consumers that open a device path with `serial.Serial(path)` and cannot take a URL (the
LPM01A power-monitor driver today). Two threads copy bytes in each direction; closing the
relay closes both ends. The local side is raw (no echo, no line discipline); its baud rate
is irrelevant — the remote end runs at the rate the relay opened it with.
"""

from __future__ import annotations

import os
import select
import threading
import tty

from tinybench.errors import TargetError

CHUNK_BYTES = 4096


class PortRelay:
    def __init__(self, url: str, baud: int, description: str) -> None:
        import serial

        try:
            self._remote = serial.serial_for_url(url, baudrate=baud, timeout=0.05)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise TargetError(f"cannot open {description} at {url}: {exc}") from exc
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        self.description = description
        self.error: str | None = None
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._to_remote, daemon=True, name=f"relay→{description}"),
                         threading.Thread(target=self._to_local, daemon=True, name=f"relay←{description}")]
        for thread in self._threads:
            thread.start()

    def _to_remote(self) -> None:
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._master], [], [], 0.05)
                if ready:
                    data = os.read(self._master, CHUNK_BYTES)
                    if data:
                        self._remote.write(data)
            except (OSError, ValueError) as exc:  # SerialException is an OSError
                self._fail(exc)
                return

    def _to_local(self) -> None:
        while not self._stop.is_set():
            try:
                data = self._remote.read(max(1, min(self._remote.in_waiting, CHUNK_BYTES)))
                if data:
                    os.write(self._master, data)
            except (OSError, ValueError) as exc:
                self._fail(exc)
                return

    def _fail(self, exc: BaseException) -> None:
        if not self._stop.is_set():
            self.error = f"{self.description}: relay stopped: {exc}"
            self._stop.set()

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(2.0)
        try:
            self._remote.close()
        except (OSError, ValueError):
            pass
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
