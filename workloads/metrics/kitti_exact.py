"""KITTI 2-D AP over the exact precision/recall curve (`method="exact"`).

The devkit's ignore rules (:mod:`.kitti_rules`), with one-to-one matching by score and the
textbook interpolation, for users who want the curve itself rather than the published number:

- per image, detections of the class and of normal height, highest score first (ties in the
  order given), each take the not-yet-taken **counted** GT they overlap most; failing one, the
  not-yet-taken **ignored** GT they overlap most (then the detection is neither TP nor FP);
  failing that, they are ignored inside a DontCare region and FPs elsewhere. Greedy by score
  means a detection's fate depends only on higher-scored ones, so this one matching gives the
  counts at every score threshold;
- too-small detections are never TPs or FPs and never take a GT from one of normal height; a
  counted GT that only a too-small detection found stays in the denominator (the devkit's rule),
  so here they simply drop out;
- the curve has one point per distinct score (tied scores enter together, in every image at
  once, so the order of images cannot matter); recall = TP / counted GTs;
- interpolated precision p(r) = the largest precision at recall ≥ r (0 if recall never reaches
  r); AP|R40 = mean of p(k/40), k = 1…40; AP|R11 = mean of p(k/10), k = 0…10. Recall ≥ r is
  decided in integers (TP·40 ≥ k·n), so no sample is lost to rounding.
"""

from __future__ import annotations

import numpy as np

from tinybench.workloads.metrics.kitti_rules import (
    COUNT, DIFFICULTIES, IGNORE, IOU_THRESHOLD, ClassResult, PreparedImage, gt_states, relevant_detections,
)


def _outcomes(p: PreparedImage, cls: str, difficulty: str) -> tuple[int, list[tuple[float, int]]]:
    """(counted GTs, [(score, 1 = TP / 0 = FP)]) for one image; ignored detections are left out."""
    threshold = IOU_THRESHOLD[cls]
    states = gt_states(p.gts, cls, difficulty)
    small, of_class = relevant_detections(p, cls, DIFFICULTIES[difficulty][0])
    candidates = np.flatnonzero(of_class & ~small)
    order = candidates[np.argsort(-p.det_score[candidates], kind="stable")]
    taken = np.zeros(len(p.gts), dtype=bool)
    outcomes = []
    for j in order:
        overlap = p.iou[j] if len(p.gts) else np.zeros(0)
        free = (overlap > threshold) & ~taken
        matched = False
        for state in (COUNT, IGNORE):
            pool = np.flatnonzero(free & (states == state))
            if pool.size:
                best = int(pool[np.argmax(overlap[pool])])
                taken[best] = matched = True
                if state == COUNT:
                    outcomes.append((float(p.det_score[j]), 1))
                break
        if matched or (p.dont_care.shape[1] and (p.dont_care[j] > threshold).any()):
            continue
        outcomes.append((float(p.det_score[j]), 0))
    return int(np.sum(states == COUNT)), outcomes


def interpolated_ap(tp: np.ndarray, fp: np.ndarray, counted: int, steps: int, start: int) -> float:
    """Mean over r = k/steps, k = start…steps, of the largest precision at recall ≥ r."""
    if counted <= 0 or tp.size == 0:
        return 0.0
    precision = tp / np.maximum(tp + fp, 1)
    envelope = np.maximum.accumulate(precision[::-1])[::-1]  # best precision from each point on
    values = []
    for k in range(start, steps + 1):
        reached = np.flatnonzero(tp * steps >= k * counted)
        values.append(envelope[reached[0]] if reached.size else 0.0)
    return float(np.mean(values))


def evaluate_exact(prepared: list[PreparedImage], cls: str, difficulty: str) -> ClassResult:
    counted, outcomes = 0, []
    for p in prepared:
        image_counted, image_outcomes = _outcomes(p, cls, difficulty)
        counted += image_counted
        outcomes += image_outcomes
    if not outcomes:
        return ClassResult(cls, difficulty, counted, 0, 0, 0.0, 0.0, "exact")
    scores = np.asarray([s for s, _ in outcomes])
    hits = np.asarray([h for _, h in outcomes], dtype=np.int64)
    order = np.argsort(-scores, kind="stable")
    scores, hits = scores[order], hits[order]
    # one curve point per distinct score: the last detection of each group of tied scores
    ends = np.flatnonzero(np.append(scores[1:] != scores[:-1], True))
    tp = np.cumsum(hits)[ends]
    fp = np.cumsum(1 - hits)[ends]
    return ClassResult(cls, difficulty, counted, int(tp[-1]), int(fp[-1]),
                       interpolated_ap(tp, fp, counted, 10, 0), interpolated_ap(tp, fp, counted, 40, 1), "exact")
