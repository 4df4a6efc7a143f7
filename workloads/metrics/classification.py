"""Top-1 accuracy, per-class accuracy and the confusion matrix."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ClassificationReport:
    """`confusion[i][j]` counts samples of true class i predicted as j.

    Samples that could not be read count in `n` and as wrong (`unreadable`), never
    dropped from the denominator.
    """

    n: int
    correct: int
    unreadable: int
    confusion: np.ndarray  # (classes, classes) int64, readable samples only
    per_class_total: np.ndarray  # samples per true class, including unreadable ones

    @property
    def top1(self) -> float:
        return self.correct / self.n if self.n else float("nan")

    def per_class_accuracy(self) -> list[float | None]:
        hits = np.diag(self.confusion)
        return [None if total == 0 else float(h / total) for h, total in zip(hits, self.per_class_total)]


def classification_report(labels: list[int], predictions: list[int | None], classes: int) -> ClassificationReport:
    """`predictions[i]` is None for a sample that could not be read."""
    if len(labels) != len(predictions):
        raise ValueError("labels and predictions differ in length")
    confusion = np.zeros((classes, classes), dtype=np.int64)
    totals = np.zeros(classes, dtype=np.int64)
    unreadable = 0
    for label, predicted in zip(labels, predictions):
        if not 0 <= label < classes:
            raise ValueError(f"label {label} outside 0..{classes - 1}")
        totals[label] += 1
        if predicted is None:
            unreadable += 1
        else:
            confusion[label, predicted] += 1
    return ClassificationReport(len(labels), int(np.trace(confusion)), unreadable, confusion, totals)
