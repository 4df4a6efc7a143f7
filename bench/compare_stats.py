"""The statistics of `tinybench compare` and of the history pages' regression marks.

- **Ratio of medians** (latency, energy, spin-up): B's median ÷ A's median, so > 1 means
  B takes longer (or more energy). Its confidence interval is a percentile bootstrap
  resampled hierarchically: runs (when a side has several), then repetitions (windows) within
  each run. For one run per side with an odd number of repetitions (5 windows, the MLPerf rule)
  the bootstrap distribution of each median is computed exactly from the order statistics (the
  median of m draws is ≤ x₍ⱼ₎ when at least (m + 1)/2 draws are), so the interval is the
  bootstrap's with infinitely many resamples; otherwise 10,000 resamples with a fixed seed, so
  the same inputs always give the same answer.
  A window's throughput already carries the noise of the inferences inside it, so resampling
  those too would count it twice; the per-inference times enter only where a run has too few
  windows to resample (fewer than 3): then each window of n timed inferences with mean m and
  sample std s gets a resampled time n·m + √n·s·Z (the normal approximation to the bootstrap
  of a sum). Per-inference times also give their own metric, the median inference latency,
  whose repetitions are the windows' medians.
- **Exact** comparison for deterministic clocks: when every repetition of each side is
  equal to within the clock's resolution (a simulator; an emulated or truly deterministic
  device timer), there is no sampling noise to bootstrap; the interval is the timer's
  quantization bound and nothing else.
- **Accuracy** (top-1): the difference B − A in percentage points with an exact binomial
  (Clopper–Pearson) interval. Paired (the same samples scored on both sides): conditional on
  the d discordant samples, the number c that only B gets right is Binomial(d, π); the
  Clopper–Pearson interval for π maps to d/n·(2π − 1). Unpaired: each side's Clopper–Pearson
  interval at level 1 − α/2; their difference bounds the difference (Bonferroni, conservative).
- **Verdict**: a difference is reported only when the interval excludes "no change" AND the
  change is at least the threshold (pyperf's `--min-speed` rule): slower when ratio − 1 ≥
  threshold, faster when 1/ratio − 1 ≥ threshold; otherwise "no significant difference".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

RESAMPLES = 10_000
SEED = 20_240_917
NORMAL_INNER_MIN = 30  # windows with fewer timed inferences get no inner level
INNER_BELOW_WINDOWS = 3  # the inner level applies to runs with fewer windows than this


@dataclass(frozen=True)
class Repetitions:
    """One run's repetitions of a metric (e.g. window throughputs), with what the inner level needs."""

    values: np.ndarray  # one value per repetition; the metric is their median
    inner: np.ndarray | None = None  # throughputs only: per window (n, mean s, std s, …) of its inferences
    resolution: np.ndarray | None = None  # per repetition: the clock's quantization bound on the value (same unit)

    def __post_init__(self) -> None:
        if self.values.ndim != 1 or self.values.size == 0 or not np.all(np.isfinite(self.values)):
            raise ValueError("repetitions need at least one finite value")


@dataclass(frozen=True)
class Estimate:
    """A ratio (or a difference) with its confidence interval and how it was obtained."""

    value: float
    low: float
    high: float
    method: str  # bootstrap | exact | clopper-pearson-paired | clopper-pearson | medians-only


