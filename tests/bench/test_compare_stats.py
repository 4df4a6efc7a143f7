"""The statistics of `compare`: exact binomial intervals (checked against SciPy), bootstrap, exact ratios, verdicts."""

import numpy as np
import pytest

from tinybench import compare_stats as cs


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (10, 10), (1, 1), (950, 1000), (4999, 10000), (7, 12)])
def test_clopper_pearson_equals_the_beta_quantiles(k, n):
    stats = pytest.importorskip("scipy.stats")  # SciPy is only the oracle here (the dev extra has it)
    low, high = cs.clopper_pearson(k, n, 0.95)
    assert low == pytest.approx(stats.beta.ppf(0.025, k, n - k + 1) if k else 0.0, abs=1e-10)
    assert high == pytest.approx(stats.beta.ppf(0.975, k + 1, n - k) if k < n else 1.0, abs=1e-10)


def test_clopper_pearson_refuses_impossible_counts():
    with pytest.raises(ValueError):
        cs.clopper_pearson(5, 3)
    with pytest.raises(ValueError):
        cs.clopper_pearson(0, 0)


def test_paired_difference_uses_only_discordant_samples():
    stats = pytest.importorskip("scipy.stats")
    a = np.array([True] * 90 + [False] * 10)
    b = a.copy()
    b[:6] = False  # B loses 6 that A got
    b[95:] = True  # and gains 5 that A missed
    est = cs.paired_accuracy_difference(a, b)
    assert est.value == pytest.approx(-1.0)  # (5 − 6) / 100 samples, in points
    low_pi, high_pi = stats.beta.ppf(0.025, 5, 7), stats.beta.ppf(0.975, 6, 6)
    assert est.low == pytest.approx(11 / 100 * (2 * low_pi - 1) * 100)
    assert est.high == pytest.approx(11 / 100 * (2 * high_pi - 1) * 100)
    assert cs.difference_verdict(est, 0.0) == "no significant difference"
    same = cs.paired_accuracy_difference(a, a)
    assert (same.value, same.low, same.high) == (0.0, 0.0, 0.0)
    worse = cs.paired_accuracy_difference(a, np.zeros(100, bool) | (np.arange(100) < 60))
    assert cs.difference_verdict(worse, 0.0) == "worse" and cs.difference_verdict(worse, 40.0) == "no significant difference"


def test_unpaired_difference_is_wider_than_either_interval():
    est = cs.unpaired_accuracy_difference(900, 1000, 850, 1000)
    assert est.value == pytest.approx(-5.0)
    assert est.high < 0 and cs.difference_verdict(est, 1.0) == "worse"
    low_a, high_a = cs.clopper_pearson(900, 1000, 0.975)
    assert est.low == pytest.approx((cs.clopper_pearson(850, 1000, 0.975)[0] - high_a) * 100)


def test_deterministic_repetitions_are_compared_exactly():
    a = [cs.Repetitions(np.full(5, 1000.0), resolution=np.full(5, 1e-4))]
    b = [cs.Repetitions(np.full(5, 1000.0 / 1.03), resolution=np.full(5, 1e-4))]
    est = cs.ratio_of_medians(a, b, higher_is_faster=True)
    assert est.method == "exact" and est.value == pytest.approx(1.03)
    assert est.high - est.low < 1e-6
    assert cs.ratio_verdict(est, 0.02) == "slower" and cs.ratio_verdict(est, 0.05) == "no significant difference"
    same = cs.ratio_of_medians(a, a, higher_is_faster=True)
    assert same.value == 1.0 and cs.ratio_verdict(same, 0.0) == "no significant difference"


def test_values_that_vary_beyond_the_resolution_are_bootstrapped():
    a = [cs.Repetitions(np.array([100.0, 100.5, 99.5]), resolution=np.full(3, 1e-6))]
    assert not cs.deterministic(a)
    est = cs.ratio_of_medians(a, a)
    assert est.method == "bootstrap" and est.low < 1.0 < est.high


