"""CIFAR-10 in both official layouts, converted from planar CHW to interleaved HWC.

- python: `data_batch_1..5`, `test_batch` — pickled dicts with `data` (N×3072 uint8,
  1024 R then 1024 G then 1024 B per image), `labels`, `filenames`;
- binary: `data_batch_1..5.bin`, `test_batch.bin` — records of 1 label byte + 3072 bytes.

The reference training code does `reshape(N, 3, 32, 32).transpose(0, 2, 3, 1)`; so do we.
Pickles from an untrusted folder could run code when loaded, so they are read with an
unpickler that only admits NumPy's array reconstruction.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from tinybench.errors import DatasetError
from tinybench.workloads.datasets.base import Sample

RECORD = 1 + 3072
SPLITS = {"test": ["test_batch"], "train": [f"data_batch_{i}" for i in range(1, 6)]}
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),  # how protocol-2 pickles written by Python 3 carry bytes; it only encodes text
}


class _ArrayOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):  # noqa: ANN201
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a dataset file")
        if module.startswith("numpy.core"):
            module = module.replace("numpy.core", "numpy._core", 1) if hasattr(np, "_core") else module
        return super().find_class(module, name)


def chw_to_hwc(planar: np.ndarray) -> np.ndarray:
    """(N, 3072) planar rows → (N, 32, 32, 3) interleaved, as the reference does."""
    return planar.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)


def find_root(root: Path) -> tuple[Path, str] | None:
    """(folder, 'python' | 'binary') if `root` (or a standard sub-folder) holds CIFAR-10."""
    for folder in (root, root / "cifar-10-batches-py", root / "cifar-10-batches-bin"):
        if (folder / "test_batch").is_file() or (folder / "data_batch_1").is_file():
            return folder, "python"
        if (folder / "test_batch.bin").is_file() or (folder / "data_batch_1.bin").is_file():
            return folder, "binary"
    return None


class Cifar10Dataset:
    kind = "cifar10"

    def __init__(self, root: Path, split: str = "test") -> None:
        found = find_root(root)
        if found is None:
            raise DatasetError(f"{root} holds no CIFAR-10 batches (test_batch or test_batch.bin)")
        if split not in SPLITS:
            raise DatasetError(f"CIFAR-10 has no split '{split}'", hint="use test or train")
        self.root, self.layout = found
        self.split = split
        self.images, self.labels, self.names = self._load()

    def _load(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        images, labels, names = [], [], []
        for batch in SPLITS[self.split]:
            path = self.root / (batch if self.layout == "python" else f"{batch}.bin")
            if not path.is_file():
                raise DatasetError(f"missing CIFAR-10 batch {path}")
            data, lab, nam = (self._python(path) if self.layout == "python" else self._binary(path))
            images.append(data)
            labels.append(lab)
            names.extend(nam)
        return chw_to_hwc(np.concatenate(images)), np.concatenate(labels), names

    @staticmethod
    def _python(path: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
        try:
            batch = _ArrayOnlyUnpickler(io.BytesIO(path.read_bytes()), encoding="bytes").load()
            data = np.asarray(batch[b"data"], dtype=np.uint8)
            labels = np.asarray(batch[b"labels"], dtype=np.int64)
            names = [n.decode("utf-8", "replace") if isinstance(n, bytes) else str(n)
                     for n in batch.get(b"filenames", [])]
        except (pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DatasetError(f"{path} is not a CIFAR-10 python batch: {exc}") from exc
        if data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
            raise DatasetError(f"{path}: data {data.shape} / {len(labels)} labels; expected N×3072 and N labels")
        if not names:
            names = [f"{path.name}#{i:05d}" for i in range(len(data))]
        return data, labels, names

    @staticmethod
    def _binary(path: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
        content = path.read_bytes()
        if len(content) % RECORD:
            raise DatasetError(f"{path} is {len(content)} bytes, not a whole number of {RECORD}-byte records",
                               hint="the file is truncated; download it again")
        records = np.frombuffer(content, dtype=np.uint8).reshape(-1, RECORD)
        return records[:, 1:], records[:, 0].astype(np.int64), [f"{path.name}#{i:05d}" for i in range(len(records))]

    def __len__(self) -> int:
        return len(self.labels)

    def describe(self) -> dict:
        return {"kind": self.kind, "layout": self.layout, "split": self.split, "root": str(self.root),
                "count": len(self)}

    def __iter__(self) -> Iterator[Sample]:
        for image, label, name in zip(self.images, self.labels, self.names):
            if not 0 <= label <= 9:
                yield Sample(name, None, int(label), error=f"{name}: label {label} outside 0..9")
                continue
            yield Sample(name, np.ascontiguousarray(image), int(label), source=str(self.root))
