"""Area under the ROC curve by the rank-sum (Mann–Whitney U) identity.

AUC = P(score of a random positive > score of a random negative) + ½·P(equal), which is
(R₊ − n₊(n₊+1)/2) / (n₊·n₋) with R₊ the sum of the positives' ranks, ties getting the
average of their ranks. Equal to the trapezoidal area under the ROC curve.
"""

from __future__ import annotations

import numpy as np


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing the mean of the ranks they span."""
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    ranks = np.empty(values.size, dtype=np.float64)
    start = 0
    while start < values.size:
        end = start
        while end + 1 < values.size and sorted_values[end + 1] == sorted_values[start]:
            end += 1
        ranks[order[start:end + 1]] = (start + end) / 2.0 + 1.0
        start = end + 1
    return ranks


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """AUC of `scores` for binary `labels` (1 = positive, e.g. anomaly)."""
    labels = np.asarray(labels)
    scores = np.asarray(scores, dtype=np.float64)
    if labels.shape != scores.shape:
        raise ValueError("labels and scores differ in shape")
    if not np.all(np.isin(labels, (0, 1))):
        raise ValueError("labels must be 0 or 1")
    if not np.all(np.isfinite(scores)):
        raise ValueError("scores must be finite")
    positives = int(labels.sum())
    negatives = labels.size - positives
    if positives == 0 or negatives == 0:
        raise ValueError("AUC needs at least one positive and one negative sample")
    rank_sum = average_ranks(scores)[labels == 1].sum()
    return float((rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives))
