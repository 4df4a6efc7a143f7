"""Reaching the DUT: directly, or through the MLPerf Tiny interface board ("IO manager").

Both transports answer `command(cmd) -> DUT reply lines (without m-ready)`. Through the
interface board, `dut <cmd>%` is answered `m-dut-passthrough(<cmd>)`, `m-ready`, then
every DUT line prefixed `[dut]: ` up to `[dut]: m-ready`.
"""

from __future__ import annotations

import re

from tinybench.targets.eembc_protocol import (
    BOOT_LINES,
    DB_CHUNK_BYTES,
    INTERFACE_BOARD_CHUNK_BYTES,
    MAX_COMMAND_CHARS,
    READY,
    ProtocolError,
    encode_command,
)
from tinybench.targets.serial_link import MAX_REPLY_LINES, DeviceReset, LineLink

DUT_PREFIX = "[dut]: "
_BAUD = re.compile(r"^(?:set baud to|baud is): ?(?P<baud>\d+)$")


class _LinkTransport:
    def __init__(self, link: LineLink) -> None:
        self.link = link

    def resync(self) -> list[str]:
        """Discard everything until the line is quiet (after a reset or a stray reply)."""
        return self.link.drain(quiet_s=0.3, limit_s=15.0)


class DirectTransport(_LinkTransport):
    """The DUT on its own serial port (performance and accuracy modes)."""

    kind = "direct"
    max_db_chunk = DB_CHUNK_BYTES

    def command(self, command: str, timeout_s: float) -> list[str]:
        return self.link.command(command, timeout_s)


class InterfaceBoardTransport(_LinkTransport):
    """The DUT behind the interface board (energy mode): `dut <cmd>` passthrough."""

    kind = "interface-board"
    max_db_chunk = INTERFACE_BOARD_CHUNK_BYTES

    def command(self, command: str, timeout_s: float, max_lines: int = MAX_REPLY_LINES) -> list[str]:
        encode_command(command)  # the DUT's own 80-character limit applies to the relayed command
        wrapped = f"dut {command}"
        head = self.link.command(wrapped, min(timeout_s, 5.0), max_chars=MAX_COMMAND_CHARS + len("dut "))
        if head != [f"m-dut-passthrough({command})"]:
            raise ProtocolError(f"the interface board did not pass '{command}' through: {head!r}")
        lines = self.link.collect(wrapped, timeout_s, end=DUT_PREFIX + READY, max_lines=max_lines)
        stray = [line for line in lines if not line.startswith(DUT_PREFIX)]
        if stray:
            raise ProtocolError(f"unexpected interface-board line while relaying '{command}': {stray[0]!r}")
        relayed = [line[len(DUT_PREFIX):] for line in lines]
        if booted := [line for line in relayed if line in BOOT_LINES]:
            raise DeviceReset(f"the DUT behind the interface board rebooted (it printed {booted[0]!r} in the reply "
                              f"to '{command}')")
        return relayed

    def resync(self) -> list[str]:
        """Empty the board's queue of DUT output: `setbaud` to the same rate makes the board reset.

        A DUT line the board has not relayed (a boot banner) would otherwise answer the
        next passthrough, and every reply after it would be one command late.
        """
        lines = self.link.drain(quiet_s=0.3, limit_s=15.0)
        self.set_baud(self.check_baud())
        return lines + self.link.drain(quiet_s=0.5, limit_s=5.0)

    # -- the board's own commands -----------------------------------------------------
    def name(self, timeout_s: float = 2.0) -> str:
        lines = self.link.command("name", timeout_s)
        if not lines:
            raise ProtocolError("the interface board did not say its name")
        return lines[0]

    def check_baud(self, timeout_s: float = 2.0) -> int:
        return self._baud(self.link.command("checkbaud", timeout_s), "checkbaud")

    def set_baud(self, baud: int, timeout_s: float = 2.0) -> int:
        """Set the board↔DUT baud; the board stores it in flash and reboots (emptying its UART queue)."""
        return self._baud(self.link.command(f"setbaud {baud}", timeout_s), "setbaud")

    @staticmethod
    def _baud(lines: list[str], command: str) -> int:
        for line in lines:
            if m := _BAUD.match(line):
                return int(m["baud"])
        raise ProtocolError(f"no baud rate in the interface board's reply to '{command}': {lines!r}")
