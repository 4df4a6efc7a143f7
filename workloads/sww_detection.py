"""sww01 detections: the reference firmware's rule and what the interface board records of it.

Device (`th_process_chunk_and_cont_streaming`): after each frame's inference the
wake-word GPIO is pulsed when the raw int8 output 0 ("marvin") exceeds 115, and on the
very first frame after `start` unconditionally (the **sync pulse**). No smoothing, no
on-device debounce. 115 is `int(0.95 / output_scale + zero_point)` for the reference
output quantization (1/256, −128); tinybench derives the threshold the same way from
any model's output quantization (a float output fires above 0.95).

Interface board (`DeviceUnderTest::RecordDetection`, TIM2 at 10 µs per tick zeroed by
`record_detections`): a falling edge stores `ticks / 100` (integer ms) unless it is
within 10 ms after the previously stored one, at most 10 000 timestamps; the
Processing pin's first 100 rising and falling edges are stored as raw ticks.

A host-side target has no board: :func:`device_schedule` places each frame's work on a
virtual device clock (frame k's last sample arrives at (k + 1) × 32 ms; work starts
then, or when the previous frame's work ends if that is later) and the board's
recording is applied to those times, so every target yields the board's raw facts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinybench.workloads.spec import TensorSpec
from tinybench.workloads.sww_frontend import FRAME_S

WAKE_WORD_INDEX = 0  # class order: marvin, silence, other
THRESHOLD_PROBABILITY = 0.95
BOARD_TICK_S = 1e-5  # interface board TIM2: 10 µs per tick
BOARD_MIN_GAP_MS = 10
BOARD_MAX_TIMESTAMPS = 10_000
BOARD_DUTY_EDGES = 100  # MAX_FRAMES: edges of the Processing pin the board stores
UINT32 = 2**32


@dataclass(frozen=True)
class DetectionRule:
    """Fire when the wake-word output (raw tensor value) is strictly above `threshold`."""

    threshold: float
    output_index: int = WAKE_WORD_INDEX
    quantized: bool = True

    @classmethod
    def for_output(cls, output: TensorSpec) -> DetectionRule:
        """The firmware's threshold for a model output: int(0.95 / scale + zero point) on int8."""
        if output.dtype in ("int8", "uint8", "int16") and output.quantization is not None:
            q = output.quantization
            return cls(float(int(THRESHOLD_PROBABILITY / q.scale + q.zero_point)))
        return cls(THRESHOLD_PROBABILITY, quantized=False)

    def fires(self, wake_scores: np.ndarray) -> np.ndarray:
        """Boolean per frame: the frame's wake-word output exceeds the threshold."""
        return np.asarray(wake_scores) > self.threshold

    def to_json(self) -> dict:
        return {"output_index": self.output_index, "threshold": self.threshold, "quantized": self.quantized,
                "comparison": "output > threshold", "sync_pulse": "first frame, unconditionally"}


def pulse_frames(fires: np.ndarray) -> np.ndarray:
    """Frames whose processing pulses the wake-word pin: frame 0 (sync) and every firing frame."""
    fires = np.asarray(fires, dtype=bool).copy()
    if fires.size:
        fires[0] = True
    return np.flatnonzero(fires)


def device_schedule(processing_s: np.ndarray, frame_s: float = FRAME_S) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop time (s, from the first audio sample) of each frame's work on a device
    that receives a frame every `frame_s` and works on one frame at a time."""
    processing = np.asarray(processing_s, dtype=np.float64)
    arrival = (np.arange(processing.size, dtype=np.float64) + 1.0) * frame_s
    if processing.size == 0 or processing.max() <= frame_s:  # never behind: work starts on arrival
        return arrival, arrival + processing
    start = np.empty_like(arrival)
    stop = np.empty_like(arrival)
    busy_until = 0.0
    for k in range(processing.size):
        start[k] = max(arrival[k], busy_until)
        stop[k] = busy_until = start[k] + processing[k]
    return start, stop


def to_ticks(times_s: np.ndarray) -> np.ndarray:
    """Times (s) → the board's 10-µs timer counts (truncated, as a counter reads)."""
    return np.floor(np.asarray(times_s, dtype=np.float64) / BOARD_TICK_S + 1e-9).astype(np.int64)


def board_detections(pulse_times_s: np.ndarray) -> tuple[list[int], list[int]]:
    """Which pulses (indices) the interface board stores, and their timestamps (ms)."""
    kept: list[int] = []
    stored: list[int] = []
    for index, ticks in enumerate(to_ticks(pulse_times_s)):
        current = int(ticks // 100) % UINT32
        if len(stored) >= BOARD_MAX_TIMESTAMPS:
            break
        # uint32 arithmetic as in RecordDetection (prev < cur − 10 or prev > cur); the
        # first pulse is stored (the firmware reads an undefined "previous" there).
        if not stored or stored[-1] < (current - BOARD_MIN_GAP_MS) % UINT32 or stored[-1] > current:
            kept.append(index)
            stored.append(current)
    return kept, stored


def board_duty_record(start_s: np.ndarray, stop_s: np.ndarray) -> tuple[list[int], list[int]]:
    """The Processing pin's first 100 rising and falling edges as the board stores them (ticks)."""
    return (to_ticks(start_s[:BOARD_DUTY_EDGES]).tolist(), to_ticks(stop_s[:BOARD_DUTY_EDGES]).tolist())
