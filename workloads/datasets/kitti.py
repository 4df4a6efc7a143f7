"""KITTI object detection: `image_2/*.png` + `label_2/*.txt`, optionally a split file.

A label line has the 15 fields of the KITTI object devkit — type, truncated (0–1), occluded
(0–3), alpha, bbox left top right bottom (pixels), dimensions h w l, location x y z,
rotation_y — and a 16th, the score, in result files. Types: Car, Van, Truck, Pedestrian,
Person_sitting, Cyclist, Tram, Misc, DontCare. A malformed line or an unknown type is an
error naming the file and line. An image without a label file is a sample that could not be
read (reported, counted). Samples carry the letterboxed 384×128 frame; the label holds the
ground truth in original pixels, the DontCare regions and the letterbox scale.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinybench.errors import DatasetError
from tinybench.workloads.datasets.base import Sample, bad
from tinybench.workloads.detection import letterbox
from tinybench.workloads.metrics.kitti_ap import GroundTruth

TYPES = ("Car", "Van", "Truck", "Pedestrian", "Person_sitting", "Cyclist", "Tram", "Misc", "DontCare")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


@dataclass(frozen=True)
class KittiLabel:
    objects: tuple[GroundTruth, ...]  # every non-DontCare object, in original pixels
    dont_care: tuple[tuple[float, float, float, float], ...]
    scale: float  # letterbox scale (input pixels per original pixel)
    width: int
    height: int


def parse_label_file(path: Path) -> tuple[list[GroundTruth], list[tuple]]:
    objects, dont_care = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        where = f"{path} line {number}"
        if len(fields) not in (15, 16):
            raise DatasetError(f"{where}: {len(fields)} fields; a KITTI label line has 15 (16 with a score)")
        kind = fields[0]
        if kind not in TYPES:
            raise DatasetError(f"{where}: unknown object type '{kind}'", hint=f"KITTI types: {', '.join(TYPES)}")
        try:
            truncated, occluded = float(fields[1]), int(float(fields[2]))
            box = tuple(float(v) for v in fields[4:8])
            [float(v) for v in fields[8:]]  # dimensions, location, rotation (and score) must be numbers
        except ValueError as exc:
            raise DatasetError(f"{where}: not a number ({exc})") from exc
        if box[2] < box[0] or box[3] < box[1]:
            raise DatasetError(f"{where}: box right/bottom before left/top {box}")
        if kind == "DontCare":
            dont_care.append(box)
        else:
            objects.append(GroundTruth(kind, box, truncated, occluded))
    return objects, dont_care


class KittiDataset:
    kind = "kitti"

    def __init__(self, root: Path, split: str | None = None) -> None:
        self.root = Path(root)
        images = self.root / "image_2"
        if not images.is_dir():
            raise DatasetError(f"{self.root} has no image_2/ folder", hint="a KITTI object folder holds image_2/ and label_2/")
        if not (self.root / "label_2").is_dir():
            raise DatasetError(f"missing label folder {self.root / 'label_2'}")
        by_id = {p.stem: p for p in sorted(images.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES}
        if split and split not in ("test", "all"):
            split_file = Path(split) if Path(split).is_file() else self.root / split
            if not split_file.is_file():
                raise DatasetError(f"split file not found: {split}", hint="a text file of image ids, one per line")
            wanted = [line.strip() for line in split_file.read_text().splitlines() if line.strip()]
            missing = [i for i in wanted if i not in by_id]
            if missing:
                raise DatasetError(f"{split_file}: image {missing[0]} is not in {images}")
            self.ids = wanted
        else:
            self.ids = sorted(by_id)
        self.images = by_id
        if not self.ids:
            raise DatasetError(f"{images}: no images")

    def __len__(self) -> int:
        return len(self.ids)

    def describe(self) -> dict:
        return {"kind": self.kind, "root": str(self.root), "count": len(self)}

    def __iter__(self) -> Iterator[Sample]:
        from PIL import Image, UnidentifiedImageError

        for image_id in self.ids:
            path = self.images[image_id]
            label_path = self.root / "label_2" / f"{image_id}.txt"
            if not label_path.is_file():
                yield bad(image_id, None, label_path, "no label file for this image")
                continue
            objects, dont_care = parse_label_file(label_path)
            try:
                with Image.open(path) as img:
                    rgb = np.asarray(img.convert("RGB"), dtype=np.uint8)
            except (UnidentifiedImageError, OSError) as exc:
                yield bad(image_id, None, path, f"cannot decode image ({exc})")
                continue
            frame, geometry = letterbox(rgb)
            label = KittiLabel(tuple(objects), tuple(dont_care), geometry.scale, geometry.width, geometry.height)
            yield Sample(image_id, frame, label, source=str(path))

    def training_pairs(self) -> Iterator[tuple[str, np.ndarray, list[tuple[str, tuple]]]]:
        """(id, letterboxed frame, [(class, box in input pixels)]) for readable samples."""
        for sample in self:
            if sample.error is None:
                s = sample.label.scale
                yield sample.sample_id, sample.raw, [(o.cls, tuple(v * s for v in o.box)) for o in sample.label.objects]
