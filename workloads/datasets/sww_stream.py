"""sww01 stream datasets: `.wav` streams with a truth file in MLPerf Tiny's format.

A truth file (`runner/sww_data_dir/sww_long_test.json`) is a JSON list of streams:
`{"wav_file": NAME, "detection_windows": [[t_start, t_stop], …] (s), "length_sec": S,
"sample_rate": 16000}`; `wav_file` names a file in the same folder. The wav must be
16-bit PCM at 16 kHz, mono or multi-channel; like the firmware (which takes the left
I2S slot) tinybench streams channel 0.

Everything is bounded and validated before use (file sizes, list lengths, numbers,
names); a problem is a :class:`DatasetError` naming the file and what to fix.
"""

from __future__ import annotations

import hashlib
import math
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinybench.errors import DatasetError
from tinybench.workloads.datasets.base import Sample
from tinybench.workloads.sww_frontend import FRAME_S, SAMPLE_RATE

MAX_TRUTH_BYTES = 1 << 20
MAX_STREAMS = 100
MAX_WINDOWS = 10_000
MAX_STREAM_S = 2 * 3600.0  # longest stream accepted (the official one is 1200 s)
MAX_NAME = 255
KEYS = {"wav_file", "detection_windows", "length_sec", "sample_rate"}
PERFORMANCE_STRIDE_FRAMES = 32  # performance inputs: one feature window per ~1 s of stream


@dataclass(frozen=True)
class StreamTruth:
    """One entry of a truth file."""

    wav_file: str
    windows: tuple[tuple[float, float], ...]  # wake words: (start, stop) in s
    length_s: float | None = None
    sample_rate: int | None = None

    def to_json(self) -> dict:
        return {"wav_file": self.wav_file, "detection_windows": [list(w) for w in self.windows],
                "length_sec": self.length_s, "sample_rate": self.sample_rate}


@dataclass(frozen=True)
class StreamAudio:
    samples: np.ndarray  # int16, channel 0
    channels: int
    sha256: str  # of the whole file

    @property
    def seconds(self) -> float:
        return self.samples.size / SAMPLE_RATE


