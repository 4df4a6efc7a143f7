"""The MLPerf Tiny interface board ("IO manager", STM32H573I-DK) in front of an emulated DUT.

As `interface/Application/CLI/InterfaceMenu.cpp`: `%`-terminated commands; a command
matches when the line is the command word or starts with it and a space; a line that
merely starts with a command word (`names`) runs nothing and gets no reply at all; any
other line gets a bare `m-ready`. `dut <cmd>` answers `m-dut-passthrough(<cmd>)`,
`m-ready`, then relays the DUT's lines prefixed `[dut]: ` up to `[dut]: m-ready`.
"""

from __future__ import annotations

from tinybench.targets.emulators.dut_firmware import DutFirmware

BOARD_NAME = "tinyML Enhanced Interface Board"
COMMANDS = ("dut", "name", "ls", "play", "setbaud", "checkbaud", "record_detections", "print_detections",
            "print_dutycycle")
DEFAULT_DUT_BAUD = 9600  # DEFAULT_BAUDRATE in baud_config.h


class InterfaceBoardFront:
    """Wraps a DUT firmware; offers the same feed/boot interface to the pty server."""

    def __init__(self, dut: DutFirmware, dut_baud: int = DEFAULT_DUT_BAUD) -> None:
        self.dut = dut
        self.dut_baud = dut_baud
        self._line = bytearray()
        self.commands_seen = 0

    @property
    def pending(self) -> bytes:
        return bytes(self._line)

    @property
    def inference_us(self) -> float:
        return self.dut.inference_us

    def boot_lines(self) -> list[str]:
        return []  # the board prints nothing at reset; the DUT's banner stays behind it

    def boot_us(self) -> float:
        return 0.0

    def feed(self, data: bytes) -> list[str]:
        out: list[str] = []
        for byte in data:
            if byte == ord("%"):
                line = self._line.decode("ascii", "replace")
                self._line.clear()
                self.commands_seen += 1
                out += self.handle(line)
            else:
                self._line.append(byte)
        return out

    def handle(self, line: str) -> list[str]:
        for word in COMMANDS:
            if line == word or line.startswith(word + " "):
                return self._run(word, line[len(word):].strip())
            if line.startswith(word):
                return []  # Menu::HandleCommand returns early: no reply at all
        return ["m-ready"]

    def _run(self, word: str, argument: str) -> list[str]:
        if word == "dut":
            relayed = self.dut.feed((argument + "%").encode("ascii", "replace"))
            return [f"m-dut-passthrough({argument})", "m-ready", *(f"[dut]: {line}" for line in relayed)]
        if word == "name":
            return [BOARD_NAME, "m-ready"]
        if word == "checkbaud":
            return [f"baud is: {self.dut_baud}", "m-ready"]
        if word == "setbaud":
            try:
                baud = int(argument)
            except ValueError:
                baud = 0
            if 0 < baud <= 2_000_000:  # baud_config.c falls back to the default otherwise
                self.dut_baud = baud
            else:
                self.dut_baud = DEFAULT_DUT_BAUD
            return [f"set baud to: {baud}", "m-ready"]
        return ["m-ready"]  # SD card, audio and detection commands: nothing to emulate here
