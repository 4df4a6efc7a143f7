"""KITTI 2-D AP exactly as the official devkit computes it (`evaluate_object.cpp`, `eval_class`).

Written from the devkit's definition, step by step (see :mod:`.kitti_ap` for the quirks this
reproduces on purpose):

1. **Score pass** (`computeStatistics` without FPs), per image, GTs in file order: each GT that
   is not `OTHER` takes, among the detections not yet taken that overlap it, the one with the
   **highest score** — a too-small detection included. A counted GT taken by a detection of
   normal height is a TP and contributes that detection's score; anything else contributes none.
2. **Thresholds** (`getThresholds`): those scores sorted high to low, n = counted GTs; walking
   them, a score is kept when its recall (i + 1)/n is the nearest to the next sample
   0, 1/40, 2/40, … (at most 41 kept; the last score is always kept).
3. **Count pass** (`computeStatistics` with FPs), per image and kept threshold t, detections
   with score ≥ t only, GTs in file order: each GT takes the detection of normal height with the
   **largest overlap**, or failing one, the first too-small detection that overlaps it. A counted
   GT with a normal one is a TP; a detection left over, of the class and of normal height, is an
   FP unless a DontCare region covers it.
4. precision[i] = TP / (TP + FP) at the i-th threshold (0 past the last), then made
   non-increasing (max over i..40); AP|R40 = mean of precision[1..40], AP|R11 = mean of
   precision[0, 4, …, 40].
"""

from __future__ import annotations

import numpy as np

from tinybench.workloads.metrics.kitti_rules import (
    COUNT, DIFFICULTIES, IOU_THRESHOLD, OTHER, ClassResult, PreparedImage, gt_states, relevant_detections,
)

SAMPLES = 41  # the devkit's N_SAMPLE_PTS
NO_DETECTION = -10000000.0  # the devkit's initial "best score" in the score pass


def thresholds(scores: list[float], counted: int) -> list[float]:
    """The devkit's `getThresholds`: scores kept so that their recalls sit nearest 0, 1/40, 2/40, …"""
    ordered = sorted(scores, reverse=True)
    kept: list[float] = []
    current = 0.0
    last = len(ordered) - 1
    for i, score in enumerate(ordered):
        left = (i + 1) / counted
        right = (i + 2) / counted if i < last else left
        if right - current < current - left and i < last:
            continue
        kept.append(score)
        current += 1.0 / (SAMPLES - 1.0)
    return kept


