"""The sort-once statistics (summarize, histogram, describe) against numpy's generic functions, bit for bit.

The oracles below are the definitions as they stood before the fast paths (np.mean, np.std, np.percentile,
np.histogram), kept verbatim here so that a change to the package cannot move both sides at once: every
figure an existing bundle states must still be recomputed to the same bits.
"""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinybench.statistics import Summary, describe, histogram, histogram_numpy, summarize, summarize_numpy


def oracle_summary(samples) -> Summary:
    x = np.asarray(samples, dtype=np.float64).ravel()
    if x.size == 0:
        raise ValueError("cannot summarize an empty sample")
    if not np.all(np.isfinite(x)):
        raise ValueError("samples contain NaN or infinity")
    p50, p90, p99 = np.percentile(x, [50.0, 90.0, 99.0], method="linear")
    return Summary(n=int(x.size), mean=float(np.mean(x)), std=float(np.std(x, ddof=1)) if x.size > 1 else None,
                   min=float(np.min(x)), p50=float(p50), p90=float(p90), p99=float(p99), max=float(np.max(x)))


def oracle_histogram(samples, bins: int = 40) -> dict:
    x = np.asarray(samples, dtype=np.float64).ravel()
    if x.size == 0:
        raise ValueError("cannot histogram an empty sample")
    low, high = float(x.min()), float(np.percentile(x, 99.0))
    if high <= low:
        high = low + max(abs(low) * 1e-6, 1e-12)
    counts, edges = np.histogram(x[x <= high], bins=bins, range=(low, high))
    return {"edges": [float(f"{e:.6g}") for e in edges], "counts": counts.tolist(), "above": int((x > high).sum())}


def bits(value: object) -> object:
    """`value` with every float replaced by its 8 bytes (so -0.0 ≠ 0.0 and NaN = NaN compare as bits)."""
    if isinstance(value, float):
        return struct.pack("<d", value)
    if isinstance(value, dict):
        return {k: bits(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [bits(v) for v in value]
    if isinstance(value, Summary):
        return bits(value.to_json())
    return value


def outcome(function, *args) -> object:
    """The bits of what `function(*args)` returns, or the type and message of what it raises."""
    try:
        return bits(function(*args))
    except ValueError as exc:
        return ("ValueError", str(exc))


def assert_all_paths_identical(x: np.ndarray, factor: float = 1e3) -> None:
    with np.errstate(over="ignore", invalid="ignore"):
        _assert_all_paths_identical(x, factor)


def _assert_all_paths_identical(x: np.ndarray, factor: float) -> None:
    assert outcome(summarize, x) == outcome(oracle_summary, x) == outcome(summarize_numpy, x)
    assert outcome(histogram, x) == outcome(oracle_histogram, x) == outcome(histogram_numpy, x)
    expected = (outcome(lambda v: oracle_summary(v).scaled(factor), x), outcome(oracle_histogram, x * factor))
    errors = [e for e in expected if isinstance(e, tuple)]
    with np.errstate(over="ignore", invalid="ignore"):
        got = outcome(lambda v: describe(v, factor), x)
    assert got == (errors[0] if errors else list(expected))  # the first error raised, as the two calls would

def edge_cases() -> list[np.ndarray]:
    rng = np.random.default_rng(18)
    tiny, huge = np.nextafter(0.0, 1.0), np.finfo(np.float64).max
    cases = [[0.25], [1.0, 2.0], [2.0, 1.0, 3.0], [5.0] * 7, [1.0, 1.0, 2.0, 2.0], [-3.0, -1.0, -2.0],
             [0.0], [-0.0, 0.0, 1.0], [0.0, 0.0, -0.0], [-1.0, 1.0], [tiny, 2 * tiny, 3 * tiny], [huge, huge / 2],
             [1.0, np.nextafter(1.0, 2.0)], [1.0] * 98 + [np.nextafter(1.0, 2.0)] * 2, [1e-300, 1e300],
             [1e300] * 3 + [1.7e308], [1.0, math.inf], [math.nan, 1.0], [-math.inf, 1.0], [],
             list(range(1, 101)), list(range(1, 42)), [float(i) / 40 for i in range(41)] * 3,
             [0.163336 + 0.000455 * i for i in range(41)]]  # values on (or a rounding away from) histogram edges
    arrays = [np.asarray(c, dtype=np.float64) for c in cases]
    for n in (1, 2, 3, 4, 99, 100, 101, 1000, 7030, 70_001):  # odd/even, past np.histogram's 65,536 block
        arrays.append(rng.lognormal(-8.7, 0.3, n))
        arrays.append(rng.integers(163_000, 190_000, n) / 1e9)  # ns latencies made seconds, many ties
        arrays.append(np.round(rng.normal(5.0, 2.0, n), 1))  # ties and values spanning zero
    spread = rng.integers(1, 5, 200).astype(np.float64)
    edges = np.linspace(spread.min(), np.percentile(spread, 99.0), 41)
    arrays.append(np.concatenate([spread, edges, np.nextafter(edges, -np.inf), np.nextafter(edges, np.inf)]))
    return arrays


@pytest.mark.parametrize("x", edge_cases(), ids=lambda x: f"n{x.size}")
def test_fast_statistics_are_bit_identical_to_numpy_on_edge_cases(x):
    assert_all_paths_identical(x)
    assert_all_paths_identical(x, 1e-3)


def test_the_fast_path_is_taken_for_a_bundle_like_sample():
    """The property tests above compare results; this one makes sure they compared the fast path."""
    from tinybench import statistics

    x = np.random.default_rng(1).integers(163_000, 190_000, 7030) / 1e9
    ordered = statistics._sorted_plain(x)
    assert ordered is not None and statistics._histogram_sorted(ordered * 1e3, 40) is not None


floats = st.floats(allow_nan=False, allow_infinity=False, width=64)
positive = st.floats(min_value=1e-12, max_value=1e6, allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hnp.arrays(np.float64, st.integers(1, 300), elements=positive))
@example(np.array([1.0]))
def test_summary_and_histogram_of_positive_samples_are_bit_identical(x):
    assert_all_paths_identical(x)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hnp.arrays(np.float64, st.integers(1, 60), elements=st.sampled_from([0.5, 1.0, 1.5, 2.0, 7.25, 1e-9])))
def test_many_ties_are_bit_identical(x):
    assert_all_paths_identical(x)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hnp.arrays(np.float64, st.integers(1, 40), elements=floats))
def test_any_finite_samples_give_the_same_bits_or_the_same_error(x):
    assert_all_paths_identical(x)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.floats(1e-6, 1e3), st.floats(1e-9, 10.0), st.lists(st.tuples(st.integers(0, 40), st.sampled_from([-1, 0, 1])),
                                                              min_size=1, max_size=200))
def test_samples_on_and_beside_the_histogram_edges_are_binned_as_numpy_bins_them(low, width, picks):
    """Samples exactly on np.histogram's edges (and one unit in the last place either side): the minimum is
    the first edge and the top edge is the 99th percentile (it holds over 1 % of the samples)."""
    high = low + width * low
    edges = np.linspace(low, high, 41)
    chosen = [np.nextafter(edges[i], np.inf * side) if side else edges[i] for i, side in picks]
    x = np.array([low, *chosen, *[high] * (len(chosen) // 40 + 2)], dtype=np.float64)
    x = x[(x >= low) & (x <= high)]
    assert_all_paths_identical(x)
