"""KITTI 2-D object detection AP (Car, Pedestrian, Cyclist × Easy, Moderate, Hard).

From the published definition (KITTI object devkit, `eval.cpp`; Simonelli et al. 2019 for R40):

- difficulty: Easy = box height ≥ 40 px, occlusion ≤ 0, truncation ≤ 0.15; Moderate = ≥ 25 px,
  ≤ 1, ≤ 0.30; Hard = ≥ 25 px, ≤ 2, ≤ 0.50 (heights in original image pixels);
- a ground truth of the class that meets the difficulty counts (recall denominator); one of the
  class that does not, or of the neighbouring class (Van for Car, Person_sitting for Pedestrian), is
  *ignored*: a detection matched to it is neither a TP nor an FP;
- detections lower than the difficulty's minimum height are ignored;
- a detection is a TP when IoU > 0.7 (Car) or > 0.5 (Pedestrian, Cyclist) with a counted ground truth;
  each ground truth matches at most one detection (the highest-scoring one that overlaps it; later
  ones are FPs — duplicates);
- an unmatched detection inside a DontCare region (intersection ÷ detection area > the threshold) is
  ignored, otherwise it is an FP;
- precision/recall over the detections ranked by score; interpolated precision p(r) = max precision
  at recall ≥ r; AP|R11 = mean of p(r) at r = 0, 0.1, …, 1; AP|R40 = mean at r = 1/40, …, 1.

Matching is greedy by score over all images (as PASCAL VOC); the devkit reaches the same curve by
re-matching at sampled score thresholds, and the two agree on the hand-built cases in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CLASSES = ("Car", "Pedestrian", "Cyclist")
NEIGHBOURS = {"Car": "Van", "Pedestrian": "Person_sitting"}
IOU_THRESHOLD = {"Car": 0.7, "Pedestrian": 0.5, "Cyclist": 0.5}
DIFFICULTIES = {"easy": (40.0, 0, 0.15), "moderate": (25.0, 1, 0.30), "hard": (25.0, 2, 0.50)}


@dataclass(frozen=True)
class GroundTruth:
    cls: str
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in original image pixels
    truncation: float = 0.0
    occlusion: int = 0


@dataclass(frozen=True)
class Detection:
    cls: str
    box: tuple[float, float, float, float]
    score: float


def iou(a: tuple, b: tuple) -> float:
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def covered(det: tuple, region: tuple) -> float:
    """Intersection over the detection's own area (the devkit's DontCare criterion)."""
    iw = min(det[2], region[2]) - max(det[0], region[0])
    ih = min(det[3], region[3]) - max(det[1], region[1])
    area = (det[2] - det[0]) * (det[3] - det[1])
    return iw * ih / area if iw > 0 and ih > 0 and area > 0 else 0.0


def interpolated_ap(recall: np.ndarray, precision: np.ndarray, points: np.ndarray) -> float:
    if recall.size == 0:
        return 0.0
    envelope = np.maximum.accumulate(precision[::-1])[::-1]  # max precision at recall ≥ r
    values = []
    for r in points:
        reached = np.flatnonzero(recall >= r - 1e-12)
        values.append(envelope[reached[0]] if reached.size else 0.0)
    return float(np.mean(values))


R11 = np.linspace(0.0, 1.0, 11)
R40 = np.linspace(1.0 / 40, 1.0, 40)


@dataclass(frozen=True)
class ClassResult:
    cls: str
    difficulty: str
    ground_truths: int
    tp: int
    fp: int
    ap_r11: float
    ap_r40: float


def evaluate_class(images: list[tuple[list[GroundTruth], list[Detection], list[tuple]]], cls: str,
                   difficulty: str) -> ClassResult:
    """`images`: (ground truths, detections, DontCare boxes) per image."""
    min_height, max_occlusion, max_truncation = DIFFICULTIES[difficulty]
    threshold = IOU_THRESHOLD[cls]
    ranked: list[tuple[float, int, int]] = []  # (−score, image, detection index)
    counted = 0
    states = []
    for image, (gts, dets, _) in enumerate(images):
        gt_state = []
        for gt in gts:
            height = gt.box[3] - gt.box[1]
            hard_enough = height >= min_height and gt.occlusion <= max_occlusion and gt.truncation <= max_truncation
            if gt.cls == cls and hard_enough:
                gt_state.append("count")
                counted += 1
            elif gt.cls == cls or gt.cls == NEIGHBOURS.get(cls):
                gt_state.append("ignore")
            else:
                gt_state.append("other")
        states.append(gt_state)
        for j, det in enumerate(dets):
            if det.cls == cls:
                ranked.append((-det.score, image, j))
    ranked.sort()
    matched = [[False] * len(images[i][0]) for i in range(len(images))]
    outcomes = []  # 1 = TP, 0 = FP (ignored detections are left out)
    excused = 0  # counted ground truths matched only by a too-small detection: neither TP nor FN (devkit)
    for _, image, j in ranked:
        gts, dets, dont_care = images[image]
        det = dets[j]
        best, best_iou = None, threshold
        for k, gt in enumerate(gts):
            if states[image][k] == "other" or matched[image][k]:
                continue
            overlap = iou(det.box, gt.box)
            if overlap > best_iou or (best is not None and overlap == best_iou and states[image][k] == "count"):
                best, best_iou = k, overlap
        if best is not None:
            matched[image][best] = True
            if states[image][best] == "count":
                if det.box[3] - det.box[1] >= min_height:
                    outcomes.append(1)
                else:
                    excused += 1
            continue  # matched to an ignored ground truth, or too small: neither TP nor FP
        if det.box[3] - det.box[1] < min_height:
            continue
        if any(covered(det.box, region) > threshold for region in dont_care):
            continue
        outcomes.append(0)
    hits = np.asarray(outcomes, dtype=np.float64)
    tp = np.cumsum(hits)
    fp = np.cumsum(1 - hits)
    counted -= excused
    if counted <= 0:
        return ClassResult(cls, difficulty, 0, 0, int(fp[-1]) if fp.size else 0, 0.0, 0.0)
    recall = tp / counted
    precision = tp / np.maximum(tp + fp, 1)
    return ClassResult(cls, difficulty, counted, int(tp[-1]) if tp.size else 0, int(fp[-1]) if fp.size else 0,
                       interpolated_ap(recall, precision, R11), interpolated_ap(recall, precision, R40))


def evaluate(images: list[tuple[list[GroundTruth], list[Detection], list[tuple]]]) -> list[ClassResult]:
    return [evaluate_class(images, cls, difficulty) for cls in CLASSES for difficulty in DIFFICULTIES]
