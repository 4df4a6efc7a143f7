"""`tinybench data export-eembc`: raw dataset → EEMBC `.bin` files + `y_labels.csv`.

The official `.bin` files are not redistributable; this writes the same format from
the raw datasets: ic01/ic02 3072-byte uint8 HWC, vww01 27648-byte uint8 HWC, kws01
490-byte int8 MFCC (the reference front end), ad01 the 102400-byte spectrogram file
itself with `bytes_to_send=2560, stride=512`. Files are written atomically; samples
that cannot be read are reported, not exported.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tinybench.bundle import atomic_write_bytes
from tinybench.errors import DatasetError
from tinybench.workloads.datasets.base import Dataset, Sample
from tinybench.workloads.spec import Workload

# The label names the reference uses in kws01 file names (tst_000000_Stop_7.bin).
KWS_FILE_LABELS = ("Down", "Go", "Left", "No", "Off", "On", "Right", "Stop", "Up", "Yes", "Silence", "Unknown")


@dataclass
class ExportReport:
    written: int = 0
    skipped: list[str] = field(default_factory=list)
    labels_file: Path | None = None


def file_name(workload: Workload, sample: Sample, index: int) -> str:
    if workload.id == "kws01":
        return f"tst_{index:06d}_{KWS_FILE_LABELS[sample.label]}_{sample.label}.bin"
    stem = Path(sample.sample_id.replace("#", "_")).name
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", stem)
    stem = stem[: -len(Path(stem).suffix)] if Path(stem).suffix.lower() in (".png", ".jpg", ".jpeg", ".bin",
                                                                           ".wav", ".bmp") else stem
    return f"{stem}.bin"


def export_eembc(workload: Workload, dataset: Dataset, out_dir: Path, limit: int | None = None,
                 on_sample: Callable[[], None] | None = None) -> ExportReport:
    out_dir.mkdir(parents=True, exist_ok=True)
    labels_path = out_dir / "y_labels.csv"
    if labels_path.exists():
        raise DatasetError(f"{labels_path} already exists", hint="export into an empty folder")
    report = ExportReport()
    rows: list[list] = []
    used: set[str] = set()
    for sample in dataset:
        if limit is not None and report.written >= limit:
            break
        if on_sample:
            on_sample()
        if sample.error is not None or sample.raw is None or sample.label is None:
            report.skipped.append(sample.error or f"{sample.sample_id}: no label")
            continue
        name = file_name(workload, sample, report.written)
        base, n = name[:-4], 1
        while name in used:
            n += 1
            name = f"{base}_{n}.bin"
        used.add(name)
        if workload.metric == "auc":
            content = Path(sample.source).read_bytes()
            rows.append([name, len(workload.labels), sample.label, 2560, 512])
        else:
            content = sample.raw.astype(workload.raw_input.dtype, copy=False).tobytes()
            rows.append([name, len(workload.labels), sample.label])
        atomic_write_bytes(out_dir / name, content)
        report.written += 1
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    atomic_write_bytes(labels_path, buffer.getvalue().encode("utf-8"))
    report.labels_file = labels_path
    return report
