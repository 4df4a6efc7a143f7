"""The four deviations of issue 15 and the devkit's quirks, by hand.

Each test states the official devkit's value (evaluate_object.cpp / kitti-object-eval-python)
worked out in its comment, and the exact method's value where it differs. Reading aid for the
devkit's threshold walk (`getThresholds`, n counted GTs, TP scores sorted high to low): it keeps
score i when its recall (i+1)/n is at least as near the current sample c = k/40 as the next
one, i.e. when (i+1)/n + (i+2)/n ≥ 2c, and then moves c to the next sample; the last score is
always kept. precision[k] = TP/(TP+FP) at the k-th kept score, 0 past the last, then made
non-increasing; R40 = mean of precision[1..40], R11 = mean of precision[0, 4, …, 40].
"""

import pytest

from tinybench.workloads.metrics.kitti_ap import METHODS, Detection, GroundTruth, evaluate, evaluate_class


def box(height, width=60.0, top=100.0, left=100.0):
    return (left, top, left + width, top + height)


def found(n, height, cls="Car", width=60.0, start=0.99, step=0.001):
    """n images, each one GT of `cls` found by a detection on its exact box; scores start, start − step, …"""
    return [([GroundTruth(cls, box(height, width))], [Detection(cls, box(height, width), start - step * i)], [])
            for i in range(n)]


def with_small_boxes(height, small):
    """80 cars `height` px tall found by boxes of their size (scores .89, .885, …, .495); the 40 odd
    ones also carry the too-small detection `small`, listed first."""
    return [([GroundTruth("Car", box(height))], [small] * (i % 2) + [Detection("Car", box(height), 0.89 - 0.005 * i)], [])
            for i in range(80)]


def both(images, cls="Car", difficulty="moderate"):
    return {method: evaluate_class(images, cls, difficulty, method) for method in METHODS}


def aps(result):
    return pytest.approx((result.ap_r11, result.ap_r40))


# ---- the four deviations ------------------------------------------------------------------------


def test_deviation_1_a_ground_truth_exactly_at_the_minimum_height_is_ignored():
    # 80 cars 50 px tall, all found; 20 cars exactly 25 px tall, not found. The devkit ignores a GT
    # with height <= 25 at moderate, so n = 80 and every counted car is found.
    # Threshold walk with n = 80 and 80 TP scores: (2i+3)/80 ≥ 2k/40 ⇔ i ≥ 2k − 1.5, so the kept
    # indices are i = 0, 1, 3, 5, …, 79: 41 thresholds, precision 1 at each → R40 = R11 = 1.
    # (Counting the 25 px cars would make n = 100 and cap recall at 0.8.)
    missed = [([GroundTruth("Car", box(25.0))], [], []) for _ in range(20)]
    for result in both(found(80, 50.0) + missed).values():
        assert result.ground_truths == 80 and aps(result) == (1.0, 1.0)
    # easy: the same at 40 px (80 cars 50 px tall found, 20 cars exactly 40 px tall missed)
    missed = [([GroundTruth("Car", box(40.0))], [], []) for _ in range(20)]
    for result in both(found(80, 50.0) + missed, difficulty="easy").values():
        assert result.ground_truths == 80 and aps(result) == (1.0, 1.0)
    # a detection exactly 25 px tall is NOT too small (the devkit drops |y2 − y1| < 25): 80 cars
    # 30 px tall found by 25 px boxes (IoU 25/30 = 0.83 > 0.7) are 80 TPs → 1.0 as above
    images = [([GroundTruth("Car", box(30.0))], [Detection("Car", box(25.0, top=102.5), 0.99 - 0.001 * i)], [])
              for i in range(80)]
    for result in both(images).values():
        assert (result.tp, result.fp) == (80, 0) and aps(result) == (1.0, 1.0)


def test_deviation_2_a_ground_truth_found_only_by_a_too_small_box_stays_in_the_denominator():
    # 60 pedestrians 30 px tall: 40 found by boxes of their size (scores .99, .989, …), 20 found
    # only by a 24 px box (too small at moderate: neither TP nor FP). n = 60 in both methods.
    # devkit: 40 TP scores, n = 60: keep i when (2i+3)/60 ≥ 2k/40 ⇔ i ≥ 1.5k − 1.5 (and i > the
    # previous one): k = 0…26 take i = 0, 1, 2, 3, 5, 6, 8, …, 38 and k = 27 takes the last, i = 39.
    # 28 thresholds, precision 1 → R40 = 27/40 = 0.675; R11 = samples 0, 4, …, 24 → 7/11.
    # exact: recall reaches 40/60; R40 counts k with 40·40 ≥ 60k → k ≤ 26 → 26/40 = 0.65;
    # R11: 40·10 ≥ 60k → k = 0…6 → 7/11.
    # (Dropping those 20 from the denominator, the old rule, gave 1.0.)
    small_only = [([GroundTruth("Pedestrian", box(30.0, 12.0))],
                   [Detection("Pedestrian", box(24.0, 12.0, top=103.0), 0.95)], []) for _ in range(20)]
    results = both(found(40, 30.0, "Pedestrian", 12.0) + small_only, "Pedestrian")
    assert all(r.ground_truths == 60 and (r.tp, r.fp) == (40, 0) for r in results.values())
    assert aps(results["devkit"]) == (7 / 11, 0.675)
    assert aps(results["exact"]) == (7 / 11, 0.65)


