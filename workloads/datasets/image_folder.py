"""Visual Wake Words as a folder of images per class: `non_person/` (0) and `person/` (1).

Each image is decoded with Pillow, converted to RGB and resized to 96×96 with
nearest-neighbour sampling — what the reference's Keras `flow_from_directory(
target_size=(96, 96), color_mode='rgb')` does (Keras' `load_img` default interpolation
is 'nearest'). The result is uint8 HWC, as the EEMBC `.bin` files hold it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from tinybench.errors import DatasetError
from tinybench.workloads.datasets.base import Sample, bad
from tinybench.workloads.spec import Workload

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"}


def load_rgb(path: Path, size: tuple[int, int]) -> np.ndarray:
    """`path` → (height, width, 3) uint8, Keras-style (RGB convert, nearest resize)."""
    from PIL import Image

    with Image.open(path) as img:
        if img.mode != "RGB":
            img = img.convert("RGB")
        height, width = size
        if img.size != (width, height):
            img = img.resize((width, height), Image.NEAREST)
        return np.asarray(img, dtype=np.uint8).copy()


class ImageFolderDataset:
    kind = "image-folder"

    def __init__(self, root: Path, workload: Workload) -> None:
        self.root = root
        self.size = workload.raw_input.shape[:2]
        self.classes = list(workload.labels)
        missing = [c for c in self.classes if not (root / c).is_dir()]
        if missing:
            raise DatasetError(f"{root} has no class folder {', '.join(missing)}",
                               hint=f"expected one folder per class: {', '.join(self.classes)}")
        self.files = [(p, label) for label, c in enumerate(self.classes)
                      for p in sorted((root / c).iterdir()) if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
        if not self.files:
            raise DatasetError(f"{root}: no images in {', '.join(self.classes)}")

    def __len__(self) -> int:
        return len(self.files)

    def describe(self) -> dict:
        return {"kind": self.kind, "root": str(self.root), "count": len(self)}

    def __iter__(self) -> Iterator[Sample]:
        from PIL import UnidentifiedImageError

        for path, label in self.files:
            sample_id = path.relative_to(self.root).as_posix()
            try:
                raw = load_rgb(path, self.size)
            except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
                yield bad(sample_id, label, path, f"cannot decode image ({exc})")
                continue
            yield Sample(sample_id, raw, label, source=str(path))
