"""The firmware's detection rule and the interface board's records, placed on a device clock."""

import numpy as np
import pytest

from tinybench.workloads.spec import Quantization, TensorSpec
from tinybench.workloads.sww_detection import (
    DetectionRule,
    board_detections,
    board_duty_record,
    device_schedule,
    pulse_frames,
    to_ticks,
)


def test_threshold_is_115_for_the_reference_output_and_follows_other_quantizations():
    reference = DetectionRule.for_output(TensorSpec((1, 3), "int8", Quantization(1 / 256, -128)))
    assert reference.threshold == 115
    assert reference.fires(np.array([115, 116, 127, -128])).tolist() == [False, True, True, False]
    other = DetectionRule.for_output(TensorSpec((1, 3), "int8", Quantization(1 / 128, 0)))
    assert other.threshold == int(0.95 * 128)
    assert DetectionRule.for_output(TensorSpec((1, 3), "float32")).threshold == 0.95


def test_the_first_frame_always_pulses():
    assert pulse_frames(np.array([False, False, True, True])).tolist() == [0, 2, 3]
    assert pulse_frames(np.array([True, False])).tolist() == [0]


def test_device_schedule_keeps_up_or_queues_frames():
    start, stop = device_schedule(np.array([0.010, 0.010, 0.010]))
    assert start == pytest.approx([0.032, 0.064, 0.096]) and stop == pytest.approx([0.042, 0.074, 0.106])
    start, stop = device_schedule(np.array([0.050, 0.010, 0.010]))  # frame 0 overruns its 32 ms
    assert start == pytest.approx([0.032, 0.082, 0.096]) and stop == pytest.approx([0.082, 0.092, 0.106])


def test_board_stores_ms_and_drops_pulses_within_10_ms():
    kept, stamps = board_detections(np.array([0.0325, 1.0001, 1.0105, 1.0111, 1.05]))
    # 1010.5 ms is only 10 ms after 1000 ms (not "more than 10"): dropped; 1011 ms is kept
    assert stamps == [32, 1000, 1011, 1050] and kept == [0, 1, 3, 4]


def test_board_keeps_at_most_10000_timestamps():
    kept, stamps = board_detections(np.arange(12_000) * 0.032)
    assert len(stamps) == 10_000 and kept[-1] == 9_999


def test_board_duty_record_is_the_first_100_edges_in_10_us_ticks():
    start = 0.032 * (np.arange(150) + 1)
    starts, stops = board_duty_record(start, start + 0.018)
    assert len(starts) == len(stops) == 100
    assert starts[:2] == [3200, 6400] and stops[0] == 5000
    assert to_ticks(np.array([0.00001999])).tolist() == [1]