def _side_medians(runs: Sequence[Repetitions], rng: np.random.Generator, resamples: int) -> np.ndarray:
    """Bootstrap replicates of the pooled median of one side (hierarchical, see the module doc).

    The inner level (per-inference times) applies to window throughputs only.
    """
    if len(runs) == 1 and (runs[0].inner is None or runs[0].values.size >= INNER_BELOW_WINDOWS):
        values = runs[0].values  # the common case (one run, windows only): a plain bootstrap of the median
        return np.median(values[rng.integers(0, values.size, size=(resamples, values.size))], axis=1)
    width = max(r.values.size for r in runs)
    values = np.full((len(runs), width), np.nan)
    inner_n = np.zeros((len(runs), width))
    inner_mean = np.zeros((len(runs), width))
    inner_sd = np.zeros((len(runs), width))
    sizes = np.array([r.values.size for r in runs])
    for i, run in enumerate(runs):
        values[i, :run.values.size] = run.values
        if run.inner is not None and run.values.size < INNER_BELOW_WINDOWS:
            n, mean, sd = run.inner[:, 0], run.inner[:, 1], run.inner[:, 2]
            usable = n >= NORMAL_INNER_MIN
            inner_n[i, :run.values.size] = np.where(usable, n, 0)
            inner_mean[i, :run.values.size] = mean
            inner_sd[i, :run.values.size] = sd
    picked_runs = (rng.integers(0, len(runs), size=(resamples, len(runs))) if len(runs) > 1
                   else np.zeros((resamples, 1), dtype=np.int64))
    slots = rng.random((resamples, len(runs), width))
    windows = np.floor(slots * sizes[picked_runs][:, :, None]).astype(np.int64)
    valid = np.arange(width)[None, None, :] < sizes[picked_runs][:, :, None]
    chosen = values[picked_runs[:, :, None], windows]
    n = inner_n[picked_runs[:, :, None], windows]
    if np.any(n > 0):
        mean = inner_mean[picked_runs[:, :, None], windows]
        sd = inner_sd[picked_runs[:, :, None], windows]
        window_s = n * mean + np.sqrt(n) * sd * rng.standard_normal(chosen.shape)
        resampled = n / np.maximum(window_s, 1e-300)  # the window's throughput (inferences per second)
        chosen = np.where(n > 0, resampled, chosen)
    chosen = np.where(valid, chosen, np.nan)
    return np.nanmedian(chosen.reshape(resamples, -1), axis=1)


