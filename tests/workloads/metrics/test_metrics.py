"""Top-1 report by hand; AUC against scikit-learn."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinybench.workloads.metrics.auc import average_ranks, roc_auc
from tinybench.workloads.metrics.classification import classification_report


def test_classification_report_by_hand():
    labels = [0, 0, 1, 1, 2, 2]
    predictions = [0, 1, 1, 1, 2, None]  # one unreadable sample of class 2
    r = classification_report(labels, predictions, 3)
    assert (r.n, r.correct, r.unreadable) == (6, 4, 1)
    assert r.top1 == pytest.approx(4 / 6)  # the unreadable one counts as wrong
    assert r.confusion.tolist() == [[1, 1, 0], [0, 2, 0], [0, 0, 1]]
    assert r.per_class_accuracy() == [0.5, 1.0, 0.5]


def test_average_ranks_share_ties():
    assert average_ranks(np.array([10.0, 20.0, 20.0, 5.0])).tolist() == [2.0, 3.5, 3.5, 1.0]


def test_auc_by_hand():
    # positives 0.8, 0.4; negatives 0.5, 0.1 → pairs (0.8>0.5, 0.8>0.1, 0.4<0.5, 0.4>0.1) → 3/4
    assert roc_auc(np.array([1, 1, 0, 0]), np.array([0.8, 0.4, 0.5, 0.1])) == pytest.approx(0.75)
    assert roc_auc(np.array([1, 0]), np.array([0.3, 0.3])) == pytest.approx(0.5)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 6)), min_size=2, max_size=60))
def test_auc_equals_scikit_learn_including_ties(pairs):
    from sklearn.metrics import roc_auc_score

    labels = np.array([p[0] for p in pairs])
    if labels.min() == labels.max():
        with pytest.raises(ValueError):
            roc_auc(labels, np.zeros(len(labels)))
        return
    scores = np.array([p[1] for p in pairs], dtype=float) / 3.0  # few distinct values → many ties
    assert roc_auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)


@pytest.mark.parametrize(("labels", "scores"), [([0, 2], [0.1, 0.2]), ([0, 1], [0.1, float("nan")]), ([0, 1], [0.1])])
def test_auc_rejects_bad_input(labels, scores):
    with pytest.raises(ValueError):
        roc_auc(np.array(labels), np.array(scores))
