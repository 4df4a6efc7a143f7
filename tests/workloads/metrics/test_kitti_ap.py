"""KITTI AP on hand-built cases; each expected value is worked out in the comment beside it."""

import pytest

from tinybench.workloads.metrics.kitti_ap import Detection, GroundTruth, evaluate_class

CAR_A = GroundTruth("Car", (100, 100, 200, 160))  # 60 px tall: easy, moderate, hard
CAR_B = GroundTruth("Car", (300, 100, 400, 150))  # 50 px tall


def car(box, score):
    return Detection("Car", box, score)


def ap(images, cls="Car", difficulty="moderate"):
    """AP with method="exact" (the textbook curve), which these small cases are worked out for."""
    result = evaluate_class(images, cls, difficulty, "exact")
    return result.ap_r11, result.ap_r40


def test_perfect_detections():
    # recall 0.5 then 1.0, precision 1 throughout → every interpolation point has p = 1
    assert ap([([CAR_A, CAR_B], [car(CAR_A.box, 0.9), car(CAR_B.box, 0.8)], [])]) == (1.0, 1.0)


def test_one_miss():
    # one of two found: recall 0.5 at precision 1, nothing beyond.
    # R11: r = 0, .1, … .5 → 6 of 11 points at 1 → 6/11; R40: r = 1/40 … 20/40 → 20 of 40 → 0.5
    r11, r40 = ap([([CAR_A, CAR_B], [car(CAR_A.box, 0.9)], [])])
    assert r11 == pytest.approx(6 / 11) and r40 == pytest.approx(0.5)


def test_duplicates_are_false_positives():
    # ranked: A (TP) 0.9, A again (FP: A already matched) 0.8, B (TP) 0.7
    # recall .5 .5 1, precision 1 .5 .667 → interpolated: 1 for r ≤ .5, .667 for r > .5
    # R40: (20·1 + 20·2/3)/40 = 5/6; R11: (6·1 + 5·2/3)/11 = 28/33
    r11, r40 = ap([([CAR_A, CAR_B], [car(CAR_A.box, 0.9), car((101, 101, 200, 160), 0.8), car(CAR_B.box, 0.7)],
                    [])])
    assert r40 == pytest.approx(5 / 6) and r11 == pytest.approx(28 / 33)


def test_a_detection_inside_dont_care_is_ignored():
    spurious = car((600, 50, 650, 100), 0.95)
    dont_care = [(590, 40, 700, 120)]
    # ignored: only the TP remains → AP 1
    assert ap([([CAR_A], [spurious, car(CAR_A.box, 0.9)], dont_care)]) == (1.0, 1.0)
    # without the DontCare region it is an FP ranked first: recall 0,1 precision 0,.5 → p(r) = .5 everywhere
    assert ap([([CAR_A], [spurious, car(CAR_A.box, 0.9)], [])]) == (0.5, 0.5)


def test_a_van_detected_as_car_is_ignored_but_a_truck_is_not():
    van = GroundTruth("Van", (600, 50, 700, 110))
    truck = GroundTruth("Truck", (600, 50, 700, 110))
    dets = [car(van.box, 0.95), car(CAR_A.box, 0.9)]
    assert ap([([CAR_A, van], dets, [])]) == (1.0, 1.0)  # the Van match is neither TP nor FP
    assert ap([([CAR_A, truck], dets, [])]) == (0.5, 0.5)  # a Truck is no neighbour: FP first, then TP


def test_difficulty_filters_ground_truth_and_small_detections():
    small = GroundTruth("Car", (100, 100, 180, 130))  # 30 px: moderate yes, easy no
    occluded = GroundTruth("Car", (300, 100, 400, 160), occlusion=2)  # hard only
    dets = [car(small.box, 0.9), car(occluded.box, 0.8)]
    assert evaluate_class([([small, occluded], dets, [])], "Car", "easy", "exact").ground_truths == 0
    moderate = evaluate_class([([small, occluded], dets, [])], "Car", "moderate", "exact")
    assert (moderate.ground_truths, moderate.tp, moderate.fp) == (1, 1, 0)  # the occluded match is ignored
    hard = evaluate_class([([small, occluded], dets, [])], "Car", "hard", "exact")
    assert (hard.ground_truths, hard.tp, hard.ap_r40) == (2, 2, 1.0)
    tiny = car((500, 100, 560, 115), 0.99)  # 15 px tall: below every minimum height → ignored
    assert ap([([CAR_A], [tiny, car(CAR_A.box, 0.9)], [])]) == (1.0, 1.0)


def test_iou_thresholds_per_class():
    ped = GroundTruth("Pedestrian", (100, 100, 130, 180))
    shifted = (100, 110, 130, 190)  # IoU = 70/90 = 0.78 → TP for a pedestrian (> 0.5)
    assert ap([([ped], [Detection("Pedestrian", shifted, 0.9)], [])], "Pedestrian") == (1.0, 1.0)
    half = (100, 125, 130, 205)  # IoU = 55/105 = 0.52: > 0.5 for pedestrians, < 0.7 for cars
    assert ap([([ped], [Detection("Pedestrian", half, 0.9)], [])], "Pedestrian") == (1.0, 1.0)
    car_gt = GroundTruth("Car", (100, 100, 130, 180))
    assert ap([([car_gt], [car(half, 0.9)], [])]) == (0.0, 0.0)