def test_deviation_3_a_too_small_duplicate_does_not_take_the_object_from_the_real_detection():
    # 80 cars 30 px tall, each found by a box of its size (scores .89, .885, …, .495); the 40 odd
    # ones also carry a 24 px duplicate scored 0.95 (IoU 24/30 = 0.8, too small at moderate).
    # Count pass (devkit) and matching (exact): the normal-height detection takes the car → 80 TP,
    # 0 FP (the old greedy pass gave the car to the duplicate and called the real box an FP: 40/40).
    # devkit: the score pass gives each odd car to its higher-scored duplicate, so only the 40 even
    # cars leave a threshold; n = 80: i ≥ 2k − 1.5 → i = 0, 1, 3, …, 39 (k = 0…20): 21
    # thresholds, precision 1 → R40 = 20/40 = 0.5, R11 = samples 0, 4, …, 20 → 6/11 (quirk 2).
    # exact: recall 1 at precision 1 → 1.0.
    results = both(with_small_boxes(30.0, Detection("Car", box(24.0, top=103.0), 0.95)))
    assert all((r.ground_truths, r.tp, r.fp) == (80, 80, 0) for r in results.values())
    assert aps(results["devkit"]) == (6 / 11, 0.5)
    assert aps(results["exact"]) == (1.0, 1.0)


def test_deviation_4_tied_scores_in_different_images_do_not_depend_on_image_order():
    # 80 cars found (scores .99 … .911), and one false detection in another image scored exactly as
    # the lowest TP. Either order of those two images gives the same AP.
    # devkit: thresholds i = 0, 1, 3, …, 79 (see deviation 1); the FP counts only at the last one
    # (score ≥ .911): precision[40] = 80/81, all others 1 → R40 = (39 + 80/81)/40 = 3239/3240,
    # R11 = (10 + 80/81)/11 = 890/891.
    # exact: tied scores enter together, so the curve's last point is (recall 1, 80/81); every
    # r ≤ 79/80 has precision 1 → the same 3239/3240 and 890/891.
    # (The old ranking broke the tie by image index: TP first gave p(1) = 1, so R40 = 1.)
    images = found(80, 50.0)
    lowest = images[-1][1][0].score
    false = ([], [Detection("Car", (700.0, 100.0, 760.0, 150.0), lowest)], [])
    for method in METHODS:
        after = evaluate_class(images + [false], "Car", "moderate", method)
        before = evaluate_class(images[:-1] + [false, images[-1]], "Car", "moderate", method)
        assert (after.ap_r11, after.ap_r40) == (before.ap_r11, before.ap_r40)
        assert aps(after) == (890 / 891, 3239 / 3240)


# ---- the devkit's quirks --------------------------------------------------------------------------


def test_quirk_recall_is_sampled_at_one_score_per_true_positive():
    # 2 cars, 2 perfect detections. devkit: 2 TP scores, n = 2: i = 0 is kept (recall .5 vs 1 for
    # sample 0), i = 1 is the last → 2 thresholds: precision = [1, 1, 0, …, 0] →
    # R40 = precision[1]/40 = 1/40 = 0.025, R11 = precision[0]/11 = 1/11. exact: 1.0.
    results = both(found(2, 50.0))
    assert aps(results["devkit"]) == (1 / 11, 1 / 40)
    assert aps(results["exact"]) == (1.0, 1.0)
    # 40 perfect cars: n = 40, every score is kept (i = k), so there are only 40 thresholds:
    # precision[40] = 0 → R40 = 39/40 = 0.975, R11 = 10/11. exact: 1.0.
    results = both(found(40, 50.0))
    assert aps(results["devkit"]) == (10 / 11, 0.975)
    assert aps(results["exact"]) == (1.0, 1.0)


