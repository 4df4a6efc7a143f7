"""The interface board's sww01 side: SD card, I2S player, detection and duty-cycle recorder.

As the STM32H573I-DK interface firmware (`InterfaceMenu.cpp`, `DeviceUnderTest.cpp`,
`WaveSource.cpp`):

* `ls` lists the SD card (one name per line here; the real listing's format is not
  documented); `play <file>` opens a wav with the canonical 44-byte header (`RIFF`,
  `WAVE`, 16-byte PCM `fmt `, then `data`), prints `Attempting to play <file>`, streams
  it over I2S at the header's rate and, when the last sample is out, `succeeded.`; a
  missing or unplayable file gives `Error playing file. Check that the file exists and
  is a 2-channel wav file.` Both end with `m-ready`. The board is busy while playing.
* `record_detections` zeroes TIM2 (10 µs per tick), clears the records and prints `Now
  recording detections`; after it, a wake-word pulse stores `ticks / 100` ms (dropped
  within 10 ms of the previous one, at most 10 000) and the Processing pin's first 100
  rising and falling edges are stored as ticks.
* `print_detections`: `Detection Timestamps (ms)`, then `<ms>,` per line;
  `print_dutycycle`: `Duty cycle start times (s)`, ticks as `N, ` eight per line,
  `Duty cycle stop times (s)`, the same, and `m-ready` on the last line of values.

Emulator choice: the player starts the I2S stream on a whole millisecond of TIM2, so the
board's records are exactly the device schedule's ticks shifted by a whole number of
milliseconds (tests compare them exactly).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinybench.targets.emulators.emulator_clock import EmulatorClock, Out, Until
from tinybench.workloads.sww_detection import (
    BOARD_DUTY_EDGES,
    BOARD_TICK_S,
    board_detections,
    board_duty_record,
)
from tinybench.workloads.sww_frontend import HOP

CRLF = "\r\n"
READY = "m-ready" + CRLF
PLAY_ERROR = "Error playing file. Check that the file exists and is a 2-channel wav file."
HEADER_BYTES = 44
MAX_WAV_BYTES = 1 << 31  # FAT32's file size limit
VALUES_PER_LINE = 8
MS_TICKS = 100


@dataclass(frozen=True)
class WavFile:
    name: str
    rate: int
    channels: int
    left: np.ndarray  # int16, the I2S left slot (channel 0)


def read_sd_wav(path: Path) -> WavFile | None:
    """The board's wav reader: canonical 44-byte header, 16-bit PCM, 2 channels; None if unplayable."""
    try:
        size = path.stat().st_size
        if not path.is_file() or size < HEADER_BYTES or size > MAX_WAV_BYTES:
            return None
        with path.open("rb") as fh:
            header = fh.read(HEADER_BYTES)
            riff, _, wave, fmt, fmt_len, pcm, channels, rate, _, _, bits, data, data_len = \
                struct.unpack("<4sI4s4sIHHIIHH4sI", header)
            if (riff, wave, fmt, data) != (b"RIFF", b"WAVE", b"fmt ", b"data") or fmt_len != 16 or pcm != 1:
                return None
            if channels != 2 or bits != 16 or not 8000 <= rate <= 48000:
                return None
            data_len = min(data_len, size - HEADER_BYTES)
            raw = np.frombuffer(fh.read(data_len - data_len % 4), dtype="<i2")
    except (OSError, struct.error):
        return None
    return WavFile(path.name, rate, channels, raw.reshape(-1, 2)[:, 0].copy())


