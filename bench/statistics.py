"""Every published statistic is computed here, once.

- Percentiles use linear interpolation between closest ranks (numpy's default
  `method="linear"`, Hyndman & Fan definition 7): the p-th percentile of sorted
  x[0..n-1] is x[k] + f·(x[k+1] − x[k]) with k + f = p/100·(n − 1).
- `std` is the sample standard deviation (divisor n − 1); undefined (None) for n < 2.
- The median of an even count is the mean of the two middle values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

PERCENTILE_METHOD = "linear (Hyndman-Fan 7, numpy default)"


@dataclass(frozen=True)
class Summary:
    """Distribution summary of samples, all in the samples' unit."""

    n: int
    mean: float
    std: float | None
    min: float
    p50: float
    p90: float
    p99: float
    max: float

    def scaled(self, factor: float) -> Summary:
        """The same summary in another unit (e.g. seconds → milliseconds with 1e3)."""
        return Summary(
            n=self.n,
            mean=self.mean * factor,
            std=None if self.std is None else self.std * factor,
            min=self.min * factor,
            p50=self.p50 * factor,
            p90=self.p90 * factor,
            p99=self.p99 * factor,
            max=self.max * factor,
        )

    def to_json(self) -> dict:
        return asdict(self)


def summarize(samples: Sequence[float] | np.ndarray) -> Summary:
    """n, mean, std, min, p50, p90, p99, max of at least one finite sample."""
    x = np.asarray(samples, dtype=np.float64).ravel()
    if x.size == 0:
        raise ValueError("cannot summarize an empty sample")
    if not np.all(np.isfinite(x)):
        raise ValueError("samples contain NaN or infinity")
    p50, p90, p99 = np.percentile(x, [50.0, 90.0, 99.0], method="linear")
    return Summary(
        n=int(x.size),
        mean=float(np.mean(x)),
        std=float(np.std(x, ddof=1)) if x.size > 1 else None,
        min=float(np.min(x)),
        p50=float(p50),
        p90=float(p90),
        p99=float(p99),
        max=float(np.max(x)),
    )


def median(samples: Sequence[float] | np.ndarray) -> float:
    x = np.asarray(samples, dtype=np.float64).ravel()
    if x.size == 0:
        raise ValueError("cannot take the median of an empty sample")
    return float(np.median(x))


def throughput(iterations: int, window_s: float) -> float:
    """Inferences per second of one window."""
    if window_s <= 0 or not math.isfinite(window_s):
        raise ValueError(f"window time must be positive and finite, got {window_s}")
    return iterations / window_s


def histogram(samples: Sequence[float] | np.ndarray, bins: int = 40) -> dict:
    """Counts over `bins` equal bins from the minimum to the 99th percentile, plus the count above.

    A compact picture of a distribution for reports (the samples themselves stay in the bundle).
    """
    x = np.asarray(samples, dtype=np.float64).ravel()
    if x.size == 0:
        raise ValueError("cannot histogram an empty sample")
    low, high = float(x.min()), float(np.percentile(x, 99.0))
    if high <= low:
        high = low + max(abs(low) * 1e-6, 1e-12)
    counts, edges = np.histogram(x[x <= high], bins=bins, range=(low, high))
    # a display summary (the samples stay in the bundle): 6 significant digits keep result.json light
    return {"edges": [float(f"{e:.6g}") for e in edges], "counts": counts.tolist(), "above": int((x > high).sum())}
