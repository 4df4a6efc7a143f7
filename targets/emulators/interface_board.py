"""The MLPerf Tiny interface board ("IO manager", STM32H573I-DK) in front of an emulated DUT.

As `interface/Application/CLI/InterfaceMenu.cpp`: `%`-terminated commands; a command
matches when the line is the command word or starts with it and a space; a line that
merely starts with a command word (`names`) runs nothing and gets no reply at all; any
other line gets a bare `m-ready`. `dut <cmd>` answers `m-dut-passthrough(<cmd>)`,
`m-ready`, sends `<cmd>%` to the DUT and relays the DUT's output line by line, prefixed
`[dut]: `, until a line equal to `m-ready`. Like the board's `Uart::ReadUntil`, lines
are split on the exact bytes `\\r\\n` (a line the DUT ends with a bare `\\n` is glued to
the next one), and DUT output the board has not relayed yet waits for the next
passthrough (the DUT's boot banner included: `setbaud`, which makes the board store the
rate and reset, empties that queue). A DUT reply with no `m-ready` line leaves the board
waiting for one, deaf to the host, as the real board is until it is reset.

The DUT's UART runs at the board's stored rate (`setbaud`, default 9600): bytes take
10 bit-times each to cross it, in real time or on the virtual clock.

With an SD card folder (`--sd-card`), the sww01 commands (`ls`, `play`,
`record_detections`, `print_detections`, `print_dutycycle`) work as on the board
(:mod:`~tinybench.targets.emulators.sww_board`); without one they answer `m-ready`.
"""

from __future__ import annotations

from tinybench.targets.emulators.dut_firmware import DutFirmware
from tinybench.targets.emulators.emulator_clock import EmulatorClock, Out, Until
from tinybench.targets.emulators.sww_board import SwwBoard

BOARD_NAME = "tinyML Enhanced Interface Board"
COMMANDS = ("dut", "name", "ls", "play", "setbaud", "checkbaud", "record_detections", "print_detections",
            "print_dutycycle")
DEFAULT_DUT_BAUD = 9600  # DEFAULT_BAUDRATE in baud_config.h
MAX_QUEUED = 4096  # host bytes kept while the board waits for the DUT
DUT_PREFIX = "[dut]: "


class InterfaceBoardFront:
    """Wraps a DUT firmware; offers the same feed/boot interface to the pty server."""

    def __init__(self, dut: DutFirmware, clock: EmulatorClock | None = None, dut_baud: int = DEFAULT_DUT_BAUD,
                 sww: SwwBoard | None = None) -> None:
        self.dut = dut
        self.sww = sww  # SD card, I2S player and pin recorder (sww01); without it those commands only answer m-ready
        self.clock = clock or dut.clock
        self.dut_baud = dut_baud
        self._line = bytearray()
        self._dut_rx = ""  # DUT output the board has received but not relayed (its UART queue)
        self._link_free = self.clock.now()  # when the DUT's UART is idle again
        self.waiting = False  # blocked in a passthrough until the DUT prints m-ready
        self._queued = bytearray()
        self.commands_seen = 0

    @property
    def pending(self) -> bytes:
        return bytes(self._line)

    @property
    def inference_us(self) -> float:
        return self.dut.inference_us

    def boot_output(self) -> list[Out]:
        """The board prints nothing when the DUT boots; the DUT's banner waits in the board's UART queue."""
        self._dut_rx += "".join(item for item in self.dut.boot_output() if isinstance(item, str))
        return []

    def boot_us(self) -> float:
        return 0.0

    def feed(self, data: bytes, at: float | None = None) -> list[Out]:
        out: list[Out] = []
        for index, byte in enumerate(data):
            if self.waiting:
                self._queued += data[index:][: MAX_QUEUED - len(self._queued)]
                break
            if byte == ord("%"):
                line = self._line.decode("latin-1")
                self._line.clear()
                self.commands_seen += 1
                out += self.handle(line, at)
            else:
                self._line.append(byte)
        return out

    def handle(self, line: str, at: float | None = None) -> list[Out]:
        for word in COMMANDS:
            if line == word or line.startswith(word + " "):
                return self._run(word, line[len(word):].strip(), at)
            if line.startswith(word):
                return []  # Menu::HandleCommand returns early: no reply at all
        return ["m-ready\r\n"]

    def _run(self, word: str, argument: str, at: float | None) -> list[Out]:
        if word == "dut":
            return self._passthrough(argument, at)
        if word == "name":
            return [BOARD_NAME + "\r\n", "m-ready\r\n"]
        if word == "checkbaud":
            return [f"baud is: {self.dut_baud}\r\n", "m-ready\r\n"]
        if word == "setbaud":
            try:
                baud = int(argument)
            except ValueError:
                baud = 0
            self.dut_baud = baud if 0 < baud <= 2_000_000 else DEFAULT_DUT_BAUD  # baud_config.c's fallback
            self._dut_rx = ""  # the board stores the rate and resets: its UART queue is gone
            return [f"set baud to: {baud}\r\n", "m-ready\r\n"]
        if self.sww is not None and self.sww.handles(word):
            return self.sww.run(word, argument, max(self.clock.now(), at or 0.0), self.dut)
        return ["m-ready\r\n"]  # SD card, audio and detection commands without an SD card

    # -- passthrough --------------------------------------------------------------------
    def _uart_s(self, n_bytes: int) -> float:
        return n_bytes * 10 / self.dut_baud

    def _passthrough(self, command: str, at: float | None) -> list[Out]:
        out: list[Out] = [f"m-dut-passthrough({command})\r\n", "m-ready\r\n"]
        sent = max(self._link_free, self.clock.now(), at or 0.0) + self._uart_s(len(command) + 1)
        self.clock.reach(sent)
        self.waiting = True
        out += self._relay(self.dut.feed((command + "%").encode("latin-1"), at=sent), sent)
        return out

    def _relay(self, items: list[Out], t: float) -> list[Out]:
        out: list[Out] = []
        for item in items:
            if isinstance(item, Until):
                t = max(t, item.t)
            elif isinstance(item, str):
                if not item:
                    continue
                t = self._link_free = max(t, self._link_free) + self._uart_s(len(item))
                self.clock.reach(t)
                self._dut_rx += item
                out += [Until(t), *self._complete_lines()]
            else:  # a pulse happens when the DUT is there, not when its last bytes were relayed
                out += [Until(t), item]
        return out

    def _complete_lines(self) -> list[str]:
        relayed: list[str] = []
        while self.waiting and (end := self._dut_rx.find("\r\n")) >= 0:
            line, self._dut_rx = self._dut_rx[:end], self._dut_rx[end + 2:]
            relayed.append(f"{DUT_PREFIX}{line}\r\n")
            if line == "m-ready":
                self.waiting = False
        if not self.waiting and self._queued:
            queued, self._queued = bytes(self._queued), bytearray()
            relayed += [item for item in self.feed(queued) if isinstance(item, str)]
        return relayed