def _number(value: object, what: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise DatasetError(f"{name}: {what} must be a finite number, got {str(value)[:40]!r}")
    return float(value)


def plain_name(value: object, name: str) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_NAME:
        raise DatasetError(f"{name}: wav_file must be a file name of 1 to {MAX_NAME} characters")
    if value in (".", "..") or any(c in value for c in "/\\\0") or value.startswith("."):
        raise DatasetError(f"{name}: wav_file {value[:60]!r} must be a plain file name in the truth file's folder",
                           hint="no folders, no leading dot")
    return value


def parse_truth(document: object, name: str) -> list[StreamTruth]:
    """Validate a parsed truth file; returns its streams."""
    if not isinstance(document, list) or not document:
        raise DatasetError(f"{name}: a truth file is a non-empty JSON list of streams")
    if len(document) > MAX_STREAMS:
        raise DatasetError(f"{name}: {len(document)} streams (at most {MAX_STREAMS})")
    streams = []
    for index, entry in enumerate(document):
        where = f"{name} stream {index}"
        if not isinstance(entry, dict):
            raise DatasetError(f"{where}: expected an object with wav_file and detection_windows")
        unknown = sorted(set(entry) - KEYS)
        if unknown:
            raise DatasetError(f"{where}: unknown key {unknown[0][:40]!r}", hint=f"allowed: {', '.join(sorted(KEYS))}")
        if "wav_file" not in entry or "detection_windows" not in entry:
            raise DatasetError(f"{where}: wav_file and detection_windows are required")
        wav_file = plain_name(entry["wav_file"], where)
        raw_windows = entry["detection_windows"]
        if not isinstance(raw_windows, list) or len(raw_windows) > MAX_WINDOWS:
            raise DatasetError(f"{where}: detection_windows must be a list of at most {MAX_WINDOWS} [start, stop] pairs")
        windows = []
        for number, pair in enumerate(raw_windows):
            if not isinstance(pair, list) or len(pair) != 2:
                raise DatasetError(f"{where}: window {number} must be a [start, stop] pair (seconds)")
            start = _number(pair[0], f"window {number} start", where)
            stop = _number(pair[1], f"window {number} stop", where)
            if not 0.0 <= start <= stop <= MAX_STREAM_S:
                raise DatasetError(f"{where}: window {number} [{start}, {stop}] must satisfy 0 ≤ start ≤ stop ≤ "
                                   f"{MAX_STREAM_S:g} s")
            windows.append((start, stop))
        length = entry.get("length_sec")
        if length is not None:
            length = _number(length, "length_sec", where)
            if not 0.0 < length <= MAX_STREAM_S:
                raise DatasetError(f"{where}: length_sec {length} is outside (0, {MAX_STREAM_S:g}] s")
        rate = entry.get("sample_rate")
        if rate is not None and (isinstance(rate, bool) or rate != SAMPLE_RATE):
            raise DatasetError(f"{where}: sample_rate {str(rate)[:20]} Hz; sww01 streams are {SAMPLE_RATE} Hz")
        streams.append(StreamTruth(wav_file, tuple(windows), length, None if rate is None else int(rate)))
    return streams


def read_truth(path: Path) -> list[StreamTruth]:
    from tinybench.reports.safe_json import Refusal, load_untrusted

    try:
        # a local dataset may be a folder of links (the user's own files): read what they point to
        document = load_untrusted(path.resolve(), str(path), MAX_TRUTH_BYTES)
    except Refusal as exc:
        raise DatasetError(str(exc)) from exc
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return parse_truth(document, path.name)


def read_stream_wav(path: Path, max_seconds: float = MAX_STREAM_S) -> StreamAudio:
    """Channel 0 of a 16-bit PCM 16 kHz wav (at most `max_seconds`), with the file's SHA-256."""
    try:
        size = path.stat().st_size
        with wave.open(str(path), "rb") as wav:
            channels, width, rate, frames = wav.getnchannels(), wav.getsampwidth(), wav.getframerate(), wav.getnframes()
            if width != 2:
                raise DatasetError(f"{path}: {8 * width}-bit samples; sww01 streams are 16-bit PCM")
            if rate != SAMPLE_RATE:
                raise DatasetError(f"{path}: sample rate {rate} Hz; sww01 streams are {SAMPLE_RATE} Hz")
            if frames > max_seconds * SAMPLE_RATE or frames * channels * 2 > size:
                raise DatasetError(f"{path}: the header declares {frames} frames of {channels} channels "
                                   f"({frames / SAMPLE_RATE:.1f} s in a {size}-byte file; at most {max_seconds:g} s)")
            data = wav.readframes(frames)
    except (wave.Error, EOFError) as exc:
        raise DatasetError(f"{path}: not a readable PCM wav file ({exc})") from exc
    except FileNotFoundError as exc:
        raise DatasetError(f"stream {path.name} not found in {path.parent}",
                           hint="put the wav next to its truth file (or rebuild it: tinybench data build-sww)") from exc
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(data) != frames * channels * 2:
        raise DatasetError(f"{path}: truncated ({len(data)} bytes of audio for {frames} frames)")
    samples = np.frombuffer(data, dtype="<i2").reshape(-1, channels)[:, 0].copy()
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return StreamAudio(samples, channels, digest.hexdigest())


class StreamDataset:
    """The streams of one truth file; wavs are read when a stream is run."""

    kind = "sww-stream"

    def __init__(self, truth_file: Path) -> None:
        self.truth_file = truth_file
        self.root = truth_file.parent
        self.streams = read_truth(truth_file)
        missing = [s.wav_file for s in self.streams if not (self.root / s.wav_file).is_file()]
        if missing:
            raise DatasetError(f"{self.root}: stream {missing[0]} listed in {truth_file.name} is missing",
                               hint="the wav files must sit next to their truth file; the official 20-minute stream "
                                    "is rebuilt with: tinybench data build-sww")

    def audio(self, stream: StreamTruth) -> StreamAudio:
        return read_stream_wav(self.root / stream.wav_file)

    def __iter__(self) -> Iterator[Sample]:
        """Model inputs for the timing modes: the first stream's feature window every ~1 s."""
        from tinybench.workloads.sww_frontend import feature_windows, quantize, stream_features
        from tinybench.workloads.sww01 import INPUT_QUANTIZATION

        stream = self.streams[0]
        rows, _ = quantize(stream_features(self.audio(stream).samples), INPUT_QUANTIZATION.scale,
                           INPUT_QUANTIZATION.zero_point)
        windows = feature_windows(rows)
        for frame in range(0, len(windows), PERFORMANCE_STRIDE_FRAMES):
            yield Sample(f"{stream.wav_file}@{frame * FRAME_S:.3f}s", np.array(windows[frame])[:, None, :],
                         label=None, source=str(self.root / stream.wav_file))

    def __len__(self) -> int:
        return len(self.streams)

    def describe(self) -> dict:
        return {"kind": self.kind, "root": str(self.root), "truth_file": self.truth_file.name,
                "streams": [s.wav_file for s in self.streams]}


def open_stream_dataset(path: Path) -> StreamDataset:
    """A truth file, or a folder holding exactly one truth file (`*.json`)."""
    path = Path(path).expanduser()
    if path.is_file():
        return StreamDataset(path)
    if not path.is_dir():
        raise DatasetError(f"stream dataset not found: {path}")
    candidates = sorted(p for p in path.glob("*.json") if not p.name.startswith("."))
    if len(candidates) != 1:
        found = ", ".join(p.name for p in candidates[:5]) or "none"
        raise DatasetError(f"{path}: expected one truth file (*.json) beside the wavs, found {found}",
                           hint="pass the truth file itself: --data DIR/sww_long_test.json")
    return StreamDataset(candidates[0])


def synthetic_stream(seconds: float, seed: int) -> np.ndarray:
    """A deterministic int16 stream for timing runs without data: quiet noise with voiced
    bursts (harmonic tones under a smooth envelope) about once a second. No wake words."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SAMPLE_RATE)
    audio = rng.normal(0.0, 200.0, n)
    t = np.arange(SAMPLE_RATE // 2) / SAMPLE_RATE
    envelope = np.sin(np.pi * t / t[-1]) ** 2
    for start in range(int(rng.uniform(0, SAMPLE_RATE)), n - t.size, SAMPLE_RATE):
        f0 = rng.uniform(100.0, 350.0)
        burst = sum(np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 2 * np.pi)) / k for k in range(1, 6))
        audio[start : start + t.size] += rng.uniform(1000.0, 8000.0) * envelope * burst
    return np.clip(np.round(audio), -32768, 32767).astype(np.int16)
