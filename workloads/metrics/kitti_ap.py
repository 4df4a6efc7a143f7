"""KITTI 2-D object detection AP (Car, Pedestrian, Cyclist × Easy, Moderate, Hard), two ways.

``method="devkit"`` (the default; det01's headline) reproduces the official object devkit
(`evaluate_object.cpp`, 3-D devkit of 2017 and later, which the KITTI server runs) and its
Python port `kitti-object-eval-python` (vendored in OpenPCDet, mmdetection3d, second.pytorch),
quirks included, so the numbers equal what published tables' tooling prints
(:mod:`.kitti_devkit`; `scripts/compare_kitti_ap.py` checks it against the port).
``method="exact"`` keeps the same ignore rules but matches one-to-one by score and interpolates
the full precision/recall curve (:mod:`.kitti_exact`), for users who want the curve itself.

Shared rules (:mod:`.kitti_rules`): a GT counts when of the class with height > 40 / 25 / 25 px
(a box exactly at the minimum is ignored), occlusion ≤ 0 / 1 / 2 and truncation ≤ 0.15 / 0.30 /
0.50; of the class but harder, or Van (for Car) / Person_sitting (for Pedestrian), it is
ignored (a detection on it is neither TP nor FP); detections with |y2 − y1| < the minimum height
are never TP or FP; a left-over detection covered by a DontCare region (inter / own area > the
IoU threshold) is not an FP; IoU > 0.7 (Car), > 0.5 (Pedestrian, Cyclist). Every counted GT is
in the recall denominator, also one that only a too-small detection found.

The devkit's quirks (reproduced by ``devkit``, absent from ``exact``):

1. **Recall is sampled at scores, not at recalls.** The devkit keeps at most 41 score
   thresholds, each the score of a TP, chosen so that its recall is the *nearest* to 0, 1/40,
   2/40, … and reads precision at each; AP|R40 averages samples 1–40 and AP|R11 samples 0, 4, …,
   40 of that list. With fewer than 40 counted GTs each TP is one sample, so recall is
   overstated: 2 GTs and 2 perfect detections score AP|R40 = 1/40 = 2.5 % and AP|R11 = 1/11 (the
   exact curve: 100 %). With many GTs a sample may sit just below its recall step, which the
   exact curve would not reach (or just above).
2. **Two matching passes.** Thresholds come from a pass in which each GT (in file order) takes
   the highest-*scored* overlapping detection; the counts at each threshold come from a pass in
   which each GT takes the detection of *largest overlap*. So a GT's order in the label file and
   a duplicate's overlap can move TPs between detections, and a GT taken in the first pass by a
   higher-scored too-small detection gives no threshold though it is a TP in the second.
3. **A too-small detection of any class is an ignored detection** for every class: a 20 px
   Pedestrian box on a Car GT (moderate) makes that Car neither TP nor miss in the count pass
   (it still counts in the denominator).
4. A threshold at which no detection counts gives 0/0 precision: the devkit prints nan; here
   that sample is 0 (we have not seen it happen). The C++ devkit skips a class with no
   detection at all; the port and tinybench report 0 for it.
5. The devkit's precision is read at its score thresholds, so AP|R11 and AP|R40 of the same run
   are not the same curve sampled twice (R11 uses every fourth of the 41 samples).

Where ``exact`` differs, and why: one matching (greedy by score, a detection takes the counted
GT it overlaps most, an ignored one only failing that) makes every threshold consistent and the
order of GTs and images irrelevant; too-small detections play no part; interpolation uses every
distinct score, so recall is exact (R40 at r = k/40 is the best precision at TP·40 ≥ k·n).
On the comparison script's scenarios the two differ by about 1.5 AP points on cells with
hundreds of GTs, by up to 7 in crowded scenes (quirk 2) and by up to 100 on small cells
(quirk 1).

History: the 2-D devkit before 2017 ignored GTs *below* the minimum height (``<``); the 3-D
devkit and the Python port ignore them *at or below* it (``<=``), which is what is used here.
"""

from __future__ import annotations

from tinybench.workloads.metrics.kitti_devkit import evaluate_devkit
from tinybench.workloads.metrics.kitti_exact import evaluate_exact
from tinybench.workloads.metrics.kitti_rules import (
    CLASSES, DIFFICULTIES, IOU_THRESHOLD, NEIGHBOURS, ClassResult, Detection, GroundTruth, Image, covered, iou, prepare,
)

METHODS = ("devkit", "exact")
DEFAULT_METHOD = "devkit"

__all__ = ["CLASSES", "DIFFICULTIES", "IOU_THRESHOLD", "METHODS", "NEIGHBOURS", "ClassResult", "Detection",
           "GroundTruth", "covered", "evaluate", "evaluate_class", "iou"]


def _check(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"unknown KITTI AP method '{method}' (choose {' or '.join(METHODS)})")


def evaluate_class(images: list[Image], cls: str, difficulty: str, method: str = DEFAULT_METHOD) -> ClassResult:
    """AP of one class at one difficulty; `images`: (ground truths, detections, DontCare boxes) each."""
    _check(method)
    prepared = [prepare(image) for image in images]
    run = evaluate_devkit if method == "devkit" else evaluate_exact
    return run(prepared, cls, difficulty)


def evaluate(images: list[Image], method: str = DEFAULT_METHOD) -> list[ClassResult]:
    """Every class × difficulty (Car, Pedestrian, Cyclist × easy, moderate, hard)."""
    _check(method)
    prepared = [prepare(image) for image in images]
    run = evaluate_devkit if method == "devkit" else evaluate_exact
    return [run(prepared, cls, difficulty) for cls in CLASSES for difficulty in DIFFICULTIES]
