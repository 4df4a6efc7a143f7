"""The emulated interface board's sww01 side as pure code: SD card reader, play, records, reply formats."""

import struct

import numpy as np

from tinybench.targets.emulators.emulator_clock import EmulatorClock, Until, lines_of
from tinybench.targets.emulators.sww_board import PLAY_ERROR, SwwBoard, read_sd_wav
from tinybench.targets.emulators.sww_firmware import SwwFrames
from tinybench.targets.sww_serial import parse_detections, parse_dutycycle


def wav_bytes(frames: np.ndarray, channels: int = 2, rate: int = 16000, extra_chunk: bool = False) -> bytes:
    data = frames.astype("<i2").tobytes()
    fmt = struct.pack("<4sIHHIIHH", b"fmt ", 16, 1, channels, rate, rate * 2 * channels, 2 * channels, 16)
    chunk = b"LIST" + struct.pack("<I", 4) + b"INFO" if extra_chunk else b""
    body = b"WAVE" + fmt + chunk + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


class PinsOnly:
    """A DUT whose frames all take 10 ms and pulse on frames 0 and 3 (the board only stamps pins)."""

    def receive_audio(self, left, t0, frame_s):  # noqa: ANN001, ANN201
        n = len(left) // 512
        start = (np.arange(n) + 1.0) * frame_s
        return SwwFrames(start, start + 0.010, np.array([0, 3]))


def test_the_card_reader_takes_canonical_stereo_wavs_only(tmp_path):
    stereo = np.stack([np.arange(1024), -np.arange(1024)], axis=1)
    (tmp_path / "ok.wav").write_bytes(wav_bytes(stereo))
    (tmp_path / "mono.wav").write_bytes(wav_bytes(np.arange(1024), channels=1))
    (tmp_path / "list.wav").write_bytes(wav_bytes(stereo, extra_chunk=True))  # WaveSource wants `data` at once
    (tmp_path / "short.wav").write_bytes(b"RIFF")
    assert np.array_equal(read_sd_wav(tmp_path / "ok.wav").left, np.arange(1024))
    assert [read_sd_wav(tmp_path / n) for n in ("mono.wav", "list.wav", "short.wav", "absent.wav")] == [None] * 4


def test_play_streams_for_the_files_length_and_records_the_pins(tmp_path):
    (tmp_path / "s.wav").write_bytes(wav_bytes(np.zeros((16000, 2))))
    clock = EmulatorClock("virtual")
    board = SwwBoard(tmp_path, clock)
    assert lines_of(board.run("record_detections", "", 0.0, None)) == ["Now recording detections", "m-ready"]
    out = board.run("play", "s.wav", 0.0004, PinsOnly())
    assert lines_of(out) == ["Attempting to play s.wav", "succeeded.", "m-ready"]
    assert [item for item in out if isinstance(item, Until)] == [Until(0.001 + 1.0)]  # starts on the next whole ms
    assert clock.now() == 1.001
    assert parse_detections(lines_of(board.run("print_detections", "", 1.1, None))[:-1]) == [1 + 42, 1 + 138]
    lines = lines_of(board.run("print_dutycycle", "", 1.1, None))
    assert lines[-1].endswith(", m-ready")  # 31 values: no end-line before m-ready
    start, stop = parse_dutycycle([*lines[:-1], lines[-1].removesuffix("m-ready")])
    assert len(start) == len(stop) == 31 and start[0] == 100 + 3200 and stop[0] == 100 + 4200


def test_play_refuses_what_the_board_cannot_open(tmp_path):
    (tmp_path / "x.wav").write_bytes(wav_bytes(np.zeros((600, 2))))
    (tmp_path / "card").mkdir()
    board = SwwBoard(tmp_path / "card", EmulatorClock("virtual"))
    for name in ("x.wav", "../x.wav", "", "nope.wav", "x" * 3000, "a\0b.wav"):  # a long name crashed the emulator
        assert lines_of(board.run("play", name, 0.0, PinsOnly()))[-2:] == [PLAY_ERROR, "m-ready"]


def test_dutycycle_reply_has_eight_values_per_line_and_m_ready_after_the_last_value(tmp_path):
    board = SwwBoard(tmp_path, EmulatorClock("virtual"))
    board.duty_start, board.duty_stop = list(range(10)), list(range(100, 110))
    lines = lines_of(board.run("print_dutycycle", "", 0.0, None))
    assert lines == ["Duty cycle start times (s)", "0, 1, 2, 3, 4, 5, 6, 7, ", "8, 9, ", "Duty cycle stop times (s)",
                     "100, 101, 102, 103, 104, 105, 106, 107, ", "108, 109, m-ready"]
