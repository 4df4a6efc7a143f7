"""The sww01 flow through the MLPerf Tiny interface board, as the official runner drives it.

Sequence (`R/main.py`, `R/io_manager_enhanced.py`; the DUT behind the board as `dut <cmd>`):
`setbaud` (done when the board is opened), `dut name`, `dut profile` (handshake),
`dut stop` (clears a previous run), `dut start` (energy window opens), `record_detections`,
`play FILE` (blocking for the stream's length), a 0.25-s pause, `dut stop` (window closes;
the reference DUT lists every frame's wake-word output), `print_detections`,
`print_dutycycle`.

Replies are read verbatim and bounded: `Detection Timestamps (ms)` then `<ms>,` lines
(at most 10 000, the board's array); `Duty cycle start times (s)` … `Duty cycle stop
times (s)` … with `N, ` values in 10-µs ticks (the header says seconds; the runner
converts ticks × 1e-5) and `m-ready` possibly on the last line of values. Every command
has a deadline; a silent board, a malformed reply and a file missing on the SD card are
errors that say so.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from tinybench.targets.eembc_protocol import READY, ProtocolError
from tinybench.targets.io_manager import InterfaceBoardTransport
from tinybench.targets.serial_link import LinkTimeout
from tinybench.workloads.sww_frontend import FRAME_S

DETECTIONS_HEADER = "Detection Timestamps (ms)"
DUTY_START_HEADER = "Duty cycle start times (s)"
DUTY_STOP_HEADER = "Duty cycle stop times (s)"
PLAY_OK = "succeeded."
PLAY_ERROR = "Error playing file"
MAX_DETECTIONS = 10_000  # MAX_TIMESTAMPS of the interface firmware
MAX_DUTY_EDGES = 10_000  # the reference board keeps 100; a bound, not a rule
MAX_ACTIVATIONS = 64_000  # the reference DUT's activation log
MAX_REPLY_LINES = 20_000
UINT32 = 2**32
MIN_DUT_BAUD, MAX_DUT_BAUD = 1200, 2_000_000  # baud_config.c takes up to 2 000 000; 1200 lists slowly but really
PAUSE_BEFORE_STOP_S = 0.25  # the runner's sleep between `play` and `dut stop`
_DETECTION = re.compile(r"^(\d{1,10}),$")
_INT = re.compile(r"^-?\d{1,10}$")


@dataclass(frozen=True)
class SwwTimeouts:
    command_s: float = 5.0  # board commands and DUT passthroughs
    play_margin_s: float = 10.0  # `play` may take the stream's length plus this (the runner's per-line timeout)
    print_s: float = 30.0  # print_detections / print_dutycycle / dut stop with its activation list


@dataclass
class BoardRecords:
    """What the board (and the DUT, where it lists them) reported of one played stream."""

    detections_ms: list[int]
    duty_start_ticks: list[int]
    duty_stop_ticks: list[int]
    activations: list[int] | None  # the DUT's wake-word output per frame (`dut stop`), if it lists them
    play_wall_s: float  # host wall clock of `play` (informational)


def parse_detections(lines: list[str]) -> list[int]:
    """`print_detections` reply lines (without m-ready) → timestamps (ms)."""
    if not lines or lines[0] != DETECTIONS_HEADER:
        raise ProtocolError(f"the reply to print_detections does not start with {DETECTIONS_HEADER!r}: {lines[:2]!r}")
    values = []
    for line in lines[1:]:
        if not (m := _DETECTION.match(line.strip())) or int(m[1]) >= UINT32:
            raise ProtocolError(f"malformed detection timestamp {line[:40]!r} (expected '<ms>,')")
        values.append(int(m[1]))
    if len(values) > MAX_DETECTIONS:
        raise ProtocolError(f"{len(values)} detection timestamps; the board stores at most {MAX_DETECTIONS}")
    _in_time_order(values, "detection", "print_detections")
    return values


def _in_time_order(values: list[int], what: str, command: str) -> None:
    """The board's timer only counts up: a list that goes back in time is a corrupt reply (and, for detections,
    would cost the runner's O(n²) debounce if scored). TIM2 (32 bits of 10 µs, zeroed by record_detections) wraps
    after 11.9 h — the firmware's only reason to store a smaller timestamp — and a stream lasts at most 2 h."""
    for i in range(1, len(values)):
        if values[i] < values[i - 1]:
            raise ProtocolError(f"the {what} times in the reply to {command} go back in time ({what} {i + 1}: "
                                f"{values[i]} after {values[i - 1]}); the board records them in time order — the "
                                "reply is corrupt (check the wiring and the board's firmware)")


