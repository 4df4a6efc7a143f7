"""The EEMBC / MLPerf Tiny performance-dataset format: `y_labels.csv` + `.bin` files.

`y_labels.csv` rows are `file,classes,class`; ad01 rows add `bytes_to_send,stride`
(2560-byte windows every 512 bytes of a 102400-byte file). Input files hold the raw
domain: ic01 3072 B uint8 HWC, vww01 27648 B uint8 HWC, kws01 490 B int8 MFCC,
ad01 200×128 float32 little-endian.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinybench.errors import DatasetError
from tinybench.workloads.datasets.base import Sample, bad
from tinybench.workloads.spec import Workload

LABELS_FILE = "y_labels.csv"


@dataclass(frozen=True)
class Row:
    file: str
    classes: int
    label: int
    bytes_to_send: int | None = None
    stride: int | None = None


def read_labels(path: Path, workload: Workload) -> list[Row]:
    """Parse `y_labels.csv`; a malformed line is an error naming the file and line."""
    if not path.is_file():
        raise DatasetError(f"missing label file {path}", hint="an EEMBC dataset folder has y_labels.csv "
                           "next to its .bin files (tinybench data export-eembc writes both)")
    rows = []
    with path.open(newline="", encoding="utf-8") as fh:
        for number, fields in enumerate(csv.reader(fh), start=1):
            if not fields or all(not f.strip() for f in fields):
                continue
            try:
                if len(fields) not in (3, 5):
                    raise ValueError(f"expected 3 or 5 fields, got {len(fields)}")
                name, classes, label = fields[0].strip(), int(fields[1]), int(fields[2])
                if not name or "/" in name or "\\" in name or name.startswith("."):
                    raise ValueError(f"bad file name {name!r}")
                if not 0 <= label < classes:
                    raise ValueError(f"class {label} outside 0..{classes - 1}")
                if classes != len(workload.labels):
                    raise ValueError(f"{classes} classes, but {workload.id} has {len(workload.labels)}")
                extra = (int(fields[3]), int(fields[4])) if len(fields) == 5 else (None, None)
            except ValueError as exc:
                raise DatasetError(f"{path} line {number}: {exc}") from exc
            rows.append(Row(name, classes, label, *extra))
    if not rows:
        raise DatasetError(f"{path} lists no input files")
    return rows


class EembcDataset:
    """A directory in the EEMBC performance-dataset format for `workload`."""

    kind = "eembc"

    def __init__(self, root: Path, workload: Workload) -> None:
        self.root = root
        self.workload = workload
        self.rows = read_labels(root / LABELS_FILE, workload)

    def __len__(self) -> int:
        return len(self.rows)

    def describe(self) -> dict:
        return {"kind": self.kind, "root": str(self.root), "count": len(self.rows)}

    def __iter__(self) -> Iterator[Sample]:
        for row in self.rows:
            yield self._read(row)

    def _read(self, row: Row) -> Sample:
        path = self.root / row.file
        try:
            content = path.read_bytes()
        except OSError as exc:
            return bad(row.file, row.label, path, f"cannot read ({exc.strerror or exc})")
        if self.workload.metric == "auc":
            return windowed_sample(row.file, row.label, path, content, row.bytes_to_send or 2560, row.stride or 512)
        spec = self.workload.raw_input
        expected = int(np.prod(spec.shape)) * np.dtype(spec.dtype).itemsize
        if len(content) != expected:
            return bad(row.file, row.label, path, f"{len(content)} bytes, expected {expected} ({spec.description})")
        raw = np.frombuffer(content, dtype=spec.dtype).reshape(spec.shape)
        return Sample(row.file, raw, row.label, source=str(path))


def windowed_sample(sample_id: str, label: int | None, path: Path, content: bytes, window_bytes: int,
                    stride_bytes: int) -> Sample:
    """An ad01 file as its float32 windows (window_bytes every stride_bytes)."""
    if window_bytes % 4 or stride_bytes % 4 or window_bytes <= 0 or stride_bytes <= 0:
        return bad(sample_id, label, path, f"window {window_bytes} B / stride {stride_bytes} B not float32-aligned")
    if len(content) % 4:
        return bad(sample_id, label, path, f"{len(content)} bytes is not a whole number of float32 values")
    if len(content) < window_bytes:
        return bad(sample_id, label, path, f"{len(content)} bytes, shorter than one {window_bytes}-byte window")
    values = np.frombuffer(content, dtype="<f4")
    size, step = window_bytes // 4, stride_bytes // 4
    starts = range(0, values.size - size + 1, step)
    windows = np.stack([values[s:s + size] for s in starts]).astype(np.float32)
    if not np.all(np.isfinite(windows)):
        return bad(sample_id, label, path, "contains NaN or infinite values")
    return Sample(sample_id, windows, label, source=str(path))
