"""The kws01 front end: 16 kHz audio → 49×10 MFCC → int8, as MLPerf Tiny's training code.

Reference: `training/keyword_spotting/get_dataset.py` (eval path) with TensorFlow's
`tf.signal`. Step by step:

1. `x = audio / max(audio)` — the maximum sample value, not the maximum magnitude;
2. zero-pad (or cut) to 16000 samples;
3. STFT: 480-sample frames every 320 samples (49 frames, no end padding), periodic Hann
   window 0.5 − 0.5·cos(2πn/480), 512-point real FFT → 257 bins, magnitude (not power);
4. 40 triangular mel filters between 20 and 4000 Hz on the HTK mel scale
   1127·ln(1 + f/700), the DC bin excluded (tf.signal.linear_to_mel_weight_matrix);
5. natural log of (mel + 1e-6);
6. DCT-II, unnormalised (2·Σ x_n cos(πk(2n+1)/2N)), scaled by 1/√(2·40); keep the first 10;
7. int8: x / 0.5847029 + 83, truncated toward zero (`np.array(x, dtype=np.int8)` in
   `make_bin_files.py`). Where that cast overflows the reference is undefined
   behaviour; tinybench saturates to [−128, 127] instead.

Computed in float64 (TensorFlow uses float32; the difference is far below 1e-3).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from tinybench.workloads.spec import Quantization

SAMPLE_RATE = 16000
CLIP_SAMPLES = 16000
FRAME = 480
STEP = 320
FFT = 512
MEL_BINS = 40
LOW_HZ = 20.0
HIGH_HZ = 4000.0
MFCC = 10
FRAMES = 1 + (CLIP_SAMPLES - FRAME) // STEP  # 49


def hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    return 1127.0 * np.log1p(np.asarray(hz, dtype=np.float64) / 700.0)


@lru_cache(maxsize=1)
def hann_periodic() -> np.ndarray:
    n = np.arange(FRAME, dtype=np.float64)
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * n / FRAME)


def linear_to_mel_matrix(mel_bins: int, spectrum_bins: int, rate: float, low_hz: float, high_hz: float) -> np.ndarray:
    """(spectrum_bins, mel_bins) triangular weights as `tf.signal.linear_to_mel_weight_matrix`
    (HTK mel, bins spaced linearly 0…rate/2, row 0 (DC) all zero), in float64."""
    freqs = np.linspace(0.0, rate / 2.0, spectrum_bins)[1:]
    spec_mel = hz_to_mel(freqs)[:, None]
    edges = np.linspace(hz_to_mel(low_hz), hz_to_mel(high_hz), mel_bins + 2)
    lower, center, upper = edges[:-2][None, :], edges[1:-1][None, :], edges[2:][None, :]
    lower_slope = (spec_mel - lower) / (center - lower)
    upper_slope = (upper - spec_mel) / (upper - center)
    weights = np.maximum(0.0, np.minimum(lower_slope, upper_slope))
    return np.vstack([np.zeros((1, mel_bins)), weights])


@lru_cache(maxsize=1)
def mel_matrix() -> np.ndarray:
    """(257, 40) triangular filter weights; row 0 (DC) is all zero."""
    return linear_to_mel_matrix(MEL_BINS, FFT // 2 + 1, SAMPLE_RATE, LOW_HZ, HIGH_HZ)


@lru_cache(maxsize=1)
def dct_matrix() -> np.ndarray:
    """(40, 10): unnormalised DCT-II × 1/√(2·40), first 10 coefficients."""
    n = np.arange(MEL_BINS)[:, None]
    k = np.arange(MFCC)[None, :]
    return 2.0 * np.cos(np.pi * k * (2 * n + 1) / (2.0 * MEL_BINS)) / np.sqrt(2.0 * MEL_BINS)


def normalize(audio: np.ndarray) -> np.ndarray:
    """Integer or float samples → float, divided by the clip's maximum value, padded/cut to 1 s.

    A clip whose maximum is ≤ 0 (silent or all-negative) would divide by zero or flip
    sign in the reference; it is scaled by its maximum magnitude instead (zeros stay zero).
    """
    x = np.asarray(audio, dtype=np.float64).ravel()
    peak = x.max() if x.size else 0.0
    if peak <= 0:
        peak = np.abs(x).max() if x.size and np.abs(x).max() > 0 else 1.0
    x = x / peak
    out = np.zeros(CLIP_SAMPLES, dtype=np.float64)
    out[: min(CLIP_SAMPLES, x.size)] = x[:CLIP_SAMPLES]
    return out


def mfcc(clip: np.ndarray) -> np.ndarray:
    """Normalised 16000-sample clip → (49, 10) float MFCC."""
    starts = np.arange(FRAMES) * STEP
    frames = clip[starts[:, None] + np.arange(FRAME)[None, :]] * hann_periodic()
    magnitude = np.abs(np.fft.rfft(frames, n=FFT, axis=1))
    log_mel = np.log(magnitude @ mel_matrix() + 1e-6)
    dct = dct_matrix()
    out = np.empty((FRAMES, MFCC))
    out[:, 0] = log_mel @ dct[:, 0]
    # Coefficients k ≥ 1 do not depend on a constant offset (their cosines sum to zero), so
    # they are computed on log_mel − log_mel[:, 0]: a constant frame (zero padding) then gives
    # exact zeros, as TensorFlow does, instead of ±1e-15 that truncation would turn into −1.
    out[:, 1:] = (log_mel - log_mel[:, :1]) @ dct[:, 1:]
    return out


def quantize_truncating(features: np.ndarray, quantization: Quantization) -> np.ndarray:
    """The reference's int8 conversion (truncation toward zero), saturating where it would overflow."""
    scaled = np.asarray(features, dtype=np.float64) / quantization.scale + quantization.zero_point
    return np.clip(np.trunc(scaled), -128, 127).astype(np.int8)


def audio_to_features(audio: np.ndarray, quantization: Quantization) -> np.ndarray:
    """Raw audio samples (16 kHz mono) → the 49×10×1 int8 model input."""
    return quantize_truncating(mfcc(normalize(audio)), quantization).reshape(FRAMES, MFCC, 1)