class _Frame:
    """One image, reduced to what one class and difficulty need."""

    def __init__(self, p: PreparedImage, cls: str, difficulty: str) -> None:
        min_height = DIFFICULTIES[difficulty][0]
        self.threshold = IOU_THRESHOLD[cls]
        self.states = gt_states(p.gts, cls, difficulty)
        small, of_class = relevant_detections(p, cls, min_height)
        # the devkit's ignored_det: 1 = too small (of ANY class), 0 = of the class, -1 = not evaluated
        relevant = np.flatnonzero(small | of_class)
        self.gt_order = [int(k) for k in np.flatnonzero(self.states != OTHER)]
        self.counted = int(np.sum(self.states == COUNT))
        iou = p.iou[np.ix_(relevant, self.gt_order)] if relevant.size and self.gt_order else np.zeros((relevant.size, 0))
        overlapping = (iou > self.threshold).any(axis=1) if iou.size else np.zeros(relevant.size, dtype=bool)
        covered = ((p.dont_care[relevant] > self.threshold).any(axis=1) if p.dont_care.shape[1]
                   else np.zeros(relevant.size, dtype=bool))
        is_small = small[relevant]
        scores = p.det_score[relevant]
        # Detections that overlap no evaluated GT are never taken: each normal-height one is an FP
        # at every threshold up to its score, unless a DontCare region covers it.
        free = ~overlapping & ~is_small & ~covered
        self.free_scores = np.sort(scores[free])
        keep = np.flatnonzero(overlapping)
        self.scores = [float(s) for s in scores[keep]]
        self.small = [bool(s) for s in is_small[keep]]
        self.covered = [bool(c) for c in covered[keep]]
        self.iou = [[float(v) for v in iou[j]] for j in keep]  # per detection: overlap per evaluated GT
        self.gt_state = [int(self.states[k]) for k in self.gt_order]

    def score_pass(self) -> list[float]:
        """Scores of the TPs when each GT takes its highest-scored overlapping detection."""
        taken = [False] * len(self.scores)
        found = []
        for g, state in enumerate(self.gt_state):
            best, best_score = -1, NO_DETECTION
            for j, score in enumerate(self.scores):
                if not taken[j] and self.iou[j][g] > self.threshold and score > best_score:
                    best, best_score = j, score
            if best < 0:
                continue
            taken[best] = True
            if state == COUNT and not self.small[best]:
                found.append(self.scores[best])
        return found

    def count_pass(self, threshold: float) -> tuple[int, int]:
        """(TP, FP) among the overlapping detections scored ≥ threshold, each GT taking its largest overlap."""
        taken = [False] * len(self.scores)
        active = [score >= threshold for score in self.scores]
        tp = 0
        for g, state in enumerate(self.gt_state):
            best, best_overlap, best_is_small = -1, 0.0, False
            for j in range(len(self.scores)):
                if taken[j] or not active[j]:
                    continue
                overlap = self.iou[j][g]
                if overlap <= self.threshold:
                    continue
                if not self.small[j] and (overlap > best_overlap or best_is_small):
                    best, best_overlap, best_is_small = j, overlap, False
                elif self.small[j] and best < 0:
                    best, best_is_small = j, True
            if best < 0:
                continue
            taken[best] = True
            if state == COUNT and not best_is_small:
                tp += 1
        fp = sum(1 for j in range(len(self.scores))
                 if active[j] and not taken[j] and not self.small[j] and not self.covered[j])
        return tp, fp

    def counts(self, levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(TP, FP) at every threshold in `levels`, running the count pass once per distinct set."""
        free_fp = len(self.free_scores) - np.searchsorted(self.free_scores, levels, side="left")
        if not self.scores:
            return np.zeros(levels.size, dtype=np.int64), free_fp.astype(np.int64)
        ordered = np.sort(np.asarray(self.scores, dtype=np.float64))
        included = len(ordered) - np.searchsorted(ordered, levels, side="left")
        tp, fp = np.zeros(levels.size, dtype=np.int64), free_fp.astype(np.int64)
        for count in np.unique(included):
            if count:
                at = np.flatnonzero(included == count)
                tp[at], entangled_fp = self.count_pass(float(levels[at[0]]))
                fp[at] += entangled_fp
        return tp, fp


def evaluate_devkit(prepared: list[PreparedImage], cls: str, difficulty: str) -> ClassResult:
    frames = [_Frame(p, cls, difficulty) for p in prepared]
    counted = sum(f.counted for f in frames)
    scores = [s for f in frames for s in f.score_pass()]
    kept = thresholds(scores, counted) if counted else []
    kept = kept[:SAMPLES]  # cannot exceed 41 (the devkit would write past its array)
    levels = np.asarray(kept + [-np.inf], dtype=np.float64)  # the last level: every detection
    tp, fp = np.zeros(levels.size, dtype=np.int64), np.zeros(levels.size, dtype=np.int64)
    for frame in frames:
        image_tp, image_fp = frame.counts(levels)
        tp += image_tp
        fp += image_fp
    precision = np.zeros(SAMPLES)
    for i in range(len(kept)):
        # 0/0 cannot arise from a kept threshold in practice; the devkit would print nan, we count 0
        precision[i] = tp[i] / (tp[i] + fp[i]) if tp[i] + fp[i] else 0.0
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    ap_r40 = float(sum(precision[i] for i in range(1, SAMPLES)) / 40)
    ap_r11 = float(sum(precision[i] for i in range(0, SAMPLES, 4)) / 11)
    return ClassResult(cls, difficulty, counted, int(tp[-1]), int(fp[-1]), ap_r11, ap_r40, "devkit")
