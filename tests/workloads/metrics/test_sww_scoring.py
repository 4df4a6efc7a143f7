"""sww01 scoring from the official definition (runner `calc_detection_stats`, `process_dutycycle`),
with hand-made detection lists for every rule."""

import numpy as np
import pytest

from tinybench.workloads.metrics.sww_scoring import ScoringError, duty_cycle, score_detections

SYNC = 85  # ms: the first timestamp is the sync pulse; everything is measured from it
WINDOWS = [[1.0, 1.5], [10.0, 10.6]]


def at(*seconds):
    """Board timestamps (ms) for detections at these times (s) after the sync pulse."""
    return [SYNC] + [SYNC + round(s * 1000) for s in seconds]


def test_empty_list_is_an_error():
    with pytest.raises(ScoringError, match="sync pulse"):
        score_detections([], WINDOWS)


def test_sync_pulse_alone_misses_every_word():
    score = score_detections([SYNC], WINDOWS)
    assert (score.tp, score.fn, score.fp) == (0, 2, 0)
    assert score.false_negatives_s == [1.0, 10.0] and score.outcome == ["sync"]


def test_times_are_measured_from_the_sync_pulse():
    assert score_detections([5000, 6000], [[1.0, 1.5]]).tp == 1  # 1.0 s after the sync
    assert score_detections([0, 6000], [[1.0, 1.5]]).tp == 0  # 6.0 s: outside [1.0, 3.5]


@pytest.mark.parametrize(("seconds", "hit"), [
    (0.999, False),  # before the word starts
    (1.0, True),  # the start is inclusive
    (1.5, True),
    (2.6, True), (2.8, True),  # README: 2.8 s "false positive"; the code accepts it
    (3.5, True),  # t_stop + 1 + 1: the end is inclusive
    (3.501, False),
])
def test_acceptance_window_edges(seconds, hit):
    score = score_detections(at(seconds), [[1.0, 1.5]])
    assert (score.tp, score.fn, score.fp) == ((1, 0, 0) if hit else (0, 1, 1))


def test_readme_reading_of_the_window_differs_from_the_code():
    """The runner README describes a 1-s tolerance; only the code's 2 s reproduces published results."""
    code = score_detections(at(2.8), [[1.0, 1.6]])
    readme = score_detections(at(2.8), [[1.0, 1.6]], tolerance_s=1.0)
    assert (code.tp, code.fp) == (1, 0) and (readme.tp, readme.fp) == (0, 1)


def test_all_detections_inside_a_window_are_consumed_by_one_true_positive():
    score = score_detections(at(1.1, 1.2, 1.3, 3.4), [[1.0, 1.5]])
    assert (score.tp, score.fn, score.fp) == (1, 0, 0)
    assert score.outcome == ["sync", "tp:0", "tp:0", "tp:0", "tp:0"]


def test_windows_claim_detections_in_file_order():
    """A detection inside window 0's tolerance and window 1 goes to window 0; window 1 is then missed."""
    score = score_detections(at(2.2), [[1.0, 1.5], [2.0, 2.5]])
    assert score.true_positives_s == [1.0] and score.false_negatives_s == [2.0] and score.fp == 0


def test_false_positive_debounce_chain():
    """Each surviving false positive removes the others in the following second; survivors start new groups."""
    score = score_detections(at(20.0, 20.5, 21.0, 21.5, 22.0, 22.5, 23.6), WINDOWS)
    assert score.false_positives_s == [20.0, 21.5, 23.6]
    assert score.outcome[1:] == ["fp", "fp-debounced", "fp-debounced", "fp", "fp-debounced", "fp-debounced", "fp"]


def test_a_continuous_false_trigger_counts_about_once_per_second():
    frames = [20.0 + 0.032 * k for k in range(157)]  # 5 s of detections every frame
    score = score_detections(at(*frames), WINDOWS)
    assert score.fp == 5


