"""The sww01 front end: 16 kHz audio → one 40-bin log-mel (LFBE) row every 512 samples → int8.

It computes what MLPerf Tiny's reference firmware computes per frame
(`th_compute_lfbe_f32`, `th_process_chunk_and_cont_streaming` in the sww reference
submission), in float32 where the firmware uses float32:

1. every 512 new samples (32 ms) a 1024-sample block = the previous 512 + the new 512
   samples, left channel only; before the first frame the previous half is zeros, so
   frame k covers samples [512(k−1), 512(k+1));
2. x = int16 / 32768;
3. pre-emphasis y[n] = x[n] − 0.96875·x[n−1], carried across frames (the sample before a
   block is the previous block's sample 511; 0 before the first frame);
4. × periodic Hamming 0.54 − 0.46·cos(2πn/1024);
5. real FFT of 1024 → 513 bins; magnitude |X| (float32), power = |X|²/1024;
6. 40 mel energies: TensorFlow's `linear_to_mel_weight_matrix(40, 513, 16000, 0, 8000)`,
   each a dot product accumulated bin by bin in float32 over the filter's non-zero bins;
7. floor at 1e-30, 10·log10 (in double, as C's `log10`), + 52, ÷ 64, clipped to [0, 1];
8. int8 = (int8_t)(f / scale + zero_point): truncation toward zero of a float32 value.

Three deliberate, documented limits of fidelity:

* the FFT is computed in float64 and rounded to float32 (CMSIS' `arm_rfft_fast_f32`
  rounding cannot be reproduced bit for bit; float64 is closer to the exact transform and
  gives the same result with every numpy version);
* the mel dot products are plain sequential float32 sums (the firmware's compiler may
  fuse multiply-adds);
* a feature above 255·scale (0.9438 for the reference model) makes the firmware's cast
  undefined in C; ARM cores convert to int32 and keep the low byte, so it **wraps**
  (e.g. 129.7 → 129 → −127), and so does this front end (:func:`quantize`); such values
  are counted (never seen on the official streams).

The float features therefore agree with an exact (float64) computation to ~1e-5, and
the int8 bytes agree except where a value lies within that distance of an integer
boundary before truncation ("truncation ties").

The **training variant** (`Variant.TRAINING`, `get_dataset.py:get_lfbe_func` of the
reference training code) differs in arithmetic only: a *symmetric* Hamming window
(0.54 − 0.46·cos(2πn/1023)), the 1e-30 floor applied to the power bins *before* the mel
matrix instead of to the mel energies after it, log10 computed as ln(x)/ln(10) in
float32, and the scaling written as ((x + 52) − 32 + 32) / 64 in float32. (Its framing —
no leading half-block, only full 30-frame windows scored — belongs to offline evaluation;
a stream is always framed as the firmware frames it.)

The whole-stream function :func:`stream_features` and the per-frame
:class:`StreamingFrontEnd` share one implementation (:func:`blocks_to_features`) that
works row by row (element-wise float32 operations, a row-wise FFT, a fixed summation
order), so computing a stream in bulk gives the same bytes as feeding it frame by frame
(tested).
"""

from __future__ import annotations

import enum
from functools import lru_cache

import numpy as np

from tinybench.workloads.kws_frontend import linear_to_mel_matrix

SAMPLE_RATE = 16000
WINDOW = 1024  # samples per block (64 ms)
HOP = 512  # new samples per frame (32 ms)
FRAME_S = HOP / SAMPLE_RATE  # 0.032 s
SPECTRUM_BINS = WINDOW // 2 + 1  # 513
MEL_BINS = 40
WINDOW_FRAMES = 30  # rows of the model's input window
PREEMPHASIS = np.float32(0.96875)  # 1 − 2⁻⁵
POWER_OFFSET_DB = np.float32(52.0)
INV_SCALE_DB = np.float32(1.0 / 64.0)
FLOOR = 1e-30
CHUNK_FRAMES = 2048  # frames per vectorised batch (bounds memory: ~25 MB per batch)