def median_bootstrap_distribution(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The bootstrap distribution of the median of an odd number m of values, exactly (no resampling):
    the median of m draws is ≤ x₍ⱼ₎ when at least (m + 1)/2 draws are, each with probability j/m."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    return x, _median_probabilities(x.size)


@lru_cache(maxsize=64)
def _median_probabilities(m: int) -> np.ndarray:
    """P(bootstrap median = x₍ⱼ₎), j = 1…m, for odd m (it depends on m only)."""
    k = (m + 1) // 2
    cdf = np.array([sum(math.comb(m, i) * (j / m) ** i * (1 - j / m) ** (m - i) for i in range(k, m + 1))
                    for j in range(1, m + 1)])
    return np.diff(np.concatenate([[0.0], cdf]))


def _exact_bootstrap_ratio(a: np.ndarray, b: np.ndarray, higher_is_faster: bool,
                           confidence: float) -> tuple[float, float]:
    """Percentile interval of the bootstrap ratio of two independent medians, from their exact distributions."""
    xa, pa = median_bootstrap_distribution(a)
    xb, pb = median_bootstrap_distribution(b)
    ratios = (xa[:, None] / xb[None, :] if higher_is_faster else xb[None, :] / xa[:, None]).ravel()
    probs = (pa[:, None] * pb[None, :]).ravel()
    order = np.argsort(ratios, kind="stable")
    cdf = np.cumsum(probs[order])
    alpha = 1.0 - confidence
    pick = np.searchsorted(cdf, [alpha / 2 - 1e-12, 1 - alpha / 2 - 1e-12])
    return float(ratios[order][min(pick[0], cdf.size - 1)]), float(ratios[order][min(pick[1], cdf.size - 1)])


def _plain(runs: Sequence[Repetitions]) -> bool:
    """One run whose repetitions alone carry the noise, an odd number of them: the exact bootstrap applies."""
    return (len(runs) == 1 and runs[0].values.size % 2 == 1
            and (runs[0].inner is None or runs[0].values.size >= INNER_BELOW_WINDOWS))


def pooled_median(runs: Sequence[Repetitions]) -> float:
    return float(np.median(np.concatenate([r.values for r in runs])))


def deterministic(runs: Sequence[Repetitions]) -> bool:
    """Every repetition of every run equal to within the clock's resolution (or 1e-9 relative),
    and no run timed inferences that vary (one window of a host run is not a deterministic clock)."""
    if any(r.inner is not None and np.any(r.inner[:, 2] > 0) for r in runs):
        return False
    values = np.concatenate([r.values for r in runs])
    bound = np.concatenate([r.resolution if r.resolution is not None else np.zeros(r.values.size) for r in runs])
    tolerance = 2 * float(bound.max()) + 1e-9 * float(np.abs(values).max())
    return float(values.max() - values.min()) <= tolerance


def ratio_of_medians(a: Sequence[Repetitions], b: Sequence[Repetitions], confidence: float = 0.95,
                     higher_is_faster: bool = False, resamples: int = RESAMPLES, seed: int = SEED) -> Estimate:
    """B's median over A's as a cost ratio (> 1: B costs more).

    `higher_is_faster`: the repetitions are rates (throughputs), so the cost ratio is
    median(A) ÷ median(B) — the latency ratio, since latency = 1 ÷ median throughput.
    """
    med_a, med_b = pooled_median(a), pooled_median(b)
    if med_a <= 0 or med_b <= 0:
        raise ValueError("medians must be positive to form a ratio")
    ratio = med_a / med_b if higher_is_faster else med_b / med_a
    if deterministic(a) and deterministic(b):
        qa = max(float(r.resolution.max()) if r.resolution is not None else 0.0 for r in a)
        qb = max(float(r.resolution.max()) if r.resolution is not None else 0.0 for r in b)
        if higher_is_faster:  # ratio = A/B of rates
            low, high = (med_a - qa) / (med_b + qb), (med_a + qa) / max(med_b - qb, 1e-300)
        else:
            low, high = (med_b - qb) / (med_a + qa), (med_b + qb) / max(med_a - qa, 1e-300)
        return Estimate(ratio, min(low, ratio), max(high, ratio), "exact")
    if _plain(a) and _plain(b):
        low, high = _exact_bootstrap_ratio(a[0].values, b[0].values, higher_is_faster, confidence)
        return Estimate(ratio, min(low, ratio), max(high, ratio), "bootstrap")
    rng = np.random.default_rng(seed)
    boot_a = _side_medians(a, rng, resamples)
    boot_b = _side_medians(b, rng, resamples)
    replicates = boot_a / boot_b if higher_is_faster else boot_b / boot_a
    alpha = 1.0 - confidence
    low, high = np.quantile(replicates[np.isfinite(replicates)], [alpha / 2, 1 - alpha / 2])
    return Estimate(ratio, float(min(low, ratio)), float(max(high, ratio)), "bootstrap")


def consecutive_ratios(series: Sequence[Repetitions], confidence: float = 0.95, higher_is_faster: bool = False,
                       resamples: int = RESAMPLES, seed: int = SEED) -> list[Estimate]:
    """`ratio_of_medians(series[i - 1], series[i])` for every i ≥ 1: each run against the one before (history).

    When every run is plain with the same odd number of windows (the usual case), all pairs are
    computed at once with the exact bootstrap; the result is the same as pair by pair.
    """
    sizes = {r.values.size for r in series}
    if len(series) < 2 or len(sizes) != 1 or not all(_plain([r]) for r in series):
        return [ratio_of_medians([a], [b], confidence, higher_is_faster, resamples, seed)
                for a, b in zip(series, series[1:])]
    values = np.sort(np.stack([r.values for r in series]), axis=1)  # (runs, m), each row sorted
    m = values.shape[1]
    medians = values[:, m // 2]
    bounds = np.array([float(r.resolution.max()) if r.resolution is not None else 0.0 for r in series])
    fixed = (values[:, -1] - values[:, 0]) <= 2 * bounds + 1e-9 * np.abs(values).max(axis=1)  # deterministic()
    a, b = values[:-1], values[1:]
    ratios = (a[:, :, None] / b[:, None, :] if higher_is_faster else b[:, None, :] / a[:, :, None])
    ratios = ratios.reshape(len(series) - 1, m * m)
    probs = np.outer(_median_probabilities(m), _median_probabilities(m)).ravel()
    order = np.argsort(ratios, axis=1, kind="stable")
    cdf = np.cumsum(probs[order], axis=1)
    alpha = 1.0 - confidence
    sorted_ratios = np.take_along_axis(ratios, order, axis=1)
    low = sorted_ratios[np.arange(len(cdf)), np.argmax(cdf >= alpha / 2 - 1e-12, axis=1)]
    high = sorted_ratios[np.arange(len(cdf)), np.argmax(cdf >= 1 - alpha / 2 - 1e-12, axis=1)]
    point = medians[:-1] / medians[1:] if higher_is_faster else medians[1:] / medians[:-1]
    out = []
    for i in range(len(series) - 1):
        if fixed[i] and fixed[i + 1]:
            out.append(ratio_of_medians([series[i]], [series[i + 1]], confidence, higher_is_faster))
        else:
            r = float(point[i])
            out.append(Estimate(r, min(float(low[i]), r), max(float(high[i]), r), "bootstrap"))
    return out


def ratio_verdict(estimate: Estimate, threshold: float, words: tuple[str, str] = ("slower", "faster")) -> str:
    """`words[0]` (costs more), `words[1]` (costs less) or 'no significant difference'."""
    if estimate.low > 1.0 and estimate.value - 1.0 >= threshold - 1e-12:
        return words[0]
    if estimate.high < 1.0 and 1.0 / estimate.value - 1.0 >= threshold - 1e-12:
        return words[1]
    return "no significant difference"


# --- exact binomial intervals (no SciPy: the binomial tail by log-space sums, bisection on p) ---

def _log_binomial_coefficients(n: int) -> np.ndarray:
    j = np.arange(1, n + 1, dtype=np.float64)
    return np.concatenate([[0.0], np.cumsum(np.log(n - j + 1) - np.log(j))])


def _binomial_cdf(k: int, n: int, p: float, log_coef: np.ndarray) -> float:
    """P(X ≤ k) for X ~ Binomial(n, p)."""
    if p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 1.0 if k >= n else 0.0
    i = np.arange(0, k + 1, dtype=np.float64)
    terms = log_coef[: k + 1] + i * math.log(p) + (n - i) * math.log1p(-p)
    top = terms.max()
    return float(min(1.0, math.exp(top) * np.exp(terms - top).sum()))


def _solve(f, target: float) -> float:  # noqa: ANN001 - f decreasing in p on [0, 1]
    low, high = 0.0, 1.0
    for _ in range(100):
        mid = (low + high) / 2
        if f(mid) > target:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The exact (Clopper–Pearson) interval for a binomial proportion k/n."""
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"need 0 ≤ k ≤ n and n ≥ 1, got k={k}, n={n}")
    alpha = 1.0 - confidence
    coef = _log_binomial_coefficients(n)
    # lower: P(X ≥ k) = α/2, i.e. P(X ≤ k − 1) = 1 − α/2; upper: P(X ≤ k) = α/2 (both CDFs fall as p rises)
    low = 0.0 if k == 0 else _solve(lambda p: _binomial_cdf(k - 1, n, p, coef), 1.0 - alpha / 2)
    high = 1.0 if k == n else _solve(lambda p: _binomial_cdf(k, n, p, coef), alpha / 2)
    return low, high


def paired_accuracy_difference(a_correct: np.ndarray, b_correct: np.ndarray, confidence: float = 0.95) -> Estimate:
    """B − A in percentage points over the same samples, exact conditional interval (see module doc)."""
    a_correct, b_correct = np.asarray(a_correct, bool), np.asarray(b_correct, bool)
    n = a_correct.size
    only_a = int(np.sum(a_correct & ~b_correct))
    only_b = int(np.sum(~a_correct & b_correct))
    discordant = only_a + only_b
    difference = (only_b - only_a) / n * 100.0
    if discordant == 0:
        return Estimate(0.0, 0.0, 0.0, "clopper-pearson-paired")
    low, high = clopper_pearson(only_b, discordant, confidence)
    scale = discordant / n * 100.0
    return Estimate(difference, scale * (2 * low - 1), scale * (2 * high - 1), "clopper-pearson-paired")


def unpaired_accuracy_difference(k_a: int, n_a: int, k_b: int, n_b: int, confidence: float = 0.95) -> Estimate:
    """B − A in percentage points from counts alone: Bonferroni-combined Clopper–Pearson intervals."""
    side = 1.0 - (1.0 - confidence) / 2
    low_a, high_a = clopper_pearson(k_a, n_a, side)
    low_b, high_b = clopper_pearson(k_b, n_b, side)
    return Estimate((k_b / n_b - k_a / n_a) * 100.0, (low_b - high_a) * 100.0, (high_b - low_a) * 100.0,
                    "clopper-pearson")


def difference_verdict(estimate: Estimate, threshold_points: float) -> str:
    """'better', 'worse' or 'no significant difference' for a higher-is-better difference in points."""
    if estimate.low > 0.0 and estimate.value >= threshold_points:
        return "better"
    if estimate.high < 0.0 and -estimate.value >= threshold_points:
        return "worse"
    return "no significant difference"
