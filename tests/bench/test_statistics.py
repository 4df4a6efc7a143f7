"""Statistics against values computed by hand."""

import math

import pytest

from tinybench.statistics import median, summarize, throughput


def test_summary_of_ten_values_matches_hand_computation():
    # x = 1..10. mean 5.5; sample variance = sum((x-5.5)^2)/9 = 82.5/9.
    # linear percentiles: rank = p/100 * 9 → p50 rank 4.5 → 5.5; p90 rank 8.1 → 9 + 0.1 = 9.1;
    # p99 rank 8.91 → 9 + 0.91 = 9.91.
    s = summarize([7, 1, 10, 3, 2, 9, 4, 8, 6, 5])
    assert s.n == 10
    assert s.mean == pytest.approx(5.5)
    assert s.std == pytest.approx(math.sqrt(82.5 / 9))
    assert (s.min, s.max) == (1.0, 10.0)
    assert s.p50 == pytest.approx(5.5)
    assert s.p90 == pytest.approx(9.1)
    assert s.p99 == pytest.approx(9.91)


def test_summary_of_one_value_has_no_std():
    s = summarize([0.25])
    assert (s.n, s.mean, s.min, s.max, s.p50, s.p99) == (1, 0.25, 0.25, 0.25, 0.25, 0.25)
    assert s.std is None


def test_scaled_summary_converts_units():
    s = summarize([0.001, 0.002, 0.003]).scaled(1e3)  # seconds → ms
    assert s.mean == pytest.approx(2.0)
    assert s.std == pytest.approx(1.0)
    assert s.p50 == pytest.approx(2.0)


def test_median_of_even_count_is_mean_of_middle_pair():
    assert median([4.0, 1.0, 3.0, 2.0]) == pytest.approx(2.5)


def test_throughput_is_iterations_over_time():
    assert throughput(500, 0.25) == pytest.approx(2000.0)


@pytest.mark.parametrize("bad", [[], [1.0, float("nan")], [float("inf")]])
def test_bad_samples_are_rejected(bad):
    with pytest.raises(ValueError):
        summarize(bad)


@pytest.mark.parametrize("window", [0.0, -1.0, float("nan")])
def test_throughput_rejects_non_positive_windows(window):
    with pytest.raises(ValueError):
        throughput(10, window)