class Variant(str, enum.Enum):
    """Which reference arithmetic to follow (see the module docstring)."""

    FIRMWARE = "firmware"
    TRAINING = "training"


@lru_cache(maxsize=2)
def hamming(periodic: bool) -> np.ndarray:
    """Hamming window of 1024 points in float32: periodic (firmware) or symmetric (training)."""
    n = np.arange(WINDOW, dtype=np.float64)
    denominator = WINDOW if periodic else WINDOW - 1
    return (0.54 - 0.46 * np.cos(2.0 * np.pi * n / denominator)).astype(np.float32)


@lru_cache(maxsize=1)
def mel_weights() -> np.ndarray:
    """(513, 40) float32: TensorFlow's mel matrix for 16 kHz, 1024-point FFT, 0–8000 Hz."""
    return linear_to_mel_matrix(MEL_BINS, SPECTRUM_BINS, SAMPLE_RATE, 0.0, SAMPLE_RATE / 2.0).astype(np.float32)


@lru_cache(maxsize=1)
def packed_filters() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each filter's first non-zero bin, its length, and its weights padded with zeros:
    (starts[40], lengths[40], weights[40, longest]). Bins past the spectrum are clamped to
    its last bin (their weight is zero)."""
    matrix = mel_weights()
    starts = np.empty(MEL_BINS, dtype=np.int64)
    lengths = np.empty(MEL_BINS, dtype=np.int64)
    for i in range(MEL_BINS):
        nonzero = np.flatnonzero(matrix[:, i])
        starts[i], lengths[i] = nonzero[0], nonzero[-1] - nonzero[0] + 1
    longest = int(lengths.max())
    weights = np.zeros((MEL_BINS, longest), dtype=np.float32)
    for i in range(MEL_BINS):
        weights[i, : lengths[i]] = matrix[starts[i] : starts[i] + lengths[i], i]
    return starts, lengths, weights


def mel_energies(power: np.ndarray) -> np.ndarray:
    """(rows, 513) float32 power → (rows, 40) float32, each a sequential float32 dot product.

    Step j adds power[start + j] · weight[j] to every filter at once; beyond a filter's
    length the weight is zero and adding +0.0 leaves the sum unchanged, so each filter's
    result is exactly its own bin-by-bin sum (`arm_dot_prod_f32`'s order).
    """
    starts, _, weights = packed_filters()
    acc = np.zeros((power.shape[0], MEL_BINS), dtype=np.float32)
    last = SPECTRUM_BINS - 1
    for j in range(weights.shape[1]):
        acc += power[:, np.minimum(starts + j, last)] * weights[:, j]
    return acc


def preemphasize(x: np.ndarray, previous: np.float32) -> np.ndarray:
    """y[n] = x[n] − 0.96875·x[n−1] in float32, with x[−1] = `previous`."""
    shifted = np.empty_like(x)
    shifted[0] = previous
    shifted[1:] = x[:-1]
    return x - shifted * PREEMPHASIS


def blocks_to_features(blocks: np.ndarray, variant: Variant = Variant.FIRMWARE) -> np.ndarray:
    """(rows, 1024) pre-emphasised float32 blocks → (rows, 40) float32 features in [0, 1]."""
    firmware = variant is Variant.FIRMWARE
    windowed = blocks * hamming(periodic=firmware)
    spectrum = np.fft.rfft(windowed.astype(np.float64), axis=1)
    re, im = spectrum.real.astype(np.float32), spectrum.imag.astype(np.float32)
    magnitude = np.sqrt(re * re + im * im)
    power = magnitude * magnitude * np.float32(1.0 / WINDOW)
    if firmware:
        mel = mel_energies(power)
        mel = np.where(mel > FLOOR, mel, np.float32(FLOOR))
        log_mel = (10.0 * np.log10(mel.astype(np.float64))).astype(np.float32)
        scaled = (log_mel + POWER_OFFSET_DB) * INV_SCALE_DB
    else:
        power = np.maximum(power, np.float32(FLOOR))
        mel = mel_energies(power)
        log_mel = np.float32(10.0) * (np.log(mel) / np.log(np.float32(10.0)))
        scaled = (((log_mel + POWER_OFFSET_DB) - np.float32(32.0)) + np.float32(32.0)) / np.float32(64.0)
    return np.clip(scaled, np.float32(0.0), np.float32(1.0))


def frame_count(samples: int) -> int:
    """Frames the device computes from `samples` samples: one per complete 512-sample chunk."""
    return samples // HOP


def to_float(samples: np.ndarray) -> np.ndarray:
    """int16 samples → float32 in [−1, 1) (÷ 32768, exact)."""
    return np.asarray(samples, dtype=np.int16).astype(np.float32) / np.float32(32768.0)


def stream_features(samples: np.ndarray, variant: Variant = Variant.FIRMWARE,
                    on_progress=None) -> np.ndarray:  # noqa: ANN001 - callable(frames done, total)
    """A whole mono int16 stream → (frames, 40) float32, exactly as frame-by-frame streaming.

    Vectorised in batches of :data:`CHUNK_FRAMES`; every operation is row-wise, so the
    result does not depend on the batching (tested against :class:`StreamingFrontEnd`).
    """
    frames = frame_count(len(samples))
    x = np.concatenate([np.zeros(HOP, dtype=np.float32), to_float(samples[: frames * HOP])])
    y = preemphasize(x, np.float32(0.0))
    out = np.empty((frames, MEL_BINS), dtype=np.float32)
    view = np.lib.stride_tricks.sliding_window_view(y, WINDOW)[::HOP]
    for first in range(0, frames, CHUNK_FRAMES):
        last = min(frames, first + CHUNK_FRAMES)
        out[first:last] = blocks_to_features(np.ascontiguousarray(view[first:last]), variant)
        if on_progress is not None:
            on_progress(last, frames)
    return out


class StreamingFrontEnd:
    """The firmware's per-frame state machine: `push(512 new samples)` → one float32 row of 40.

    State between frames: the previous 512 samples and the pre-emphasis sample, as in
    the firmware (`g_wav_block_buff`, `static last_value`; a fresh object = after boot).
    """

    def __init__(self, variant: Variant = Variant.FIRMWARE) -> None:
        self.variant = variant
        self._previous = np.zeros(HOP, dtype=np.float32)  # x of the older half-block
        self._last_value = np.float32(0.0)  # x just before the block

    def push(self, chunk: np.ndarray) -> np.ndarray:
        chunk = np.asarray(chunk)
        if chunk.shape != (HOP,):
            raise ValueError(f"a frame takes exactly {HOP} new samples, got shape {chunk.shape}")
        block = np.concatenate([self._previous, to_float(chunk)])
        emphasized = preemphasize(block, self._last_value)
        self._last_value = block[HOP - 1]
        self._previous = block[HOP:]
        return blocks_to_features(emphasized[None, :], self.variant)[0]


def quantize(features: np.ndarray, scale: float, zero_point: int) -> tuple[np.ndarray, int]:
    """float32 features → int8 as the firmware casts them, and how many values wrapped.

    q = (int8_t)(f / scale + zero_point) in float32: truncation toward zero, then (out of
    range only) the low byte of the int32 conversion, as ARM cores do.
    """
    scaled = np.asarray(features, dtype=np.float32) / np.float32(scale) + np.float32(zero_point)
    truncated = np.trunc(np.clip(scaled, -2.0**31, 2.0**31 - 128)).astype(np.int32)
    wrapped = int(np.count_nonzero((truncated > 127) | (truncated < -128)))
    return truncated.astype(np.int8), wrapped


def feature_windows(rows: np.ndarray) -> np.ndarray:
    """(frames, 40) int8 rows → (frames, 30, 40) views: frame k's model input window.

    The firmware's 30×40 FIFO starts filled with int8 zeros (not the zero point), shifts
    by one row per frame and runs the model from the very first frame.
    """
    padded = np.concatenate([np.zeros((WINDOW_FRAMES - 1, MEL_BINS), dtype=rows.dtype), rows])
    return np.lib.stride_tricks.sliding_window_view(padded, (WINDOW_FRAMES, MEL_BINS))[:, 0]
