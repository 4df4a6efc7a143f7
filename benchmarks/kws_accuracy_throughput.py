"""kws01 accuracy-mode throughput on the host: features precomputed (.bin) vs from WAV.

Writes N synthetic 1-s clips as a Speech Commands test-archive folder, exports them to
the EEMBC format (precomputed int8 MFCC .bin files), then times accuracy mode over both
datasets in the same process and splits each run into pre-processing (reading the
dataset: file I/O, WAV decode, MFCC) and the rest (quantization, inference, scoring).

    python benchmarks/kws_accuracy_throughput.py [--inputs 1000]

Uses the official model when TINYBENCH_REFERENCE_DIR (or the cache) has it, else the
built-in one (the timing does not depend on the weights; the accuracy figure is then
meaningless and not printed).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

from tinybench.errors import ModelError
from tinybench.modes.accuracy import run_accuracy
from tinybench.progress import NullProgress
from tinybench.targets import create_target
from tinybench.workloads import get_workload
from tinybench.workloads.builtin_models import builtin_model
from tinybench.workloads.datasets import open_dataset
from tinybench.workloads.datasets.export import export_eembc
from tinybench.workloads.reference_models import reference_model

WORDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go", "_unknown_", "_silence_")


def write_clips(root: Path, count: int) -> None:
    rng = np.random.default_rng(0)
    t = np.arange(16000) / 16000
    for i in range(count):
        word = WORDS[i % len(WORDS)]
        f0 = rng.uniform(100, 400)
        audio = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6)) * 6000 * np.exp(-((t - 0.5) ** 2) / 0.03)
        audio = np.clip(audio + rng.normal(0, 300, t.size), -32768, 32767).astype("<i2")
        path = root / word / f"clip{i:05d}_nohash_0.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        with wave.open(str(path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(16000)
            wav.writeframes(audio.tobytes())


def timed(fn):  # noqa: ANN001, ANN201
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inputs", type=int, default=1000)
    args = parser.parse_args()
    w = get_workload("kws01")
    try:
        model, trained = reference_model(w), True
    except ModelError:
        model, trained = builtin_model(w), False
    with tempfile.TemporaryDirectory() as tmp:
        wav_dir, bin_dir = Path(tmp) / "wav", Path(tmp) / "bin"
        write_clips(wav_dir, args.inputs)
        _, export_s = timed(lambda: export_eembc(w, open_dataset(w, wav_dir), bin_dir))
        target = create_target("host")
        target.load(model)
        print(f"model: {model.source}; {args.inputs} inputs; export to .bin took {export_s:.2f} s")
        print(f"{'dataset':22} {'total s':>8} {'inputs/s':>9} {'pre-proc s':>10} {'pre-proc share':>15}")
        for label, root in (("precomputed .bin", bin_dir), ("WAV → MFCC", wav_dir)):
            _, read_s = timed(lambda r=root: sum(1 for _ in open_dataset(w, r)))  # pre-processing alone
            samples = list(open_dataset(w, root))
            outcome, infer_s = timed(lambda s=samples: run_accuracy(target, w, model, s, len(s), NullProgress()))
            total = read_s + infer_s
            top1 = f"  top-1 {outcome.metrics['top1'].value:.3f}" if trained else ""
            print(f"{label:22} {total:8.2f} {args.inputs / total:9.0f} {read_s:10.2f} {read_s / total:15.1%}{top1}")


if __name__ == "__main__":
    main()
