"""`--data DIR` → the right reader for the workload, by what the folder holds."""

from __future__ import annotations

from pathlib import Path

from tinybench.errors import DatasetError
from tinybench.workloads.datasets.base import Dataset
from tinybench.workloads.spec import Workload

LAYOUTS = {
    "vww01": "an EEMBC folder (y_labels.csv + .bin) or image folders person/ and non_person/",
    "kws01": "an EEMBC folder, or Speech Commands v2 (test archive, or main archive with testing_list.txt)",
    "ic01": "an EEMBC folder, or CIFAR-10 python or binary batches",
    "ic02": "an EEMBC folder, or CIFAR-10 python or binary batches",
    "ad01": "an EEMBC folder, or a folder of normal_*/anomaly_* .bin spectrogram files",
    "det01": "a KITTI object folder (image_2/ and label_2/)",
    "sww01": "a truth JSON in MLPerf Tiny's format (sww_long_test.json) with its .wav streams beside it",
}


def open_dataset(workload: Workload, root: Path, split: str = "test") -> Dataset:
    """Open `root` for `workload`; `root/<workload id>/` is used when present."""
    root = Path(root).expanduser()
    if "sww-stream" in workload.datasets:  # a truth JSON and its wavs (a folder or the JSON itself)
        from tinybench.workloads.datasets.sww_stream import open_stream_dataset

        return open_stream_dataset(root / workload.id if (root / workload.id).is_dir() else root)
    if not root.exists():
        raise DatasetError(f"dataset folder not found: {root}")
    if not root.is_dir():
        raise DatasetError(f"--data must be a folder, got the file {root}")
    if (root / workload.id).is_dir():
        root = root / workload.id
    if workload.id == "det01":
        from tinybench.workloads.datasets.kitti import KittiDataset

        return KittiDataset(root, split)
    if (root / "y_labels.csv").exists():
        from tinybench.workloads.datasets.eembc import EembcDataset

        return EembcDataset(root, workload)
    if workload.id in ("ic01", "ic02"):
        from tinybench.workloads.datasets.cifar10 import Cifar10Dataset, find_root

        if find_root(root):
            return Cifar10Dataset(root, split)
    if workload.id == "kws01":
        from tinybench.workloads.datasets.speech_commands import SpeechCommandsDataset, looks_like

        if looks_like(root):
            return SpeechCommandsDataset(root, workload, split)
    if workload.id == "vww01" and any((root / c).is_dir() for c in workload.labels):
        from tinybench.workloads.datasets.image_folder import ImageFolderDataset

        return ImageFolderDataset(root, workload)
    if workload.id == "ad01" and any(root.glob("*.bin")):
        from tinybench.workloads.datasets.toyadmos import SpectrogramFolderDataset

        return SpectrogramFolderDataset(root)
    if workload.id != "ad01" and any(root.glob("*.bin")):
        raise DatasetError(f"missing label file {root / 'y_labels.csv'}",
                           hint="an EEMBC dataset folder lists its .bin files with their classes in y_labels.csv")
    expected = LAYOUTS.get(workload.id, "an EEMBC folder with y_labels.csv")
    raise DatasetError(f"{root} is not a dataset tinybench can read for {workload.id}", hint=f"expected {expected}")
