"""det01 pre- and post-processing (numpy, untimed): letterbox, anchors, decoding, NMS.

The model sees a 384×128 RGB frame: the KITTI image (1242×375) scaled by
s = min(384/W, 128/H) with its aspect ratio kept, placed top-left, the rest zero. Its two
raw outputs per anchor (a 16×48 grid of stride 8, 3 anchors per cell, 2304 anchors):
`boxes` (tx, ty, tw, th) and `scores` (one logit per class: Car, Pedestrian, Cyclist).
Decoding (YOLOv2-style): centre = (cell + sigmoid(tx, ty)) × 8; size = anchor × exp(tw, th);
class probability = sigmoid(score). Then per class: score ≥ 0.05, greedy NMS at IoU 0.5, the
100 best; boxes are mapped back to the original image by dividing by s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INPUT_W, INPUT_H = 384, 128
STRIDE = 8
GRID_H, GRID_W = INPUT_H // STRIDE, INPUT_W // STRIDE
ANCHORS = np.array([[10.0, 22.0], [24.0, 14.0], [56.0, 30.0]])  # (w, h) in input pixels
NUM_ANCHORS = GRID_H * GRID_W * len(ANCHORS)  # 2304
CLASSES = ("Car", "Pedestrian", "Cyclist")
SCORE_THRESHOLD, NMS_IOU, TOP_K = 0.05, 0.5, 100


@dataclass(frozen=True)
class Letterbox:
    scale: float  # input pixels per original pixel
    width: int  # original image size
    height: int


def letterbox(image: np.ndarray) -> tuple[np.ndarray, Letterbox]:
    """uint8 H×W×3 → 128×384×3 (aspect kept, top-left, zero padding) with the scale used."""
    from PIL import Image

    height, width = image.shape[:2]
    scale = min(INPUT_W / width, INPUT_H / height)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    resized = np.asarray(Image.fromarray(image).resize((new_w, new_h), Image.BILINEAR), dtype=np.uint8)
    canvas = np.zeros((INPUT_H, INPUT_W, 3), dtype=np.uint8)
    canvas[:new_h, :new_w] = resized
    return canvas, Letterbox(scale, width, height)


def anchor_grid() -> tuple[np.ndarray, np.ndarray]:
    """(cell x, cell y) and (anchor w, anchor h) for each of the 2304 anchors, in output order."""
    gy, gx, a = np.meshgrid(np.arange(GRID_H), np.arange(GRID_W), np.arange(len(ANCHORS)), indexing="ij")
    cells = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float64)
    return cells, ANCHORS[a.ravel()]


_CELLS, _SIZES = anchor_grid()


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))


def decode_boxes(raw: np.ndarray) -> np.ndarray:
    """(N, 4) raw regressions → (N, 4) boxes x1, y1, x2, y2 in input pixels."""
    centre = (_CELLS + sigmoid(raw[:, :2])) * STRIDE
    size = _SIZES * np.exp(np.clip(raw[:, 2:4], -8, 8))
    return np.concatenate([centre - size / 2, centre + size / 2], axis=1)


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float, limit: int) -> list[int]:
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    areas = (boxes[:, 2] - boxes[:, 0]).clip(0) * (boxes[:, 3] - boxes[:, 1]).clip(0)
    while order.size and len(keep) < limit:
        i = order[0]
        keep.append(int(i))
        rest = order[1:]
        iw = (np.minimum(boxes[i, 2], boxes[rest, 2]) - np.maximum(boxes[i, 0], boxes[rest, 0])).clip(0)
        ih = (np.minimum(boxes[i, 3], boxes[rest, 3]) - np.maximum(boxes[i, 1], boxes[rest, 1])).clip(0)
        inter = iw * ih
        overlap = inter / np.maximum(areas[i] + areas[rest] - inter, 1e-9)
        order = rest[overlap <= iou_threshold]
    return keep


def detections(raw_boxes: np.ndarray, raw_scores: np.ndarray, geometry: Letterbox | None = None,
               score_threshold: float = SCORE_THRESHOLD) -> list[tuple[str, tuple[float, ...], float]]:
    """Real-valued model outputs → (class, box in original pixels, score), best first per class."""
    boxes = decode_boxes(np.asarray(raw_boxes, dtype=np.float64).reshape(-1, 4))
    probs = sigmoid(np.asarray(raw_scores, dtype=np.float64).reshape(-1, len(CLASSES)))
    scale = geometry.scale if geometry else 1.0
    found = []
    for c, name in enumerate(CLASSES):
        candidates = np.flatnonzero(probs[:, c] >= score_threshold)
        if candidates.size == 0:
            continue
        kept = nms(boxes[candidates], probs[candidates, c], NMS_IOU, TOP_K)
        for k in kept:
            box = boxes[candidates[k]] / scale
            if geometry:
                box = np.clip(box, 0, [geometry.width, geometry.height, geometry.width, geometry.height])
            found.append((name, tuple(float(v) for v in box), float(probs[candidates[k], c])))
    return found


def encode_targets(objects: list[tuple[str, tuple[float, float, float, float]]]) -> tuple[np.ndarray, np.ndarray]:
    """Training targets from (class, box in input pixels): (N, 5) box target + mask, (N, 3) class target.

    Each object goes to the cell holding its centre and the anchor whose shape overlaps it most.
    """
    box_target = np.zeros((NUM_ANCHORS, 5), dtype=np.float32)
    cls_target = np.zeros((NUM_ANCHORS, len(CLASSES)), dtype=np.float32)
    for name, (x1, y1, x2, y2) in objects:
        if name not in CLASSES:
            continue
        w, h = max(x2 - x1, 1.0), max(y2 - y1, 1.0)
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        gx, gy = min(int(cx // STRIDE), GRID_W - 1), min(int(cy // STRIDE), GRID_H - 1)
        inter = np.minimum(ANCHORS[:, 0], w) * np.minimum(ANCHORS[:, 1], h)
        a = int(np.argmax(inter / (ANCHORS[:, 0] * ANCHORS[:, 1] + w * h - inter)))
        index = (gy * GRID_W + gx) * len(ANCHORS) + a
        box_target[index] = [cx / STRIDE - gx, cy / STRIDE - gy, np.log(w / ANCHORS[a, 0]), np.log(h / ANCHORS[a, 1]), 1]
        cls_target[index, CLASSES.index(name)] = 1.0
    return box_target, cls_target