def test_quirk_recall_is_read_at_the_nearest_sample():
    # 50 cars found (scores .99, .98, …, .50), and a false detection scored .935, between the 6th
    # (.94) and 7th (.93) TP. devkit: n = 50, keep i when (2i+3)/50 ≥ 2k/40 ⇔ i ≥ 1.25k − 1.5:
    # k = 0…5 keep i = 0…5 — sample 5 (recall .125) is read at recall 6/50 = .12, the nearest, where
    # the FP is not yet in: precision 1. From k = 6 on the FP is in: (i+1)/(i+2), largest at the
    # last (i = 49, k = 40): 50/51. R40 = (5 + 35·50/51)/40 = 2005/2040;
    # R11 = samples 0, 4 → 1, samples 8…40 (9) → 50/51: (2 + 9·50/51)/11 = 552/561.
    # exact: p(r) = 1 for r ≤ .12 and 50/51 above; r = 5/40 = .125 > .12 →
    # R40 = (4 + 36·50/51)/40 = 2004/2040; R11 the same 552/561.
    images = found(50, 50.0, step=0.01) + [([], [Detection("Car", (700.0, 100.0, 760.0, 150.0), 0.935)], [])]
    results = both(images)
    assert aps(results["devkit"]) == (552 / 561, 2005 / 2040)
    assert aps(results["exact"]) == (552 / 561, 2004 / 2040)


G1, G2 = (0.0, 100.0, 100.0, 150.0), (10.0, 100.0, 110.0, 150.0)  # two overlapping cars, 50 px tall
X = (8.0, 100.0, 108.0, 150.0)  # IoU with G1 92/108 = .85, with G2 98/102 = .96
Y = (-30.0, 100.0, 95.0, 150.0)  # IoU with G1 95/130 = .73, with G2 85/140 = .61 (< .7)


def test_quirk_two_passes_highest_score_for_thresholds_largest_overlap_for_counts():
    # 40 images, each: G1 then G2 in the label file; X scored .9 − .001i, Y scored .5 − .001i.
    # Count pass (per GT in file order, largest overlap): G1 takes X (.85 > .73), G2 is left with Y
    # (.61, too little): 1 TP + 1 FP (Y) per image → TP 40, FP 40 with every detection.
    # Score pass (per GT, highest score): G1 takes X → one threshold per image (X's score); G2 none.
    # n = 80, 40 scores → i = 0, 1, 3, …, 39 (k = 0…20); at each, only X's are in: precision 1 →
    # R40 = 20/40 = 0.5, R11 = 6/11.
    # Swap G1 and G2 in the file: G2 takes X (.96), G1 takes Y (.73) in both passes: 80 TPs, 80
    # thresholds (i = 0, 1, 3, …, 79), precision 1 → R40 = R11 = 1.
    # exact (greedy by score, best overlap): X → G2, Y → G1 in either order: 80 TP, 1.0.
    def images(first, second):
        return [([GroundTruth("Car", first), GroundTruth("Car", second)],
                 [Detection("Car", X, 0.9 - 0.001 * i), Detection("Car", Y, 0.5 - 0.001 * i)], []) for i in range(40)]

    g1_first, g2_first = both(images(G1, G2)), both(images(G2, G1))
    assert (g1_first["devkit"].tp, g1_first["devkit"].fp) == (40, 40) and aps(g1_first["devkit"]) == (6 / 11, 0.5)
    assert (g2_first["devkit"].tp, g2_first["devkit"].fp) == (80, 0) and aps(g2_first["devkit"]) == (1.0, 1.0)
    for result in (g1_first["exact"], g2_first["exact"]):
        assert (result.tp, result.fp) == (80, 0) and aps(result) == (1.0, 1.0)


def test_quirk_a_too_small_box_of_another_class_takes_the_score_pass():
    # 80 cars 28 px tall found by Car boxes of their size (scores .89 … .495); the 40 odd ones also
    # carry a 20 px *Pedestrian* box scored .95 (IoU 20/28 = .71 > .7). The devkit marks every box
    # under the minimum height as an ignored detection whatever its class, so for Car it takes the
    # odd cars in the score pass: as in deviation 3, 21 thresholds → R40 = 0.5, R11 = 6/11; the
    # count pass still gives every car to its Car box (80 TP, 0 FP). exact: only Car boxes → 1.0.
    results = both(with_small_boxes(28.0, Detection("Pedestrian", box(20.0, top=104.0), 0.95)))
    assert all((r.tp, r.fp) == (80, 0) for r in results.values())
    assert aps(results["devkit"]) == (6 / 11, 0.5)
    assert aps(results["exact"]) == (1.0, 1.0)


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown KITTI AP method 'voc'"):
        evaluate([], "voc")
    assert [r.method for r in evaluate([], "exact")] == ["exact"] * 9
