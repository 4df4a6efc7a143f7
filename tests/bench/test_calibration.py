"""Window calibration arithmetic and the probe's growth."""

import pytest

from tinybench.calibration import MAX_ITERATIONS, Probe, iterations_for, probe, rescale


def test_iterations_cover_the_minimum_window_with_margin():
    # 1.7 ms per inference, 10 s × 1.1 → ceil(11 / 0.0017) = 6471
    assert iterations_for(0.0017, 10.0, 1.1) == 6471
    assert iterations_for(0.0017, 10.0, 1.1) * 0.0017 >= 11.0


def test_slow_target_still_gets_one_iteration():
    assert iterations_for(30.0, 10.0, 1.1) == 1


def test_iterations_are_capped_to_the_protocol_counter():
    assert iterations_for(1e-12, 10.0, 1.1) == MAX_ITERATIONS


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_iterations_reject_bad_times(bad):
    with pytest.raises(ValueError):
        iterations_for(bad, 10.0, 1.1)


def test_rescale_after_a_short_window():
    # 1000 iterations took 8 s; to reach 10 s × 1.1 → ceil(1000 × 11 / 8) = 1375
    assert rescale(1000, 8.0, 10.0, 1.1) == 1375


def test_rescale_always_grows():
    assert rescale(1000, 100.0, 10.0, 1.1) == 1001
    assert rescale(10, 0.0, 10.0, 1.1) == 20


def test_probe_extrapolates_until_long_enough():
    calls = []

    def run(n: int) -> float:  # a device that takes exactly 2 ms per inference
        calls.append(n)
        return n * 0.002

    result = probe(run, probe_s=1.0)
    assert result.window_s >= 1.0
    assert result.seconds_per_inference == pytest.approx(0.002)
    assert calls[0] == 1
    assert all(b >= 2 * a for a, b in zip(calls, calls[1:]))
    assert len(calls) <= 3  # 1 → ~525 → done


def test_probe_stops_after_first_call_for_slow_targets():
    assert probe(lambda n: 5.0 * n, probe_s=1.0) == Probe(1, 5.0)
