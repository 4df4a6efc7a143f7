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
    COUNT, DIFFICULTIES, IGNORE, IOU_THRESHOLD, OTHER, ClassResult, PreparedImage, gt_states, relevant_detections,
)


def _outcomes(p: PreparedImage, cls: str, difficulty: str) -> tuple[int, np.ndarray, np.ndarray]:
    """(counted GTs, scores, 1 = TP / 0 = FP) for one image; ignored detections are left out."""
    threshold = IOU_THRESHOLD[cls]
    states = gt_states(p.gts, cls, difficulty)
    small, of_class = relevant_detections(p, cls, DIFFICULTIES[difficulty][0])
    candidates = np.flatnonzero(of_class & ~small)
    scores = p.det_score[candidates]
    evaluated = np.flatnonzero(states != OTHER)
    iou = p.iou[np.ix_(candidates, evaluated)] if evaluated.size else np.zeros((candidates.size, 0))
    overlapping = (iou > threshold).any(axis=1)
    covered = (p.dont_care[candidates] > threshold).any(axis=1) if p.dont_care.shape[1] else np.zeros_like(overlapping)
    # a detection that overlaps no evaluated GT is an FP unless DontCare covers it
    hits = np.zeros(candidates.size, dtype=np.int64)
    keep = ~overlapping & ~covered
    # the others, highest score first (ties in the order given), take the GT they overlap most
    state = [int(states[k]) for k in evaluated]
    taken = [False] * len(state)
    for j in np.flatnonzero(overlapping)[np.argsort(-scores[overlapping], kind="stable")]:
        row = iou[j]
        best = {}
        for g, overlap in enumerate(row):
            if overlap > threshold and not taken[g] and overlap > best.get(state[g], (-1, 0.0))[1]:
                best[state[g]] = (g, overlap)
        choice = best.get(COUNT) or best.get(IGNORE)
        if choice is not None:
            taken[choice[0]] = True
            hits[j], keep[j] = (1, True) if state[choice[0]] == COUNT else (0, False)
        else:
            keep[j] = not covered[j]
    return int(np.sum(states == COUNT)), scores[keep], hits[keep]


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
    counted, all_scores, all_hits = 0, [], []
    for p in prepared:
        image_counted, scores, hits = _outcomes(p, cls, difficulty)
        counted += image_counted
        all_scores.append(scores)
        all_hits.append(hits)
    scores = np.concatenate(all_scores) if all_scores else np.zeros(0)
    hits = np.concatenate(all_hits) if all_hits else np.zeros(0, dtype=np.int64)
    if not scores.size:
        return ClassResult(cls, difficulty, counted, 0, 0, 0.0, 0.0, "exact")
    order = np.argsort(-scores, kind="stable")
    scores, hits = scores[order], hits[order]
    # one curve point per distinct score: the last detection of each group of tied scores
    ends = np.flatnonzero(np.append(scores[1:] != scores[:-1], True))
    tp = np.cumsum(hits)[ends]
    fp = np.cumsum(1 - hits)[ends]
    return ClassResult(cls, difficulty, counted, int(tp[-1]), int(fp[-1]),
                       interpolated_ap(tp, fp, counted, 10, 0), interpolated_ap(tp, fp, counted, 40, 1), "exact")
