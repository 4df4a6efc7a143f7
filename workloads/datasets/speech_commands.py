"""Speech Commands v2 for kws01: 16 kHz WAVs → 49×10 int8 MFCC (the reference front end).

Labels as TensorFlow Datasets' `speech_commands` (which the reference training uses):
the 10 words `down go left no off on right stop up yes`, `_silence_`, and `_unknown_` for
every other word. Two layouts:

- the **test archive** (`speech_commands_test_set_v0.02`): folders for the 10 words,
  `_silence_` and `_unknown_` — the reference test split; every file is used;
- the **main archive** (`speech_commands_v0.02`): one folder per word plus
  `validation_list.txt`, `testing_list.txt` and `_background_noise_/`. Split `test` =
  the files in `testing_list.txt` (this archive has no silence clips for it); `validation`
  = `validation_list.txt` plus `_background_noise_/running_tap.wav` cut into 1-s silence
  clips every 0.5 s (as TFDS does); `train` = everything else, other noise files cut the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from tinybench.errors import DatasetError
from tinybench.workloads.datasets.base import Sample, bad
from tinybench.workloads.datasets.wav import WavError, read_pcm16
from tinybench.workloads.kws_frontend import SAMPLE_RATE, audio_to_features
from tinybench.workloads.spec import Workload

WORDS = ("down", "go", "left", "no", "off", "on", "right", "stop", "up", "yes")
SILENCE, UNKNOWN, NOISE = "_silence_", "_unknown_", "_background_noise_"
VALIDATION_NOISE = "running_tap.wav"


def label_of(folder: str) -> int:
    if folder in WORDS:
        return WORDS.index(folder)
    if folder in (SILENCE, NOISE):
        return 10
    return 11


def looks_like(root: Path) -> bool:
    return (root / "testing_list.txt").is_file() or (root / SILENCE).is_dir() or (root / UNKNOWN).is_dir() or \
        any((root / w).is_dir() for w in WORDS)


class SpeechCommandsDataset:
    kind = "speech-commands"

    def __init__(self, root: Path, workload: Workload, split: str = "test") -> None:
        self.root = root
        self.quantization = workload.input.quantization
        self.split = split
        if split not in ("test", "validation", "train"):
            raise DatasetError(f"Speech Commands has no split '{split}'", hint="use test, validation or train")
        self.entries = self._entries()  # (relative path, label, noise start sample or None)
        if not self.entries:
            raise DatasetError(f"{root}: no WAV files for split '{split}'")

    def _entries(self) -> list[tuple[str, int, int | None]]:
        root = self.root
        if not (root / "testing_list.txt").is_file():  # test-archive layout: folder = label
            if self.split != "test":
                raise DatasetError(f"{root} has no testing_list.txt/validation_list.txt, so only split 'test'")
            return [(p.relative_to(root).as_posix(), label_of(p.parent.name), None)
                    for p in sorted(root.glob("*/*.wav")) if p.parent.name != NOISE]
        listed = {name: self._list(name) for name in ("testing_list.txt", "validation_list.txt")}
        if self.split == "test":
            files = sorted(listed["testing_list.txt"])
        elif self.split == "validation":
            files = sorted(listed["validation_list.txt"])
        else:
            held_out = listed["testing_list.txt"] | listed["validation_list.txt"]
            files = sorted(p.relative_to(root).as_posix() for p in root.glob("*/*.wav")
                           if p.parent.name != NOISE and p.relative_to(root).as_posix() not in held_out)
        entries = [(f, label_of(f.split("/")[0]), None) for f in files]
        for noise in sorted((root / NOISE).glob("*.wav")) if self.split != "test" else []:
            if (noise.name == VALIDATION_NOISE) != (self.split == "validation"):
                continue
            entries.extend((f"{NOISE}/{noise.name}", 10, start) for start in self._noise_starts(noise))
        return entries

    def _list(self, name: str) -> set[str]:
        path = self.root / name
        if not path.is_file():
            raise DatasetError(f"missing {path}", hint="the main Speech Commands archive has testing_list.txt "
                               "and validation_list.txt at its top level")
        return {line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}

    @staticmethod
    def _noise_starts(path: Path) -> range:
        try:
            frames = len(read_pcm16(path, SAMPLE_RATE))
        except WavError as exc:
            raise DatasetError(f"{path}: {exc}") from exc
        return range(0, frames - SAMPLE_RATE, SAMPLE_RATE // 2)

    def __len__(self) -> int:
        return len(self.entries)

    def describe(self) -> dict:
        return {"kind": self.kind, "root": str(self.root), "split": self.split, "count": len(self)}

    def __iter__(self) -> Iterator[Sample]:
        for rel, label, start in self.entries:
            sample_id = rel if start is None else f"{rel}#{start}"
            path = self.root / rel
            try:
                audio = read_pcm16(path, SAMPLE_RATE)
            except (WavError, OSError) as exc:
                yield bad(sample_id, label, path, str(exc))
                continue
            if start is not None:
                audio = audio[start:start + SAMPLE_RATE]
            yield Sample(sample_id, audio_to_features(audio, self.quantization), label, source=str(path))


def wav_features(path: Path, workload: Workload) -> np.ndarray:
    """One WAV file → the kws01 int8 model input (49×10×1), or a DatasetError naming it."""
    try:
        return audio_to_features(read_pcm16(path, SAMPLE_RATE), workload.input.quantization)
    except (WavError, OSError) as exc:
        raise DatasetError(f"{path}: {exc}") from exc
