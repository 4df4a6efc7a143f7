"""ad01 spectrogram files (ToyADMOS / DCASE2020 task 2 as MLPerf Tiny prepares them).

A folder of `.bin` files, each 200 frames × 128 log-mel bins float32 little-endian
(102400 bytes), the label in the name: `normal_…` (0) or `anomaly_…` (1). A file is
scored through its 2560-byte windows (5 frames) every 512 bytes (1 frame): 196 windows.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from tinybench.errors import DatasetError
from tinybench.workloads.datasets.base import Sample, bad
from tinybench.workloads.datasets.eembc import windowed_sample

WINDOW_BYTES = 2560
STRIDE_BYTES = 512
FILE_BYTES = 102400


def label_from_name(name: str) -> int | None:
    if name.startswith("normal"):
        return 0
    if name.startswith("anomaly"):
        return 1
    return None


class SpectrogramFolderDataset:
    kind = "toyadmos"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = sorted(p for p in root.iterdir() if p.is_file() and p.suffix == ".bin")
        if not self.files:
            raise DatasetError(f"{root}: no .bin spectrogram files")
        unlabeled = [p.name for p in self.files if label_from_name(p.name) is None]
        if unlabeled:
            raise DatasetError(f"{root}: cannot tell the label of {unlabeled[0]}"
                               + (f" and {len(unlabeled) - 1} more" if len(unlabeled) > 1 else ""),
                               hint="names must start with normal_ or anomaly_ (or provide y_labels.csv)")

    def __len__(self) -> int:
        return len(self.files)

    def describe(self) -> dict:
        return {"kind": self.kind, "root": str(self.root), "count": len(self)}

    def __iter__(self) -> Iterator[Sample]:
        for path in self.files:
            label = label_from_name(path.name)
            try:
                content = path.read_bytes()
            except OSError as exc:
                yield bad(path.name, label, path, f"cannot read ({exc.strerror or exc})")
                continue
            if len(content) != FILE_BYTES:
                yield bad(path.name, label, path, f"{len(content)} bytes, expected {FILE_BYTES} (200×128 float32)")
                continue
            yield windowed_sample(path.name, label, path, content, WINDOW_BYTES, STRIDE_BYTES)