def test_bootstrap_is_reproducible_and_detects_a_clear_change():
    rng = np.random.default_rng(5)
    a = [cs.Repetitions(rng.normal(1000, 5, 5))]
    b = [cs.Repetitions(rng.normal(1000, 5, 5) / 1.05)]  # throughputs 5 % lower: 5 % slower
    first = cs.ratio_of_medians(a, b, higher_is_faster=True)
    assert first == cs.ratio_of_medians(a, b, higher_is_faster=True)
    assert first.low > 1.0 and cs.ratio_verdict(first, 0.02) == "slower"
    assert cs.ratio_verdict(cs.ratio_of_medians(b, a, higher_is_faster=True), 0.02) == "faster"


def test_the_bootstrap_covers_the_truth_at_about_its_level():
    """Same distribution on both sides: the 95 % interval should contain 1 in ~95 % of trials (≥ 88 % here)."""
    rng = np.random.default_rng(11)
    covered = 0
    for _ in range(200):
        a = [cs.Repetitions(rng.normal(100, 2, 9))]
        b = [cs.Repetitions(rng.normal(100, 2, 9))]
        est = cs.ratio_of_medians(a, b, resamples=2000, seed=int(rng.integers(1 << 30)))
        covered += est.low <= 1.0 <= est.high
    assert covered >= 176


def test_several_runs_per_side_are_resampled_as_runs():
    a = [cs.Repetitions(np.array([100.0, 101.0, 99.0])), cs.Repetitions(np.array([110.0, 111.0, 109.0]))]
    one_run = cs.ratio_of_medians(a[:1], a[:1])
    two_runs = cs.ratio_of_medians(a, a)
    assert two_runs.high - two_runs.low > one_run.high - one_run.low  # the run-to-run shift widens it


def test_the_inner_level_applies_only_to_runs_with_few_windows():
    inner = np.array([[1000, 1e-3, 2e-4, 1e-3]])
    single = [cs.Repetitions(np.array([1000.0]), inner=inner)]
    est = cs.ratio_of_medians(single, single, higher_is_faster=True)
    assert est.method == "bootstrap" and est.low < 0.995 and est.high > 1.005  # spread from the inferences
    many = [cs.Repetitions(np.full(5, 1000.0), inner=np.repeat(inner, 5, axis=0))]
    est = cs.ratio_of_medians(many, many, higher_is_faster=True)
    assert est.method == "bootstrap" and est.low == est.high == 1.0  # the windows alone carry the noise


def test_repetitions_refuse_empty_or_non_finite_values():
    with pytest.raises(ValueError):
        cs.Repetitions(np.array([]))
    with pytest.raises(ValueError):
        cs.Repetitions(np.array([1.0, np.nan]))


def test_the_exact_bootstrap_of_a_median_matches_resampling():
    values = np.array([3.0, 1.0, 4.0, 1.5, 9.0])
    support, probs = cs.median_bootstrap_distribution(values)
    rng = np.random.default_rng(2)
    drawn = np.median(values[rng.integers(0, 5, size=(200_000, 5))], axis=1)
    for x, p in zip(support, probs):
        assert np.mean(drawn == x) == pytest.approx(p, abs=0.004)
    assert probs.sum() == pytest.approx(1.0)
    a, b = [cs.Repetitions(values)], [cs.Repetitions(values * 1.1)]
    exact = cs.ratio_of_medians(a, b)
    sampled_a = cs._side_medians([cs.Repetitions(values)], rng, 100_000)  # Monte Carlo, as for even counts
    sampled_b = cs._side_medians([cs.Repetitions(values * 1.1)], rng, 100_000)
    low, high = np.quantile(sampled_b / sampled_a, [0.025, 0.975])
    assert (exact.low, exact.high) == pytest.approx((low, high), rel=0.02)


def test_consecutive_ratios_equal_pair_by_pair_comparisons():
    rng = np.random.default_rng(8)
    series = [cs.Repetitions(rng.normal(100, 3, 5)) for _ in range(6)] + [cs.Repetitions(np.full(5, 90.0))] * 2
    for rates in (True, False):
        batched = cs.consecutive_ratios(series, higher_is_faster=rates)
        single = [cs.ratio_of_medians([a], [b], higher_is_faster=rates) for a, b in zip(series, series[1:])]
        assert [e.method for e in batched] == [e.method for e in single]
        flat = lambda estimates: [x for e in estimates for x in (e.value, e.low, e.high)]  # noqa: E731
        assert flat(batched) == pytest.approx(flat(single), rel=1e-12)
    assert batched[-1].method == "exact"
