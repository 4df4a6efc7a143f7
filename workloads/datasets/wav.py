"""Reading 16-bit PCM WAV files with the standard library, strictly."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np


class WavError(ValueError):
    """A WAV file that does not fit (rate, channels, format); the message says how."""


def read_pcm16(path: Path, rate: int = 16000) -> np.ndarray:
    """Mono int16 samples of `path`, which must be 16-bit PCM at `rate` Hz.

    A multi-channel file is accepted only if every channel is identical (dual-mono, as
    some tools write mono clips); real stereo is an error.
    """
    try:
        with wave.open(str(path), "rb") as wav:
            channels, width, got_rate, frames = (wav.getnchannels(), wav.getsampwidth(), wav.getframerate(),
                                                 wav.getnframes())
            data = wav.readframes(frames)
    except (wave.Error, EOFError) as exc:
        raise WavError(f"not a readable PCM WAV file ({exc})") from exc
    if width != 2:
        raise WavError(f"{8 * width}-bit samples; expected 16-bit PCM")
    if got_rate != rate:
        raise WavError(f"sample rate {got_rate} Hz; expected {rate} Hz")
    if len(data) != frames * channels * 2:
        raise WavError(f"truncated: {len(data)} bytes of audio for {frames} frames")
    samples = np.frombuffer(data, dtype="<i2").reshape(-1, channels)
    if channels > 1 and not all(np.array_equal(samples[:, 0], samples[:, c]) for c in range(1, channels)):
        raise WavError(f"{channels} channels that differ; expected mono audio")
    return samples[:, 0].copy()