class SwwBoard:
    """The SD card folder, player and recorder of one emulated interface board."""

    def __init__(self, sd_card: Path, clock: EmulatorClock) -> None:
        self.sd_card = Path(sd_card)
        self.clock = clock
        self.tim2_zero: float | None = None  # clock time of the last record_detections
        self.detections_ms: list[int] = []
        self.duty_start: list[int] = []
        self.duty_stop: list[int] = []

    def handles(self, word: str) -> bool:
        return word in ("ls", "play", "record_detections", "print_detections", "print_dutycycle")

    def run(self, word: str, argument: str, t: float, dut) -> list[Out]:  # noqa: ANN001 - the DUT firmware
        if word == "ls":
            names = sorted(p.name for p in self.sd_card.iterdir() if p.is_file()) if self.sd_card.is_dir() else []
            return [*(name + CRLF for name in names), READY]
        if word == "play":
            return self._play(argument, t, dut)
        if word == "record_detections":
            self.tim2_zero = t
            self.detections_ms, self.duty_start, self.duty_stop = [], [], []
            return ["Now recording detections" + CRLF, READY]
        if word == "print_detections":
            return ["Detection Timestamps (ms)" + CRLF, *(f"{ms},{CRLF}" for ms in self.detections_ms), READY]
        return self._print_dutycycle()

    # -- play -------------------------------------------------------------------------------
    def _find(self, name: str) -> Path | None:
        """A plain file name on the card (no folders, no traversal)."""
        if not name or "/" in name or "\\" in name or "\0" in name or name in (".", "..") or len(name) > 255:
            return None  # FAT32's long names are at most 255 characters
        path = self.sd_card / name
        try:
            return path if path.is_file() and not path.is_symlink() else None
        except OSError:  # a name the host's file system cannot take: not on the card
            return None

    def _play(self, name: str, t: float, dut) -> list[Out]:  # noqa: ANN001
        out: list[Out] = [f"Attempting to play {name}{CRLF}"]
        path = self._find(name)
        wav = read_sd_wav(path) if path is not None else None
        if wav is None:
            return [*out, PLAY_ERROR + CRLF, READY]
        t0 = t
        if self.tim2_zero is not None:  # start on a whole millisecond of TIM2 (see the module's note)
            t0 = self.tim2_zero + math.ceil(round((t - self.tim2_zero) / BOARD_TICK_S, 6) / MS_TICKS) * MS_TICKS * BOARD_TICK_S
        end = t0 + len(wav.left) / wav.rate
        frames = dut.receive_audio(wav.left, t0, HOP / wav.rate) if hasattr(dut, "receive_audio") else None
        if frames is not None and self.tim2_zero is not None:
            self._record(frames, t0)
        self.clock.reach(end)
        return [*out, Until(end), "succeeded." + CRLF, READY]

    def _record(self, frames, t0: float) -> None:  # noqa: ANN001 - SwwFrames
        """Store the pins' edges as the board's timer sees them (the stream starts `offset` ms after TIM2's zero)."""
        offset_ms = round((t0 - self.tim2_zero) / BOARD_TICK_S) // MS_TICKS
        _, stamps = board_detections(frames.stop_s[frames.pulses])
        room = 10_000 - len(self.detections_ms)
        self.detections_ms += [offset_ms + ms for ms in stamps][:max(room, 0)]
        start, stop = board_duty_record(frames.start_s, frames.stop_s)
        room = BOARD_DUTY_EDGES - len(self.duty_start)
        self.duty_start += [offset_ms * MS_TICKS + tick for tick in start][:max(room, 0)]
        self.duty_stop += [offset_ms * MS_TICKS + tick for tick in stop][:max(room, 0)]

    # -- print_dutycycle -------------------------------------------------------------------------
    @staticmethod
    def _values(ticks: list[int], last: bool) -> str:
        text = ""
        for i, tick in enumerate(ticks):
            text += f"{tick}, "
            if (i + 1) % VALUES_PER_LINE == 0:
                text += CRLF
        if ticks and len(ticks) % VALUES_PER_LINE and not last:
            text += CRLF
        return text

    def _print_dutycycle(self) -> list[Out]:
        text = "Duty cycle start times (s)" + CRLF + self._values(self.duty_start, False)
        text += "Duty cycle stop times (s)" + CRLF + self._values(self.duty_stop, True)
        return [text, READY]
