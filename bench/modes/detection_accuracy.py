"""Accuracy mode for detection (det01): KITTI AP per class and difficulty.

Each frame: one `infer(…, 1, 0)`; the raw box and score tensors are dequantized, decoded
and NMS'd on the host (untimed), mapped back to original pixels, and evaluated with
:mod:`tinybench.workloads.metrics.kitti_ap` — by default `method="devkit"` (the official devkit's
numbers), or `method="exact"` (the exact precision/recall curve); the method is recorded in
result.json as `ap_method`. Headline: Car AP|R40 at moderate difficulty.
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
from tinybench.workloads.detection import CLASSES, Letterbox, detections
from tinybench.workloads.metrics.kitti_ap import DEFAULT_METHOD, METHODS, Detection, evaluate
from tinybench.workloads.model_artifact import ModelArtifact
from tinybench.workloads.scoring import dequantized
from tinybench.workloads.spec import Workload

HEADLINE = "car_ap_r40_moderate"
TRUTH_FILE = "accuracy_truth.csv"  # the KITTI labels evaluated (reports/recompute_quality.py re-scores from it)
TRUTH_COLUMNS = ["image", "kind", "class", "x1", "y1", "x2", "y2", "truncation", "occlusion"]
DEFINITIONS = {
    "devkit": "KITTI 2-D AP as the official devkit computes it (evaluate_object.cpp: two matching passes, 41 "
              "score thresholds, R40 and R11 from them); headline Car AP|R40, moderate",
    "exact": "KITTI 2-D AP with the devkit's ignore rules, one-to-one matching by score and the exact "
             "precision/recall curve (R40 and R11 interpolation); headline Car AP|R40, moderate",
}


def split_outputs(outputs: list[np.ndarray], model: ModelArtifact) -> tuple[np.ndarray, np.ndarray]:
    """(boxes, scores) as real values, told apart by their last dimension (4 vs classes)."""
    specs = [t.spec() for t in model.graph.outputs]
    boxes = scores = None
    for tensor in outputs:
        spec = next((s for s in specs if tuple(s.shape[1:]) == tuple(np.shape(tensor)[1:])), None)
        real = dequantized(np.asarray(tensor), spec) if spec is not None else np.asarray(tensor, dtype=np.float64)
        if np.shape(tensor)[-1] == 4:
            boxes = real
        elif np.shape(tensor)[-1] == len(CLASSES):
            scores = real
    if boxes is None or scores is None:
        raise TinybenchError("the model did not return both a box and a score tensor")
    return boxes, scores


def run_detection_accuracy(target: Target, workload: Workload, model: ModelArtifact, samples: Iterable[Sample],
                           total: int | None, progress: Progress, method: str = DEFAULT_METHOD) -> ModeOutcome:
    if method not in METHODS:
        raise TinybenchError(f"unknown KITTI AP method '{method}'", hint=f"choose {' or '.join(METHODS)}")
    task = progress.task("accuracy det01", total=total)
    images, rows, truth, unreadable = [], [], [], []
    try:
        for sample in samples:
            task.advance()
            if sample.error is not None:
                unreadable.append(sample.error)
                continue
            report = target.infer(workload.to_model_input(sample.raw, model.input), 1, 0, raw=sample.raw)
            if report.postprocessed:
                raise TinybenchError("det01 needs the model's raw box and score tensors, not device results")
            label = sample.label
            found = detections(*split_outputs(report.outputs, model),
                               Letterbox(label.scale, label.width, label.height))
            images.append((list(label.objects), [Detection(c, b, s) for c, b, s in found], list(label.dont_care)))
            rows += [{"image": sample.sample_id, "class": c, "x1": b[0], "y1": b[1], "x2": b[2], "y2": b[3],
                      "score": s} for c, b, s in found]
            truth += truth_rows(sample.sample_id, label.objects, label.dont_care)
    except TinybenchError as exc:
        task.finish()
        return ModeOutcome(mode="accuracy", status="failed", reason=f"{exc.one_line()} ({len(images)} images done)")
    task.finish()
    if not images:
        return ModeOutcome(mode="accuracy", status="failed",
                           reason=f"none of the images could be read; first: {unreadable[0] if unreadable else '—'}")
    results = evaluate(images, method)
    table = [{"class": r.cls, "difficulty": r.difficulty, "ground_truths": r.ground_truths, "tp": r.tp, "fp": r.fp,
              "ap_r11": r.ap_r11, "ap_r40": r.ap_r40} for r in results]
    headline = next(r for r in results if r.cls == "Car" and r.difficulty == "moderate")
    target_q = workload.quality_target
    checks = [
        RuleCheck("quality_target", headline.ap_r40 >= target_q.minimum,
                  f"Car AP|R40 moderate ({method}) {headline.ap_r40:.4f} vs target {target_q.minimum:g}"),
        RuleCheck("ap_method_devkit", method == "devkit",
                  "KITTI AP as the devkit computes it (comparable with published tables)" if method == "devkit"
                  else "exact-curve AP: not comparable with devkit numbers, so not valid for submission"),
        RuleCheck("all_samples_read", not unreadable,
                  f"{len(unreadable)} of {len(images) + len(unreadable)} images could not be read" if unreadable
                  else f"all {len(images)} images read"),
    ]
    details = {"samples": len(images) + len(unreadable), "unreadable": len(unreadable),
               "unreadable_samples": unreadable[:50], "ap_table": table,
               "quality_target": {"metric": "kitti_ap", "minimum": target_q.minimum,
                                  "met": headline.ap_r40 >= target_q.minimum},
               "ap_method": method, "definition": DEFINITIONS[method]}
    return ModeOutcome(mode="accuracy", status="measured", metrics={HEADLINE: Quantity(headline.ap_r40, "fraction")},
                       checks=checks, details=details,
                       tables={"accuracy_detections.csv": pd.DataFrame(rows, columns=["image", "class", "x1", "y1", "x2",
                                                                                     "y2", "score"]),
                               TRUTH_FILE: pd.DataFrame(truth, columns=TRUTH_COLUMNS).astype({"occlusion": "Int64"})})


def truth_rows(image: str, objects: Iterable, dont_care: Iterable) -> list[dict]:
    """`accuracy_truth.csv` rows of one image: an `image` row (the evaluation order, images without objects
    included), then its ground truths (`object`: class, box in original px, truncation, occlusion) and
    DontCare regions (`dont_care`: box only), so a reader can recompute the AP from the bundle alone."""
    out = [{"image": image, "kind": "image"}]
    out += [{"image": image, "kind": "object", "class": g.cls, "x1": g.box[0], "y1": g.box[1], "x2": g.box[2],
             "y2": g.box[3], "truncation": g.truncation, "occlusion": g.occlusion} for g in objects]
    out += [{"image": image, "kind": "dont_care", "x1": b[0], "y1": b[1], "x2": b[2], "y2": b[3]} for b in dont_care]
    return out
