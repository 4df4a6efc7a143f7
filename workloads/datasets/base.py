"""The dataset record and protocol shared by all readers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Sample:
    """One labelled input in the workload's raw domain (e.g. 96×96×3 uint8, 49×10×1 int8).

    For ad01 `raw` holds all windows of a file, shape (windows, 640) float32.
    `error` is set (and `raw` is None) when the file could not be read.
    """

    sample_id: str
    raw: np.ndarray | None
    label: int | None
    error: str | None = None
    source: str | None = None  # the file it came from


class Dataset(Protocol):
    kind: str
    root: Path

    def __iter__(self) -> Iterator[Sample]: ...
    def __len__(self) -> int: ...
    def describe(self) -> dict: ...


def bad(sample_id: str, label: int | None, path: Path, problem: str) -> Sample:
    """A sample that could not be read, with the file and the reason."""
    return Sample(sample_id, None, label, error=f"{path}: {problem}", source=str(path))
