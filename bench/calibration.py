"""Window calibration: how many iterations make a window last at least the minimum time.

A short probe measures the time per inference; the window then runs
⌈min_window_s × margin ÷ t_probe⌉ iterations. If a measured window still falls short
(the device slowed down, the probe was optimistic), the harness scales N by the
shortfall and runs the window again.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

MAX_ITERATIONS = 2**31 - 1  # the device protocol's `infer N` is a 32-bit count


@dataclass(frozen=True)
class Probe:
    iterations: int
    window_s: float

    @property
    def seconds_per_inference(self) -> float:
        return self.window_s / self.iterations


def iterations_for(seconds_per_inference: float, min_window_s: float, margin: float) -> int:
    """Iterations for a window of at least `min_window_s × margin` seconds (≥ 1)."""
    if not seconds_per_inference > 0 or not math.isfinite(seconds_per_inference):
        raise ValueError(f"time per inference must be positive, got {seconds_per_inference}")
    n = math.ceil(min_window_s * margin / seconds_per_inference)
    return max(1, min(n, MAX_ITERATIONS))


def rescale(iterations: int, measured_s: float, min_window_s: float, margin: float) -> int:
    """More iterations after a window of `measured_s` fell short of `min_window_s`."""
    if measured_s <= 0:
        return min(iterations * 2, MAX_ITERATIONS)
    n = math.ceil(iterations * (min_window_s * margin) / measured_s)
    return max(iterations + 1, min(n, MAX_ITERATIONS))


def probe(run: Callable[[int], float], probe_s: float, start: int = 1, max_rounds: int = 32) -> Probe:
    """Run growing batches until one lasts at least `probe_s`; `run(n)` returns its seconds.

    Each round extrapolates from the last one (at least doubling), so a fast target
    reaches the probe length in a few rounds.
    """
    n = max(1, start)
    elapsed = run(n)
    for _ in range(max_rounds):
        if elapsed >= probe_s or n >= MAX_ITERATIONS:
            break
        if elapsed > 0:
            n = max(2 * n, math.ceil(n * probe_s * 1.05 / elapsed))
        else:
            n *= 16
        n = min(n, MAX_ITERATIONS)
        elapsed = run(n)
    return Probe(n, elapsed)