def parse_dutycycle(lines: list[str]) -> tuple[list[int], list[int]]:
    """`print_dutycycle` reply lines (m-ready removed) → (rising-edge ticks, falling-edge ticks)."""
    if not lines or lines[0] != DUTY_START_HEADER:
        raise ProtocolError(f"the reply to print_dutycycle does not start with {DUTY_START_HEADER!r}: {lines[:2]!r}")
    lists: list[list[int]] = [[], []]
    current = 0
    for line in lines[1:]:
        if line == DUTY_STOP_HEADER and current == 0:
            current = 1
            continue
        for token in (t.strip() for t in line.split(",")):
            if not token:
                continue
            if not _INT.match(token) or not 0 <= int(token) < UINT32:
                raise ProtocolError(f"malformed duty-cycle value {token[:20]!r} in {line[:60]!r} (expected ticks 'N, ')")
            lists[current].append(int(token))
            if len(lists[current]) > MAX_DUTY_EDGES:
                raise ProtocolError(f"more than {MAX_DUTY_EDGES} duty-cycle edges")
    if current == 0:
        raise ProtocolError(f"the reply to print_dutycycle has no {DUTY_STOP_HEADER!r} line")
    _in_time_order(lists[0], "rising-edge", "print_dutycycle")
    _in_time_order(lists[1], "falling-edge", "print_dutycycle")
    return lists[0], lists[1]


def parse_activations(lines: list[str]) -> list[int] | None:
    """The reference DUT's `stop` reply: `target activations:` then `[v, v, …` … `]`; None if absent."""
    try:
        first = next(i for i, line in enumerate(lines) if line.strip().startswith("target activations:"))
    except StopIteration:
        return None
    values: list[int] = []
    for line in lines[first + 1:]:
        for token in line.replace("[", "").replace("]", "").split(","):
            token = token.strip()
            if not token:
                continue
            if not _INT.match(token) or not -(2**31) <= int(token) < 2**31:
                raise ProtocolError(f"malformed activation value {token[:20]!r} in the DUT's stop reply")
            values.append(int(token))
        if len(values) > MAX_ACTIVATIONS:
            raise ProtocolError(f"more than {MAX_ACTIVATIONS} activation values in the DUT's stop reply")
        if line.strip().endswith("]"):
            break
    return values


