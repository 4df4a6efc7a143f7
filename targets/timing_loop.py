"""The timed loop shared by in-process targets: one clock read per inference."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np


def timed_invocations(invoke: Callable[[], object], iterations: int, warmup: int) -> tuple[float, np.ndarray]:
    """`warmup` untimed calls, then `iterations` timed ones.

    Returns (window seconds, per-inference seconds). Each inference's time is the
    interval between consecutive clock reads (time.perf_counter_ns), so the times sum
    exactly to the window and the loop adds one clock read and one store per call.
    """
    for _ in range(warmup):
        invoke()
    clock = time.perf_counter_ns
    stamps = [0] * (iterations + 1)
    stamps[0] = clock()
    for i in range(1, iterations + 1):
        invoke()
        stamps[i] = clock()
    marks = np.asarray(stamps, dtype=np.int64)
    return float(marks[-1] - marks[0]) / 1e9, np.diff(marks).astype(np.float64) / 1e9
