"""Deterministic synthetic inputs that match a workload's raw input spec.

For performance, spin-up and energy runs with no dataset at hand. The same workload
always yields the same samples (seeded from the workload id), on every machine.
They have no labels and are never used for accuracy.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import numpy as np

from tinybench.workloads.datasets.base import Sample
from tinybench.workloads.spec import Workload


def stable_seed(text: str) -> int:
    """A seed derived from `text` that does not depend on Python's hash randomization."""
    return zlib.crc32(text.encode("utf-8"))


class SyntheticDataset:
    """`count` seeded random raw samples for `workload`."""

    kind = "synthetic"
    root = None

    def __init__(self, workload: Workload, count: int, seed: int | None = None) -> None:
        self.workload = workload
        self.count = count
        self.seed = stable_seed(workload.id) if seed is None else seed

    def __iter__(self) -> Iterator[Sample]:
        rng = np.random.default_rng(self.seed)
        for i in range(self.count):
            yield Sample(f"synthetic-{i:04d}", self.workload.synthetic_raw(rng), label=None)

    def __len__(self) -> int:
        return self.count

    def describe(self) -> dict:
        return {"kind": self.kind, "seed": self.seed, "count": self.count}
