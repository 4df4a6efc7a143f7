"""Every published statistic is computed here, once.

- Percentiles use linear interpolation between closest ranks (numpy's default
  `method="linear"`, Hyndman & Fan definition 7): the p-th percentile of sorted
  x[0..n-1] is x[k] + f·(x[k+1] − x[k]) with k + f = p/100·(n − 1).
- `std` is the sample standard deviation (divisor n − 1); undefined (None) for n < 2.
- The median of an even count is the mean of the two middle values.

`summarize` and `histogram` sort the samples once and read min, max, the percentiles (numpy's
interpolation formula, operation for operation) and the bin counts (binary search against
np.histogram's own edges) from the sorted values; mean and std are numpy's pairwise sums. The
figures are numpy's bit for bit (`summarize_numpy` and `histogram_numpy` keep the generic
definitions, and take over where the fast path could differ: NaN, infinity, samples spanning zero,
bins too narrow). A changed bit would make every bundle's published figure disagree with its
recomputation, so tests/bench/test_statistics_fast.py holds both to the original code.
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
    ordered = _sorted_plain(x)
    if ordered is None:
        return summarize_numpy(x)
    return _summary(x, ordered)


def summarize_numpy(samples: Sequence[float] | np.ndarray) -> Summary:
    """`summarize` by numpy's generic functions (np.mean, np.std, np.percentile): the definition the fast path
    reproduces bit for bit, and what it falls back on (no samples, NaN or infinity, samples spanning zero)."""
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


def _sorted_plain(x: np.ndarray) -> np.ndarray | None:
    """`x` (1-D float64) sorted, when the fast paths apply: at least one sample, all finite, all of one sign
    and none zero (so the order of equal values cannot change a result's bits, e.g. −0.0 against +0.0);
    else None. NaN sorts last and ±infinity to the ends, so the ends tell finiteness."""
    if x.size == 0:
        return None
    ordered = np.sort(x)
    low, high = float(ordered[0]), float(ordered[-1])
    if not (math.isfinite(low) and math.isfinite(high)) or low <= 0.0 <= high:
        return None
    return ordered


def _percentile(ordered: np.ndarray, q: float) -> float:
    """np.percentile(x, 100·q, method="linear") of finite `x` sorted as `ordered`, bit for bit: numpy's virtual
    index (n − 1)·q, its neighbours (both the last value when the index reaches n − 1) and its lerp, which
    interpolates from the upper neighbour when the weight is ≥ 0.5 — the same IEEE operations in Python floats."""
    n = ordered.size
    virtual = (n - 1) * q
    if virtual >= n - 1:
        below = above = -1
    else:
        below = math.floor(virtual)
        above = below + 1
    gamma = virtual - below
    a, b = float(ordered[below]), float(ordered[above])
    step = b - a
    return b - step * (1 - gamma) if gamma >= 0.5 else a + step * gamma


def _summary(x: np.ndarray, ordered: np.ndarray) -> Summary:
    """summarize_numpy(x), given `x` sorted as `ordered` (see _sorted_plain): mean and std as np.mean and
    np.std(ddof=1) compute them (numpy's pairwise sums over `x` in its own order, then the same divisions and
    square root), the rest from the sorted values."""
    n = int(x.size)
    total = np.add.reduce(x)
    mean = float(total / n)
    std = None
    if n > 1:
        deviations = np.subtract(x, total / n)
        np.square(deviations, out=deviations)  # in place, as np.var squares them
        std = float(np.sqrt(np.add.reduce(deviations) / (n - 1)))
    return Summary(n=n, mean=mean, std=std, min=float(ordered[0]), p50=_percentile(ordered, 0.5),
                   p90=_percentile(ordered, 0.9), p99=_percentile(ordered, 0.99), max=float(ordered[-1]))


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
    ordered = _sorted_plain(x)
    found = None if ordered is None else _histogram_sorted(ordered, bins)
    return histogram_numpy(x, bins) if found is None else found


def histogram_numpy(samples: Sequence[float] | np.ndarray, bins: int = 40) -> dict:
    """`histogram` by np.percentile and np.histogram: the definition the fast path reproduces, and its
    fallback."""
    x = np.asarray(samples, dtype=np.float64).ravel()
    if x.size == 0:
        raise ValueError("cannot histogram an empty sample")
    low, high = float(x.min()), float(np.percentile(x, 99.0))
    if high <= low:
        high = low + max(abs(low) * 1e-6, 1e-12)
    counts, edges = np.histogram(x[x <= high], bins=bins, range=(low, high))
    return {"edges": _display(edges.tolist()), "counts": counts.tolist(), "above": int((x > high).sum())}


def _display(edges: list[float]) -> list[float]:
    """Each edge rounded to 6 significant digits (`float(f"{e:.6g}")`, in one formatting call): a display
    summary (the samples stay in the bundle) that keeps result.json light."""
    return list(map(float, ("%.6g " * len(edges) % tuple(edges)).split()))


def _histogram_sorted(ordered: np.ndarray, bins: int) -> dict | None:
    """histogram_numpy of the samples sorted as `ordered` (see _sorted_plain), or None where its bins are too
    narrow to be sure. The edges are np.histogram's (np.linspace over the range); a value v falls in bin i
    when edge[i] ≤ v < edge[i + 1], the last bin closed — what np.histogram's rounded index, corrected by ±1
    against the edges, gives whenever a bin is wider than ~4,000 units in the last place of the range's ends
    (its index is then off by at most one), so narrower bins take np.histogram itself."""
    low, high = float(ordered[0]), _percentile(ordered, 0.99)
    if high <= low:
        high = low + max(abs(low) * 1e-6, 1e-12)
    if not math.isfinite(high) or (high - low) / bins <= max(abs(low), abs(high)) * 2.0 ** -40:
        return None
    edges = np.linspace(low, high, bins + 1, endpoint=True, dtype=np.float64)
    bounds = edges.tolist()
    if any(a >= b for a, b in zip(bounds, bounds[1:])):
        return None
    kept = int(ordered.searchsorted(high, side="right"))  # the values ≤ high (the last edge)
    starts = ordered.searchsorted(edges[:-1], side="left").tolist()  # values below edge i (≤ kept: edge ≤ high)
    starts.append(kept)
    counts = [b - a for a, b in zip(starts, starts[1:])]
    return {"edges": _display(bounds), "counts": counts, "above": int(ordered.size - kept)}


def describe(samples: Sequence[float] | np.ndarray, factor: float, bins: int = 40) -> tuple[Summary, dict]:
    """`(summarize(samples).scaled(factor), histogram(samples * factor, bins))`, bit for bit, sorting the samples
    once (a positive factor keeps their order: each product is rounded monotonically)."""
    x = np.asarray(samples, dtype=np.float64).ravel()
    ordered = _sorted_plain(x)
    if ordered is None or not (factor > 0 and math.isfinite(factor)):
        return summarize(x).scaled(factor), histogram(x * factor, bins)
    scaled = ordered * factor
    found = _histogram_sorted(scaled, bins) if _sorted_plain_ends(scaled) else None
    return _summary(x, ordered).scaled(factor), histogram(x * factor, bins) if found is None else found


def _sorted_plain_ends(ordered: np.ndarray) -> bool:
    """Whether sorted `ordered` passes _sorted_plain's test (finite, one sign, no zero) — e.g. after scaling."""
    low, high = float(ordered[0]), float(ordered[-1])
    return math.isfinite(low) and math.isfinite(high) and not low <= 0.0 <= high
