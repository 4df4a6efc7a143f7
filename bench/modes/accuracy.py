"""Accuracy mode: every sample of a labelled dataset through the target, one at a time.

Each input is one `infer(tensor, iterations=1, warmup=0)` call (MLPerf Tiny's
`infer 1 0`). Pre- and post-processing are untimed and done here, on the host.

- top-1 workloads: prediction = argmax of the output; top-1 over *all* samples, with
  unreadable samples counted as wrong (never dropped); per-class accuracy; confusion matrix.
- ad01: each file's score is the mean reconstruction MSE over its windows (as the
  reference); AUC over files (unreadable files cannot be scored: they are listed and the
  result is not valid).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from tinybench.errors import TinybenchError
from tinybench.modes.outcome import ModeOutcome, Quantity
from tinybench.progress import Progress
from tinybench.rules import RuleCheck
from tinybench.targets.contract import Target
from tinybench.workloads.datasets.base import Sample
from tinybench.workloads.metrics.auc import roc_auc
from tinybench.workloads.metrics.classification import classification_report
from tinybench.workloads.model_artifact import ModelArtifact
from tinybench.workloads.scoring import class_scores, reconstruction_mse
from tinybench.workloads.spec import Workload

MAX_LISTED_UNREADABLE = 50


def run_accuracy(target: Target, workload: Workload, model: ModelArtifact, samples: Iterable[Sample],
                 total: int | None, progress: Progress) -> ModeOutcome:
    task = progress.task(f"accuracy {workload.id}", total=total)
    rows: list[dict] = []
    unreadable: list[str] = []
    try:
        for sample in samples:
            rows.append(_score_sample(target, workload, model, sample, unreadable))
            task.advance()
    except TinybenchError as exc:  # keep what was scored; the mode is failed, not lost
        task.finish()
        table = pd.DataFrame(rows)
        name = "accuracy_scores.csv" if workload.metric == "auc" else "accuracy_predictions.csv"
        return ModeOutcome(mode="accuracy", status="failed",
                           reason=f"sample {len(rows) + 1} failed: {exc.one_line()} ({len(rows)} samples kept)",
                           details={"samples_completed": len(rows)}, tables={name: table} if rows else {})
    task.finish()
    if not rows:
        return ModeOutcome(mode="accuracy", status="failed", reason="the dataset yielded no samples")
    if len(unreadable) == len(rows):
        return ModeOutcome(mode="accuracy", status="failed",
                           reason=f"none of the {len(rows)} samples could be read; first: {unreadable[0]}")
    table = pd.DataFrame(rows)
    if workload.metric == "auc":
        return _auc_outcome(workload, table, unreadable)
    return _top1_outcome(workload, table, unreadable)


def _score_sample(target: Target, workload: Workload, model: ModelArtifact, sample: Sample,
                  unreadable: list[str]) -> dict:
    if sample.error is not None or sample.raw is None:
        unreadable.append(sample.error or f"{sample.sample_id}: unreadable")
        return {"sample_id": sample.sample_id, "label": sample.label, "readable": False}
    if workload.metric == "auc":
        return {"sample_id": sample.sample_id, "label": sample.label, "readable": True,
                "score": _anomaly_score(target, workload, model, sample.raw), "windows": int(sample.raw.shape[0])}
    tensor = workload.to_model_input(sample.raw, model.input)
    report = target.infer(tensor, 1, 0, raw=sample.raw)
    scores = np.asarray(report.outputs[0], dtype=np.float64).ravel() if report.postprocessed \
        else class_scores(report.outputs[0], model.output)
    predicted = int(np.argmax(scores))
    return {"sample_id": sample.sample_id, "label": sample.label, "readable": True, "predicted": predicted,
            "correct": predicted == sample.label, "confidence": float(scores[predicted])}


def _anomaly_score(target: Target, workload: Workload, model: ModelArtifact, windows: np.ndarray) -> float:
    """Mean over the file's windows of the reconstruction MSE (the device's own, if it computes it)."""
    mses = []
    for window in windows:
        report = target.infer(workload.to_model_input(window, model.input), 1, 0, raw=window)
        if report.postprocessed:
            mses.append(float(np.asarray(report.outputs[0]).ravel()[0]))
        else:
            mses.append(reconstruction_mse(window, report.outputs[0], model.output))
    return float(np.mean(mses))


def _common_checks(workload: Workload, value: float, unreadable: list[str], n: int) -> list[RuleCheck]:
    target = workload.quality_target
    return [
        RuleCheck("quality_target", value >= target.minimum,
                  f"{target.metric} {value:.4f} vs target {target.minimum:g} ({target.describe()})"),
        RuleCheck("all_samples_read", not unreadable,
                  f"{len(unreadable)} of {n} samples could not be read" if unreadable else f"all {n} samples read"),
    ]


def _details(table: pd.DataFrame, unreadable: list[str], extra: dict) -> dict:
    return {
        "samples": int(len(table)),
        "unreadable": int(len(unreadable)),
        "unreadable_samples": unreadable[:MAX_LISTED_UNREADABLE],
        **extra,
    }


def _top1_outcome(workload: Workload, table: pd.DataFrame, unreadable: list[str]) -> ModeOutcome:
    predictions = [None if not r else int(p) for r, p in
                   zip(table["readable"], table.get("predicted", pd.Series([None] * len(table))).fillna(-1))]
    report = classification_report([int(x) for x in table["label"]], predictions, len(workload.labels))
    per_class = report.per_class_accuracy()
    details = _details(table, unreadable, {
        "labels": list(workload.labels),
        "per_class": {name: {"samples": int(n), "accuracy": acc}
                      for name, n, acc in zip(workload.labels, report.per_class_total, per_class)},
        "confusion_matrix": report.confusion.tolist(),
        "quality_target": {"metric": "top1", "minimum": workload.quality_target.minimum,
                           "met": report.top1 >= workload.quality_target.minimum},
    })
    return ModeOutcome(
        mode="accuracy", status="measured",
        metrics={"top1": Quantity(report.top1, "fraction")},
        checks=_common_checks(workload, report.top1, unreadable, report.n),
        details=details, tables={"accuracy_predictions.csv": table},
    )


def _auc_outcome(workload: Workload, table: pd.DataFrame, unreadable: list[str]) -> ModeOutcome:
    readable = table[table["readable"]]
    labels = readable["label"].to_numpy(dtype=np.int64)
    if len(set(labels.tolist())) < 2:
        return ModeOutcome(mode="accuracy", status="failed",
                           reason="AUC needs both normal and anomalous samples among the readable files",
                           tables={"accuracy_scores.csv": table})
    auc = roc_auc(labels, readable["score"].to_numpy())
    details = _details(table, unreadable, {
        "scored_samples": int(len(readable)),
        "score": "mean reconstruction MSE over the file's windows",
        "quality_target": {"metric": "auc", "minimum": workload.quality_target.minimum,
                           "met": auc >= workload.quality_target.minimum},
    })
    return ModeOutcome(
        mode="accuracy", status="measured", metrics={"auc": Quantity(auc, "unitless")},
        checks=_common_checks(workload, auc, unreadable, len(table)),
        details=details, tables={"accuracy_scores.csv": table},
    )