def test_debounce_edges():
    assert score_detections(at(20.0, 21.0), WINDOWS).fp == 1  # exactly 1000 ms later: suppressed
    assert score_detections(at(20.0, 21.001), WINDOWS).fp == 2  # 1001 ms later: a new group
    assert score_detections([SYNC, SYNC + 20000, SYNC + 20000], WINDOWS).fp == 2  # identical: not "later"


def test_false_positives_before_a_word_are_not_rescued_by_it():
    score = score_detections(at(0.5, 1.2), [[1.0, 1.5]])
    assert (score.tp, score.fp) == (1, 1) and score.false_positives_s == [0.5]


def test_closed_division_checks_and_f1():
    windows = [[float(i * 10), float(i * 10) + 0.6] for i in range(50)]
    hits = [i * 10 + 0.3 for i in range(44)]
    false = [600.0, 700.0, 800.0, 900.0]
    score = score_detections(at(*hits, *false), windows)
    assert (score.tp, score.fn, score.fp) == (44, 6, 4)
    assert score.f1 == pytest.approx(2 * 44 / (2 * 44 + 4 + 6))  # 0.898, the reference's published F1
    assert score.closed_checks() == {"fifty_wake_words": True, "false_positives": True, "false_negatives": True}
    worse = score_detections(at(*hits[:40], *false, 950.0, 960.0, 970.0, 980.0, 990.0), windows)
    assert worse.closed_checks() == {"fifty_wake_words": True, "false_positives": False, "false_negatives": False}


def test_duty_cycle_as_the_runner_computes_it():
    start = [0.006796 + 0.032 * k for k in range(100)]
    stop = [s + 0.018 for s in start]
    result = duty_cycle(start, stop + [9.9])  # lists of unequal length are cut to the shorter
    assert result.frames == 100
    assert result.period_s == pytest.approx(0.032)
    assert result.processing_time_s == pytest.approx(0.018)
    assert result.duty_cycle == pytest.approx(0.018 / 0.032)
    assert result.throughput_inf_s == pytest.approx(1 / 0.018)
    assert result.period_within_limit


def test_duty_cycle_period_variation_and_bad_input():
    jittery = duty_cycle([0.0, 0.032, 0.070, 0.096], [0.01, 0.042, 0.08, 0.106])
    assert jittery.period_variation == pytest.approx((0.038 - 0.026) / 0.032) and not jittery.period_within_limit
    with pytest.raises(ScoringError, match="two"):
        duty_cycle([0.0], [0.01])
    with pytest.raises(ScoringError, match="not increasing"):
        duty_cycle([0.0, 0.0], [0.01, 0.01])


def _runner_walk(stamps_ms: list[int], debounce_ms: int = 1000) -> list[int]:
    """The runner's debounce as its code reads (no windows): walk the list, delete from it as it goes."""
    times = [t - stamps_ms[0] for t in stamps_ms[1:]]
    remaining, i = list(range(len(times))), 0
    while i < len(remaining):
        current = times[remaining[i]]
        remaining = [j for j in remaining if not current < times[j] <= current + debounce_ms]
        i += 1
    return [times[j] for j in remaining]


@pytest.mark.parametrize("seed", range(40))
def test_the_one_pass_debounce_equals_the_runner_walk(seed):
    rng = np.random.default_rng(seed)
    steps = rng.choice([0, 1, 32, 500, 999, 1000, 1001, 1500, 3000], size=int(rng.integers(1, 200)))
    stamps = [5000] + list(5000 + np.cumsum(steps))  # in order, with ties and every debounce edge
    score = score_detections(stamps, [])
    assert [round(s * 1000) for s in score.false_positives_s] == _runner_walk(stamps)
    shuffled = [stamps[0]] + list(rng.permutation(stamps[1:]))  # out of order: the runner's own walk
    score = score_detections(shuffled, [])
    assert [round(s * 1000) for s in score.false_positives_s] == _runner_walk(shuffled)