class SwwBoardSession:
    """The sww01 commands of an interface board (its DUT reached by passthrough)."""

    def __init__(self, board: InterfaceBoardTransport, timeouts: SwwTimeouts | None = None,
                 dut_baud: int = 115200) -> None:
        self.board = board
        self.link = board.link
        self.timeouts = timeouts or SwwTimeouts()
        self.dut_baud = dut_baud  # the board↔DUT UART: bounds how long the activation list of `stop` takes

    def _board_command(self, command: str, timeout_s: float) -> list[str]:
        """A board command whose reply ends with `m-ready`, alone or at the end of the last line."""
        self.link.transcript.add(">", command + "%")
        self.link.write((command + "%").encode("ascii"))
        deadline = time.monotonic() + timeout_s
        lines: list[str] = []
        while True:
            line = self.link.read_line(deadline)
            if line is None:
                got = f"; it sent {lines[-2:]!r}" if lines else "; it sent nothing"
                raise LinkTimeout(f"no complete reply to '{command}' from the interface board ({self.link.description}) "
                                  f"within {timeout_s:g} s{got}")
            if line == READY:
                return lines
            head = line[: -len(READY)].rstrip()
            if line.endswith(READY) and head.endswith(","):  # print_dutycycle: no end-line before m-ready
                lines.append(head)
                return lines
            if line:
                lines.append(line)
            if len(lines) > MAX_REPLY_LINES:
                raise ProtocolError(f"the reply to '{command}' exceeds {MAX_REPLY_LINES} lines")

    def dut(self, command: str, timeout_s: float | None = None) -> list[str]:
        """A DUT command through the board; its reply (at most the activation list's lines) is bounded."""
        return self.board.command(command, timeout_s or self.timeouts.command_s, max_lines=MAX_REPLY_LINES)

    def record_detections(self) -> None:
        lines = self._board_command("record_detections", self.timeouts.command_s)
        if "Now recording detections" not in lines:
            raise ProtocolError(f"the interface board did not confirm record_detections: {lines!r}")

    def play(self, wav_file: str, length_s: float) -> float:
        """Stream `wav_file` from the board's SD card to the DUT; returns the host wall time it took."""
        if not wav_file or not wav_file.isascii() or any(c in wav_file for c in "% /\\\r\n") or len(wav_file) > 255:
            raise ProtocolError(f"cannot ask the board to play {wav_file[:60]!r}: not a plain file name")
        started = time.monotonic()
        timeout = length_s + self.timeouts.play_margin_s
        try:
            lines = self._board_command(f"play {wav_file}", timeout)
        except LinkTimeout as exc:
            raise LinkTimeout(f"{exc}; playing a {length_s:g}-s stream should take about that long") from exc
        if any(line.startswith(PLAY_ERROR) for line in lines):
            raise ProtocolError(f"the interface board cannot play {wav_file}: it is not on the board's SD card, or "
                                "not a 2-channel 16-bit wav with a 44-byte header (the board said "
                                f"{next(line for line in lines if line.startswith(PLAY_ERROR))!r}); copy the stream "
                                "to the card's root folder")
        if PLAY_OK not in lines:
            raise ProtocolError(f"the interface board did not confirm playing {wav_file}: {lines[-3:]!r}")
        return time.monotonic() - started

    def print_detections(self) -> list[int]:
        return parse_detections(self._board_command("print_detections", self.timeouts.print_s))

    def print_dutycycle(self) -> tuple[list[int], list[int]]:
        return parse_dutycycle(self._board_command("print_dutycycle", self.timeouts.print_s))

    def run_stream(self, wav_file: str, length_s: float, on_start=None, on_stop=None) -> BoardRecords:  # noqa: ANN001
        """The runner's stream step. `on_start()` runs before `dut start`, `on_stop()` after `dut stop`
        (the power monitor's window)."""
        if not MIN_DUT_BAUD <= self.dut_baud <= MAX_DUT_BAUD:  # the deadline of `dut stop` scales with it
            raise ProtocolError(f"the interface board reports a DUT rate of {self.dut_baud} baud; expected "
                                f"{MIN_DUT_BAUD}–{MAX_DUT_BAUD} (its firmware's range): check its reply to "
                                "setbaud, or set the DUT's rate with --baud stream=N")
        self.dut("stop")  # clears a previous run ("I2S is already idle" otherwise)
        if on_start is not None:
            on_start()
        self.dut("start")
        self.record_detections()
        played = self.play(wav_file, length_s)
        time.sleep(PAUSE_BEFORE_STOP_S)
        # the reference DUT lists every frame's output (≤ 6 characters each) at the DUT's rate: allow twice that
        listing_s = 2 * (length_s / FRAME_S) * 6 * 10 / self.dut_baud
        activations = parse_activations(self.dut("stop", self.timeouts.print_s + listing_s))
        if on_stop is not None:
            on_stop()
        detections = self.print_detections()
        start, stop = self.print_dutycycle()
        return BoardRecords(detections, start, stop, activations, played)
