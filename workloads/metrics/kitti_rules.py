"""KITTI 2-D detection: the records and the ignore rules shared by both AP methods.

The rules are the official object devkit's (`evaluate_object.cpp`, the 3-D devkit of 2017 and
later, which the server and `kitti-object-eval-python` follow), per class and difficulty:

- a ground truth (GT) is *counted* when its type is the class and it is not too hard: height
  (y2 − y1, original pixels) **greater than** the minimum (40 / 25 / 25 px: a box exactly 25 px
  tall is ignored), occlusion ≤ 0 / 1 / 2, truncation ≤ 0.15 / 0.30 / 0.50;
- it is *ignored* when it is of the class but too hard, or of the neighbouring class (Van for
  Car, Person_sitting for Pedestrian): a detection matched to it is neither a TP nor an FP;
- any other GT is not evaluated (`OTHER`);
- a detection is *too small* when |y2 − y1| < the minimum height (so a 25.0 px detection is
  kept at moderate while a 25.0 px GT is ignored): it is never a TP or an FP;
- overlaps: IoU = inter / (area_det + area_gt − inter), strictly greater than 0.7 (Car) or 0.5
  (Pedestrian, Cyclist); a DontCare region covers a detection when inter / area_det is strictly
  greater than the same threshold. Both are computed in that floating-point order, so values at
  a threshold compare exactly as in the devkit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CLASSES = ("Car", "Pedestrian", "Cyclist")
NEIGHBOURS = {"Car": "Van", "Pedestrian": "Person_sitting"}
IOU_THRESHOLD = {"Car": 0.7, "Pedestrian": 0.5, "Cyclist": 0.5}
# difficulty: (minimum height in px, maximum occlusion level, maximum truncation)
DIFFICULTIES = {"easy": (40.0, 0, 0.15), "moderate": (25.0, 1, 0.30), "hard": (25.0, 2, 0.50)}

COUNT, IGNORE, OTHER = 0, 1, -1  # GT states (the devkit's ignored_gt values)


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


# One image: (ground truths, detections, DontCare boxes).
Image = tuple[list[GroundTruth], list[Detection], list[tuple]]


def _boxes(items: list) -> np.ndarray:
    return np.asarray([item for item in items], dtype=np.float64).reshape(-1, 4)


def overlaps(dets: np.ndarray, gts: np.ndarray) -> np.ndarray:
    """IoU of every detection (rows) with every GT (columns), in the devkit's arithmetic."""
    iw = np.minimum(dets[:, None, 2], gts[None, :, 2]) - np.maximum(dets[:, None, 0], gts[None, :, 0])
    ih = np.minimum(dets[:, None, 3], gts[None, :, 3]) - np.maximum(dets[:, None, 1], gts[None, :, 1])
    inter = iw * ih
    det_area = (dets[:, 2] - dets[:, 0]) * (dets[:, 3] - dets[:, 1])
    gt_area = (gts[:, 2] - gts[:, 0]) * (gts[:, 3] - gts[:, 1])
    union = (det_area[:, None] + gt_area[None, :]) - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = inter / union
    return np.where((iw > 0) & (ih > 0), iou, 0.0)


def coverage(dets: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """Intersection over the detection's own area, per detection (rows) and region (columns)."""
    iw = np.minimum(dets[:, None, 2], regions[None, :, 2]) - np.maximum(dets[:, None, 0], regions[None, :, 0])
    ih = np.minimum(dets[:, None, 3], regions[None, :, 3]) - np.maximum(dets[:, None, 1], regions[None, :, 1])
    det_area = (dets[:, 2] - dets[:, 0]) * (dets[:, 3] - dets[:, 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        share = (iw * ih) / det_area[:, None]
    return np.where((iw > 0) & (ih > 0), share, 0.0)


def iou(a: tuple, b: tuple) -> float:
    """IoU of two boxes (x1, y1, x2, y2); `a` plays the detection."""
    return float(overlaps(_boxes([a]), _boxes([b]))[0, 0])


def covered(det: tuple, region: tuple) -> float:
    """Intersection over the detection's own area (the devkit's DontCare criterion)."""
    return float(coverage(_boxes([det]), _boxes([region]))[0, 0])


@dataclass
class PreparedImage:
    """One image's boxes and overlaps, computed once for every class and difficulty."""

    gts: list[GroundTruth]
    dets: list[Detection]
    iou: np.ndarray  # detections × GTs
    det_height: np.ndarray  # |y2 − y1| per detection, px
    det_score: np.ndarray
    det_cls: np.ndarray  # class name per detection (object array)
    dont_care: np.ndarray  # per detection × region: inter / area_det


def prepare(image: Image) -> PreparedImage:
    gts, dets, dont_care = image
    det_boxes, gt_boxes, regions = _boxes([d.box for d in dets]), _boxes([g.box for g in gts]), _boxes(list(dont_care))
    return PreparedImage(
        gts=list(gts), dets=list(dets), iou=overlaps(det_boxes, gt_boxes),
        det_height=np.abs(det_boxes[:, 3] - det_boxes[:, 1]),
        det_score=np.asarray([d.score for d in dets], dtype=np.float64),
        det_cls=np.asarray([d.cls for d in dets], dtype=object),
        dont_care=coverage(det_boxes, regions))


def gt_states(gts: list[GroundTruth], cls: str, difficulty: str) -> np.ndarray:
    """COUNT, IGNORE or OTHER per GT (the devkit's `cleanData`)."""
    min_height, max_occlusion, max_truncation = DIFFICULTIES[difficulty]
    states = np.full(len(gts), OTHER, dtype=np.int64)
    for k, gt in enumerate(gts):
        too_hard = (gt.occlusion > max_occlusion or gt.truncation > max_truncation
                    or gt.box[3] - gt.box[1] <= min_height)
        if gt.cls == cls:
            states[k] = IGNORE if too_hard else COUNT
        elif gt.cls == NEIGHBOURS.get(cls):
            states[k] = IGNORE
    return states


@dataclass(frozen=True)
class ClassResult:
    """AP of one class at one difficulty; `ap_r11`, `ap_r40` are fractions (0–1)."""

    cls: str
    difficulty: str
    ground_truths: int  # counted GTs (the recall denominator)
    tp: int  # with every detection included (lowest threshold)
    fp: int
    ap_r11: float
    ap_r40: float
    method: str = "devkit"


def relevant_detections(p: PreparedImage, cls: str, min_height: float) -> tuple[np.ndarray, np.ndarray]:
    """(too small, of the class) masks per detection."""
    return p.det_height < min_height, p.det_cls == cls
