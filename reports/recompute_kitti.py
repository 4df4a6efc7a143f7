"""det01's KITTI AP recomputed from a bundle's raw files (see :mod:`recompute`).

`accuracy_truth.csv` holds the labels the run evaluated — an `image` row per image in evaluation
order, then its ground truths (`object`: class, box in original pixels, truncation, occlusion) and
DontCare regions (`dont_care`: box) — and `accuracy_detections.csv` the detections (image, class,
box, score) in the order the run produced them. The AP table is evaluated again with the run's
`ap_method` by the same code as the run (:func:`tinybench.workloads.metrics.kitti_ap.evaluate`), and
every cell the bundle states (ground truths, TP, FP, AP|R11, AP|R40) must match it.

Bounds: the readers cap rows and bytes (:mod:`bounded_tables`); on top of that at most
`MAX_IMAGES` images, `MAX_PER_IMAGE` detections or labels per image and `MAX_PAIRS` label ×
detection pairs of a class in all, since the devkit's matching costs detections × ground truths
per image and score threshold.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from tinybench.reports.bounded_tables import read_csv
from tinybench.reports.recompute import _Mode, check
from tinybench.reports.safe_json import Refusal
from tinybench.workloads.metrics.kitti_ap import METHODS, Detection, GroundTruth, evaluate
from tinybench.workloads.metrics.kitti_rules import CLASSES, NEIGHBOURS

MAX_IMAGES = 20_000
MAX_PER_IMAGE = 1_000
MAX_COORDINATE = 1e5  # pixels; keeps the devkit's areas and overlaps finite (a 1e300-px box overflowed them)
# Σ over images and classes of labels × detections. Estimated for KITTI val with 100 detections per class and
# image (det01's top-k) against its ≈ 4 Cars + 1 Pedestrian per image: ≈ 2 M; 1 M pairs take ≈ 2.5 s here
MAX_PAIRS = 4_000_000
HEADLINE = ("Car", "moderate")
TABLE_KEYS = ("ground_truths", "tp", "fp", "ap_r11", "ap_r40")
KINDS = ("image", "object", "dont_care")


def _box(rows: dict[str, np.ndarray], i: int, name: str) -> tuple[float, float, float, float]:
    box = tuple(float(rows[k][i]) for k in ("x1", "y1", "x2", "y2"))
    if not all(np.isfinite(box)) or box[2] < box[0] or box[3] < box[1]:
        raise Refusal(f"{name}: row {i + 1}: a box needs finite x1 ≤ x2, y1 ≤ y2")
    if max(abs(v) for v in box) > MAX_COORDINATE:
        raise Refusal(f"{name}: row {i + 1}: a box corner lies more than {MAX_COORDINATE:g} pixels from the image "
                      "(KITTI images are 1242 × 375)")
    return box


def _images(job: _Mode) -> list[tuple[list, list, list]]:
    truth = read_csv(job.need("accuracy_truth.csv"), "accuracy_truth.csv",
                     {"image": "text", "kind": "text", "class": "text", "x1": "float?", "y1": "float?",
                      "x2": "float?", "y2": "float?", "truncation": "float?", "occlusion": "int?"})
    order: list[str] = []
    labels: dict[str, tuple[list, list]] = {}
    for i, (image, kind) in enumerate(zip(truth["image"], truth["kind"])):
        if kind not in KINDS:
            raise Refusal(f"accuracy_truth.csv: row {i + 1}: kind {str(kind)[:20]!r} is not one of {KINDS}")
        if kind == "image":
            if image in labels:
                raise Refusal(f"accuracy_truth.csv: image {str(image)[:60]!r} listed twice")
            if len(order) >= MAX_IMAGES:
                raise Refusal(f"accuracy_truth.csv: more than {MAX_IMAGES} images")
            order.append(image)
            labels[image] = ([], [])
            continue
        if image not in labels:
            raise Refusal(f"accuracy_truth.csv: row {i + 1}: a label before its image row")
        objects, regions = labels[image]
        if len(objects) + len(regions) >= MAX_PER_IMAGE:
            raise Refusal(f"accuracy_truth.csv: more than {MAX_PER_IMAGE} labels on image {str(image)[:60]!r}")
        box = _box(truth, i, "accuracy_truth.csv")
        if kind == "dont_care":
            regions.append(box)
            continue
        truncation, occlusion = float(truth["truncation"][i]), float(truth["occlusion"][i])
        if not (np.isfinite(truncation) and np.isfinite(occlusion)):
            raise Refusal(f"accuracy_truth.csv: row {i + 1}: an object needs its truncation and occlusion")
        objects.append(GroundTruth(str(truth["class"][i]), box, truncation, int(occlusion)))
    found: dict[str, list[Detection]] = defaultdict(list)
    if "accuracy_detections.csv" in job.names:
        dets = read_csv(job.folder / "accuracy_detections.csv", "accuracy_detections.csv",
                        {"image": "text", "class": "text", "x1": "float", "y1": "float", "x2": "float", "y2": "float",
                         "score": "float"}, allow_empty=True)  # an image set with no detections at all
        for i, image in enumerate(dets["image"]):
            if image not in labels:
                raise Refusal(f"accuracy_detections.csv: row {i + 1}: image {str(image)[:60]!r} is not in "
                              "accuracy_truth.csv")
            if len(found[image]) >= MAX_PER_IMAGE:
                raise Refusal(f"accuracy_detections.csv: more than {MAX_PER_IMAGE} detections on one image")
            found[image].append(Detection(str(dets["class"][i]), _box(dets, i, "accuracy_detections.csv"),
                                          float(dets["score"][i])))
    images = [(labels[image][0], found[image], labels[image][1]) for image in order]
    pairs = sum(_pairs(objects, detections) for objects, detections, _ in images)
    if pairs > MAX_PAIRS:
        raise Refusal(f"accuracy_truth.csv, accuracy_detections.csv: {pairs} label × detection pairs of the same "
                      f"class; at most {MAX_PAIRS} are re-evaluated (the devkit matches every pair once per score "
                      "threshold: a crowded forged image set would take minutes)")
    return images


def _pairs(objects: list[GroundTruth], detections: list[Detection]) -> int:
    """The matching work of one image: per class, its detections × the labels of that class (or its neighbour)."""
    work = 0
    for cls in CLASSES:
        labels = sum(1 for o in objects if o.cls in (cls, NEIGHBOURS.get(cls)))
        work += labels * sum(1 for d in detections if d.cls == cls) if labels else 0
    return work


def kitti_ap(job: _Mode) -> None:
    """Re-evaluate the AP table and the headline (Car AP|R40 moderate) from the raw files."""
    method = job.block.get("ap_method", "devkit")
    if method not in METHODS:
        raise Refusal(f"result.json: ap_method {str(method)[:20]!r} is not one of {METHODS}")
    images = _images(job)
    if not images:
        raise Refusal("accuracy_truth.csv: no images")
    results = evaluate(images, method)
    table = [{"class": r.cls, "difficulty": r.difficulty, "ground_truths": r.ground_truths, "tp": r.tp, "fp": r.fp,
              "ap_r11": r.ap_r11, "ap_r40": r.ap_r40} for r in results]
    stated = {(row.get("class"), row.get("difficulty")): row for row in job.block.get("ap_table") or []
              if isinstance(row, dict)}
    for row in table:
        cell = stated.get((row["class"], row["difficulty"]))
        if cell is None:
            job.problem("result.json", f"ap_table lacks {row['class']} {row['difficulty']}")
            continue
        for key in TABLE_KEYS:
            job.compare(f"{row['class']} {row['difficulty']} {key}", cell.get(key), row[key])
    job.block["ap_table"] = table
    headline = next(r for r in results if (r.cls, r.difficulty) == HEADLINE)
    job.metric("car_ap_r40_moderate", headline.ap_r40, "fraction")
    readable = len(images)
    job.block["samples"] = readable + int(job.block.get("unreadable", 0) or 0)
    minimum = job.block.get("quality_target", {}).get("minimum")
    registered = _registered_minimum(job)
    minimum = registered if registered is not None else minimum
    met = minimum is not None and headline.ap_r40 >= minimum
    job.block["quality_target"] = {"metric": "kitti_ap", "minimum": minimum if minimum is not None else 0.0, "met": met}
    unreadable = job.block["samples"] - readable
    job.block["checks"] = [
        check("quality_target", met, f"Car AP|R40 moderate ({method}) {headline.ap_r40:.4f} vs target {minimum}"),
        check("ap_method_devkit", method == "devkit",
              "KITTI AP as the devkit computes it (comparable with published tables)" if method == "devkit"
              else "exact-curve AP: not comparable with devkit numbers, so not valid for submission"),
        check("all_samples_read", unreadable == 0, f"{unreadable} of {job.block['samples']} images could not be read"
              if unreadable else f"all {readable} images read"),
    ]


def _registered_minimum(job: _Mode) -> float | None:
    from tinybench.workloads import WORKLOADS

    workload_id = job.result["workload"]["id"]
    return WORKLOADS.get(workload_id).quality_target.minimum if workload_id in WORKLOADS.names() else None
