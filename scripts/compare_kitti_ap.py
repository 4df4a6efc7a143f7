"""Compare tinybench's KITTI AP with the Python port of the official devkit on generated scenarios.

    python scripts/compare_kitti_ap.py PORT_DIR --port-python /path/to/venv/bin/python [--seed 0] [--seeds 5]

PORT_DIR is a checkout's folder holding the port's `eval.py` — `kitti-object-eval-python`
(traveller59) or a vendored copy (OpenPCDet `pcdet/datasets/kitti/kitti_object_eval_python`,
mmdetection3d, second.pytorch). It is never part of tinybench: install its dependencies into a
scratch environment (`python -m venv V && V/bin/pip install numpy numba scipy`) and pass that
interpreter as --port-python; the port runs there, in its own process, on the same boxes (JSON
carries floats exactly). Only 2-D boxes are evaluated, so the port's rotated-IoU module (CUDA)
is replaced by a stub that refuses to run.

Scenarios are seeded and KITTI-like (1242×375 frames, boxes and scores with 2 decimals as in
KITTI files): every object type, occlusion 0–3 and truncation up to 0.9 (some exactly at 0.15 /
0.30 / 0.50), heights exactly at and ±0.5 px around 25 and 40 px, DontCare regions (some with
detections inside), jittered, dropped and duplicated detections, too-small duplicates scored
above the real one, small boxes of other classes on objects, class confusions (Van called Car,
Person_sitting called Pedestrian), false detections, and scores tied across images. Families:
`main` (200 frames), `small` (3–12 frames: cells with a handful of GTs), `boundary` (heights
and truncations at the difficulty limits), `ties` (scores from 10 levels), `crowd` (overlapping
objects, many duplicates).

Prints, per class × difficulty, the largest |Δ| (AP points, ×100) between tinybench and the
port over all scenarios for AP|R11 and AP|R40: `devkit` is the target (exit status 1 if any
cell reaches --tolerance, default 0.01); `exact` is shown for information (how far the exact
curve sits from the published number).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from tinybench.workloads.metrics.kitti_ap import CLASSES, DIFFICULTIES, Detection, GroundTruth, evaluate

WIDTH, HEIGHT = 1242.0, 375.0
TYPES = {  # type: (share of objects, width / height)
    "Car": (0.42, 1.9), "Pedestrian": (0.17, 0.4), "Cyclist": (0.10, 0.6), "Van": (0.08, 1.6),
    "Person_sitting": (0.04, 0.7), "Truck": (0.05, 1.5), "Tram": (0.02, 2.5), "Misc": (0.12, 1.0),
}
CALLED = {"Car": "Car", "Van": "Car", "Truck": "Car", "Pedestrian": "Pedestrian", "Person_sitting": "Pedestrian",
          "Cyclist": "Cyclist", "Tram": "Car", "Misc": "Cyclist"}
BOUNDARY_HEIGHTS = (25.0, 40.0, 24.5, 25.5, 39.5, 40.5)
BOUNDARY_TRUNCATIONS = (0.15, 0.3, 0.5)
LARGE_CELL = 100  # counted GTs from which a cell counts as large (the exact curve is compared there too)
FAMILIES = {  # name: (scenarios, frames (min, max), objects per frame (min, max))
    "main": (1, (200, 200), (2, 14)),
    "small": (12, (3, 12), (1, 4)),
    "boundary": (4, (40, 60), (2, 10)),
    "ties": (4, (40, 60), (2, 10)),
    "crowd": (4, (30, 50), (8, 20)),
}

PORT_RUNNER = r'''
import importlib, importlib.util, json, sys, types
import numpy as np
port_dir = sys.argv[1]
def refuse(*args, **kwargs):
    raise RuntimeError("rotated IoU is not used for 2-D boxes")
package = types.ModuleType("kitti_port")
package.__path__ = [port_dir]
sys.modules["kitti_port"] = package
stub = types.ModuleType("kitti_port.rotate_iou")
stub.rotate_iou_gpu_eval = refuse
sys.modules["kitti_port.rotate_iou"] = stub
for name in ("second", "second.core", "second.core.non_max_suppression", "second.core.non_max_suppression.nms_gpu"):
    sys.modules.setdefault(name, types.ModuleType(name))
sys.modules["second.core.non_max_suppression.nms_gpu"].rotate_iou_gpu_eval = refuse
port = importlib.import_module("kitti_port.eval")
def annos(frames, with_score):
    out = []
    for frame in frames:
        n = len(frame["name"])
        anno = {"name": np.array(frame["name"], dtype=object).astype(str) if n else np.zeros(0, dtype="<U10"),
                "bbox": np.array(frame["bbox"], dtype=np.float64).reshape(n, 4),
                "alpha": np.full(n, -10.0), "dimensions": np.zeros((n, 3)), "location": np.zeros((n, 3)),
                "rotation_y": np.zeros(n)}
        if with_score:
            anno["score"] = np.array(frame["score"], dtype=np.float64)
        else:
            anno["truncated"] = np.array(frame["truncated"], dtype=np.float64)
            anno["occluded"] = np.array(frame["occluded"], dtype=np.int64)
        out.append(anno)
    return out
results = []
overlaps = np.array([[[0.7, 0.5, 0.5]] * 3])  # [one overlap set, metric, class]
for scenario in json.load(sys.stdin):
    gt, dt = annos(scenario["gt"], False), annos(scenario["dt"], True)
    ret = port.eval_class(gt, dt, [0, 1, 2], [0, 1, 2], 0, overlaps, compute_aos=False,
                          num_parts=min(50, len(gt)))
    precision = ret["precision"][:, :, 0, :]
    # the port's own averaging where it has one (traveller59's get_mAP sums the first axis: use get_mAP_v2)
    r11 = next(getattr(port, f) for f in ("get_mAP_v2", "get_mAP11", "get_mAP") if hasattr(port, f))(precision)
    r40_of = next((getattr(port, f) for f in ("get_mAP_R40", "get_mAP40") if hasattr(port, f)), None)
    r40 = r40_of(precision) if r40_of else precision[..., 1:].sum(-1) / 40 * 100  # this port predates R40
    results.append({"r11": np.asarray(r11).tolist(), "r40": np.asarray(r40).tolist()})
json.dump(results, sys.stdout)
'''


def _box(rng: np.random.Generator, height: float, aspect: float, exact: bool) -> tuple[float, ...]:
    width = max(4.0, height * aspect * rng.uniform(0.8, 1.2))
    x1 = rng.uniform(-0.2 * width, WIDTH - 0.8 * width)
    y1 = rng.uniform(100.0, HEIGHT - height) if height < HEIGHT - 100 else 0.0
    if exact:  # quarter pixels: y2 − y1 is exactly the height
        y1 = round(y1 * 4) / 4
        return (round(x1, 2), y1, round(x1 + width, 2), y1 + height)
    return (round(x1, 2), round(y1, 2), round(x1 + width, 2), round(y1 + height, 2))


def _jitter(rng: np.random.Generator, box: tuple, scale: float) -> tuple[float, ...]:
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    dx1, dy1, dx2, dy2 = rng.normal(0.0, scale, 4)
    nx1, ny1 = x1 + dx1 * w, y1 + dy1 * h
    nx2, ny2 = max(nx1 + 2.0, x2 + dx2 * w), max(ny1 + 2.0, y2 + dy2 * h)
    return tuple(round(v, 2) for v in (nx1, ny1, nx2, ny2))


def _score(rng: np.random.Generator, quality: float, family: str) -> float:
    raw = float(np.clip(rng.beta(2 + 6 * quality, 2 + 6 * (1 - quality)), 0.001, 0.999))
    return round(raw * 10) / 10 if family == "ties" else round(raw, 2)


def _frame(rng: np.random.Generator, family: str, objects: tuple[int, int]) -> tuple[list, list, list]:
    gts, dets, dont_care = [], [], []
    names = list(TYPES)
    shares = np.array([TYPES[n][0] for n in names])
    for _ in range(int(rng.integers(objects[0], objects[1] + 1))):
        kind = str(rng.choice(names, p=shares / shares.sum()))
        boundary = rng.random() < (0.6 if family == "boundary" else 0.12)
        height = float(rng.choice(BOUNDARY_HEIGHTS)) if boundary else float(np.clip(rng.lognormal(3.7, 0.55), 12, 220))
        box = _box(rng, height, TYPES[kind][1], boundary)
        if family == "crowd" and gts and rng.random() < 0.5:  # next to an earlier object: overlapping GTs
            ref = gts[int(rng.integers(len(gts)))].box
            shift = rng.uniform(-0.4, 0.4) * (ref[2] - ref[0])
            box = (round(ref[0] + shift, 2), ref[1], round(ref[2] + shift, 2), ref[3])
        truncation = (float(rng.choice(BOUNDARY_TRUNCATIONS)) if rng.random() < (0.5 if family == "boundary" else 0.1)
                      else round(float(rng.choice([0.0, 0.0, 0.0, rng.uniform(0, 0.9)])), 2))
        gts.append(GroundTruth(kind, box, truncation, int(rng.choice([0, 0, 1, 1, 2, 3]))))
        called = CALLED[kind]
        if rng.random() < 0.85:  # found (else dropped); tighter boxes score higher
            jitter = float(rng.choice([0.01, 0.02, 0.04, 0.08, 0.15], p=[0.25, 0.3, 0.25, 0.15, 0.05]))
            quality = float(np.clip(1.0 - 4.0 * jitter + rng.normal(0.0, 0.15), 0.05, 1.0))
            dets.append(Detection(called, _jitter(rng, box, jitter), _score(rng, quality, family)))
            if rng.random() < (0.4 if family == "crowd" else 0.15):  # duplicate
                dets.append(Detection(called, _jitter(rng, box, 2 * jitter), _score(rng, quality * 0.8, family)))
        if rng.random() < 0.12:  # a too-small duplicate, often scored above the real detection
            x1, y1, x2, y2 = box
            small_h = float(rng.choice([24.0, 24.9, 39.0, 39.9, 20.0]))
            top = round(y1 + max(0.0, (y2 - y1 - small_h) / 2), 2)
            kind_called = called if rng.random() < 0.7 else str(rng.choice(CLASSES))  # sometimes another class
            dets.append(Detection(kind_called, (x1, top, x2, round(top + small_h, 2)), _score(rng, 0.9, family)))
    for _ in range(int(rng.integers(0, 4))):  # DontCare regions, some with a detection inside
        region = _box(rng, float(rng.uniform(15, 80)), float(rng.uniform(0.8, 3)), False)
        dont_care.append(region)
        if rng.random() < 0.6:
            dets.append(Detection(str(rng.choice(CLASSES)), _jitter(rng, region, 0.1), _score(rng, 0.4, family)))
    for _ in range(int(rng.poisson(1.5))):  # false detections
        kind = str(rng.choice(CLASSES))
        dets.append(Detection(kind, _box(rng, float(np.clip(rng.lognormal(3.6, 0.5), 15, 200)),
                                         TYPES[kind][1], False), _score(rng, 0.2, family)))
    order = rng.permutation(len(dets))
    return gts, [dets[i] for i in order], dont_care


def scenarios(seed: int) -> list[tuple[str, list]]:
    rng = np.random.default_rng(seed)
    out = []
    for family, (count, frames, objects) in FAMILIES.items():
        for i in range(count):
            n = int(rng.integers(frames[0], frames[1] + 1))
            out.append((f"{family}-{i}", [_frame(rng, family, objects) for _ in range(n)]))
    return out


def _as_port_json(images: list) -> dict:
    gt, dt = [], []
    for gts, dets, dont_care in images:
        gt.append({"name": [g.cls for g in gts] + ["DontCare"] * len(dont_care),
                   "bbox": [list(g.box) for g in gts] + [list(r) for r in dont_care],
                   "truncated": [g.truncation for g in gts] + [-1.0] * len(dont_care),
                   "occluded": [g.occlusion for g in gts] + [-1] * len(dont_care)})
        dt.append({"name": [d.cls for d in dets], "bbox": [list(d.box) for d in dets], "score": [d.score for d in dets]})
    return {"gt": gt, "dt": dt}


def run_port(port_dir: Path, python: str, cases: list[tuple[str, list]]) -> list[dict]:
    payload = json.dumps([_as_port_json(images) for _, images in cases])
    done = subprocess.run([python, "-c", PORT_RUNNER, str(port_dir)], input=payload, capture_output=True, text=True,
                          timeout=3600)
    if done.returncode != 0:
        sys.exit(f"the port failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout)


def _features(cases: list[tuple[str, list]]) -> str:
    """What the scenarios exercise, counted (so a reader can see the hard cases are there)."""
    at_limit = sum(1 for _, images in cases for gts, _, _ in images for g in gts if g.box[3] - g.box[1] in (25.0, 40.0))
    small = sum(1 for _, images in cases for _, dets, _ in images for d in dets if d.box[3] - d.box[1] < 25.0)
    regions = sum(len(dc) for _, images in cases for _, _, dc in images)
    tied = 0
    for _, images in cases:
        seen: dict[float, set[int]] = {}
        for i, (_, dets, _) in enumerate(images):
            for d in dets:
                seen.setdefault(d.score, set()).add(i)
        tied += sum(1 for frames in seen.values() if len(frames) > 1)
    return (f"{at_limit} GTs exactly 25 or 40 px tall, {small} detections under 25 px, {regions} DontCare regions, "
            f"{tied} scores shared across images")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("port", type=Path, help="folder holding the port's eval.py")
    parser.add_argument("--port-python", default=sys.executable, help="interpreter with numpy and numba for the port")
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    parser.add_argument("--seeds", type=int, default=1, help="how many seeds (25 scenarios each), pooled")
    parser.add_argument("--tolerance", type=float, default=0.01, help="largest allowed |Δ| in AP points (devkit)")
    args = parser.parse_args()
    if not (args.port / "eval.py").is_file():
        parser.error(f"{args.port} has no eval.py (give the folder of kitti-object-eval-python's eval.py)")
    cases = [(f"{name}@{seed}", images) for seed in range(args.seed, args.seed + max(1, args.seeds))
             for name, images in scenarios(seed)]
    objects = sum(len(gts) for _, images in cases for gts, _, _ in images)
    frames = sum(len(images) for _, images in cases)
    print(f"{len(cases)} scenarios, {frames} frames, {objects} objects (seeds {args.seed}–{args.seed + max(1, args.seeds) - 1}); "
          f"{_features(cases)}",
          file=sys.stderr)
    print("running the port …", file=sys.stderr)
    port = run_port(args.port, args.port_python, cases)
    worst: dict[tuple, tuple[float, str]] = {}
    for (name, images), theirs in zip(cases, port):
        for method in ("devkit", "exact"):
            for r in evaluate(images, method):
                c, d = CLASSES.index(r.cls), list(DIFFICULTIES).index(r.difficulty)
                for metric, ours in (("r11", r.ap_r11), ("r40", r.ap_r40)):
                    delta = abs(100 * ours - theirs[metric][c][d])
                    keys = [(method, r.cls, r.difficulty, metric)]
                    if r.ground_truths >= LARGE_CELL:
                        keys.append((method + "-large", r.cls, r.difficulty, metric))
                    for key in keys:
                        if key not in worst or delta > worst[key][0]:
                            worst[key] = (delta, name)
    print(f"largest |Δ| (AP points) between tinybench and the port over {len(cases)} scenarios; exact: all cells, "
          f"and cells with ≥ {LARGE_CELL} counted GTs")
    columns = [("devkit", "r11"), ("devkit", "r40"), ("exact", "r11"), ("exact", "r40"), ("exact-large", "r11"),
               ("exact-large", "r40")]
    print(f"{'class':<11} {'difficulty':<10} {'devkit R11':>10} {'devkit R40':>10} {'exact R11':>9} {'exact R40':>9} "
          f"{'≥' + str(LARGE_CELL) + ' R11':>8} {'≥' + str(LARGE_CELL) + ' R40':>8}")
    failed = False
    for cls in CLASSES:
        for difficulty in DIFFICULTIES:
            cells = [worst.get((m, cls, difficulty, k)) for m, k in columns]
            failed |= any(cell[0] >= args.tolerance for cell in cells[:2])
            text = [f"{cells[0][0]:>10.1e}", f"{cells[1][0]:>10.1e}"]
            text += [f"{cell[0]:>{w}.2f}" if cell else f"{'—':>{w}}" for cell, w in zip(cells[2:], (9, 9, 8, 8))]
            print(f"{cls:<11} {difficulty:<10} " + " ".join(text))
    print(f"devkit mode {'FAILS' if failed else 'meets'} |Δ| < {args.tolerance:g} AP points on every cell")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
