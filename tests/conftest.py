"""Shared fixtures.

Tests that need the official reference files or TensorFlow skip when those are
absent on a developer's machine — but `.ci/run` sets TINYBENCH_REQUIRE_ALL=1, and
then a missing prerequisite fails the test instead, so CI can never skip them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import csv
import pickle
import wave

import numpy as np
import pytest

from tinybench.workloads import get_workload

REQUIRE_ALL = os.environ.get("TINYBENCH_REQUIRE_ALL") == "1"


def _unavailable(reason: str) -> None:
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (TINYBENCH_REQUIRE_ALL=1: this test must run here)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The official MLPerf Tiny files (`TINYBENCH_REFERENCE_DIR`, ../shared/reference in CI)."""
    value = os.environ.get("TINYBENCH_REFERENCE_DIR")
    if not value:
        _unavailable("TINYBENCH_REFERENCE_DIR is not set")
    path = Path(value).resolve()
    if not (path / "models").is_dir():
        _unavailable(f"TINYBENCH_REFERENCE_DIR={value} has no models/ folder")
    return path


@pytest.fixture(scope="session")
def tensorflow():
    """TensorFlow (the train extra)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    try:
        import tensorflow as tf
    except ImportError:
        _unavailable("TensorFlow (the train extra) is not installed")
    return tf


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """A real headless Chromium (Debian's /usr/bin/chromium, or $TINYBENCH_CHROMIUM) through Playwright."""
    path = os.environ.get("TINYBENCH_CHROMIUM", "/usr/bin/chromium")
    if not Path(path).exists():
        _unavailable(f"no Chromium at {path} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (the dev extra)")
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment for running the real `tinybench` CLI in a subprocess."""
    env = dict(os.environ)
    env["TINYBENCH_CACHE"] = str(tmp_path / "cache")
    env["COLUMNS"] = "200"
    return env


@pytest.fixture
def tinybench_cmd() -> list[str]:
    return [sys.executable, "-m", "tinybench"]


def _sigint_default() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def ctrl_c_works():
    """`preexec_fn` for a child a test sends SIGINT (Ctrl-C): its default action restored. A shell runs a
    command started in the background (`pytest … &`) with SIGINT ignored, children inherit that, and Python then
    installs no KeyboardInterrupt handler: the child would not notice the test's Ctrl-C at all."""
    return _sigint_default


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


# --- builders of small real-format datasets, written on the fly into tmp_path ---


def write_wav(path: Path, samples: np.ndarray, rate: int = 16000, channels: int = 1) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.asarray(samples, dtype="<i2")
    if channels > 1 and data.ndim == 1:
        data = np.repeat(data[:, None], channels, axis=1)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(data.tobytes())
    return path


def spoken_like(rng: np.random.Generator, seconds: float = 1.0, rate: int = 16000) -> np.ndarray:
    """A tone burst in noise: speech-like enough to give varied MFCCs."""
    t = np.arange(int(seconds * rate)) / rate
    f0 = rng.uniform(120, 400)
    envelope = np.exp(-((t - rng.uniform(0.3, 0.7)) ** 2) / 0.02)
    voice = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6)) * envelope
    audio = 6000 * voice + rng.normal(0, 300, t.size)
    return np.clip(audio, -32768, 32767).astype(np.int16)


@pytest.fixture
def wav_writer():
    """write_wav(path, samples, rate=16000, channels=1) for tests that craft their own WAVs."""
    return write_wav


@pytest.fixture
def eembc_dir(tmp_path, rng):
    """make(workload_id, count) → an EEMBC folder with y_labels.csv and .bin files."""

    def make(workload_id: str, count: int = 6) -> Path:
        w = get_workload(workload_id)
        root = tmp_path / f"eembc-{workload_id}"
        root.mkdir()
        rows = []
        for i in range(count):
            label = i % len(w.labels)
            name = f"sample_{i:03d}.bin"
            if w.metric == "auc":
                data = rng.normal(-30, 10, (200, 128)).astype("<f4")
                rows.append([name, 2, label, 2560, 512])
            else:
                data = w.synthetic_raw(rng)
                rows.append([name, len(w.labels), label])
            (root / name).write_bytes(data.tobytes())
        with (root / "y_labels.csv").open("w", newline="") as fh:
            csv.writer(fh).writerows(rows)
        return root

    return make


@pytest.fixture
def cifar_dir(tmp_path, rng):
    """make(layout, count) → CIFAR-10 'python' (pickle) or 'binary' batches; returns (root, images HWC, labels)."""

    def make(layout: str = "python", count: int = 12):
        root = tmp_path / f"cifar-{layout}"
        root.mkdir()
        images = rng.integers(0, 256, (count, 32, 32, 3), dtype=np.uint8)
        labels = np.arange(count) % 10
        planar = images.transpose(0, 3, 1, 2).reshape(count, 3072)  # the official CHW rows
        if layout == "python":
            batch = {b"batch_label": b"testing batch 1 of 1", b"labels": labels.tolist(), b"data": planar,
                     b"filenames": [f"img_{i:04d}.png".encode() for i in range(count)]}
            (root / "test_batch").write_bytes(pickle.dumps(batch, protocol=2))
        else:
            records = np.concatenate([labels[:, None].astype(np.uint8), planar], axis=1)
            (root / "test_batch.bin").write_bytes(records.tobytes())
        return root, images, labels

    return make


@pytest.fixture
def speech_commands_dir(tmp_path, rng):
    """make(layout) → Speech Commands 'test' (test archive) or 'main' (lists + noise) layout."""

    def make(layout: str = "test", per_word: int = 1) -> Path:
        root = tmp_path / f"speech-{layout}"
        words = ["yes", "no", "on", "marvin", "dog"]
        files = []
        for word in words:
            for i in range(per_word):
                rel = f"{word}/{i:08x}_nohash_0.wav"
                write_wav(root / rel, spoken_like(rng))
                files.append(rel)
        if layout == "test":
            for folder in ("_silence_", "_unknown_"):
                write_wav(root / folder / "clip_0.wav", spoken_like(rng) // 20)
        else:
            (root / "testing_list.txt").write_text("\n".join(files[::2]) + "\n")
            (root / "validation_list.txt").write_text("\n".join(files[1::2]) + "\n")
            write_wav(root / "_background_noise_" / "running_tap.wav", rng.normal(0, 500, 40000).astype(np.int16))
            write_wav(root / "_background_noise_" / "white_noise.wav", rng.normal(0, 500, 24000).astype(np.int16))
        return root

    return make


@pytest.fixture
def image_folder_dir(tmp_path, rng):
    """make(count_per_class) → person/ and non_person/ folders of varied images."""
    from PIL import Image

    def make(per_class: int = 3) -> Path:
        root = tmp_path / "vww"
        for cls in ("person", "non_person"):
            (root / cls).mkdir(parents=True)
            for i in range(per_class):
                size = [(120, 90), (96, 96), (64, 80)][i % 3]
                pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
                img = Image.fromarray(pixels)
                if i % 3 == 1:
                    img = img.convert("L")
                img.save(root / cls / f"img_{i}.{'png' if i % 2 else 'jpg'}")
        return root

    return make


@pytest.fixture
def spectrogram_dir(tmp_path, rng):
    """make(normal, anomaly) → normal_*.bin / anomaly_*.bin files of 200×128 float32."""

    def make(normal: int = 4, anomaly: int = 4) -> Path:
        root = tmp_path / "ad01"
        root.mkdir()
        for i in range(normal):
            (root / f"normal_id_01_{i:08d}_hist_librosa.bin").write_bytes(
                rng.normal(-30, 8, (200, 128)).astype("<f4").tobytes())
        for i in range(anomaly):
            (root / f"anomaly_id_01_{i:08d}_hist_librosa.bin").write_bytes(
                rng.normal(-20, 16, (200, 128)).astype("<f4").tobytes())
        return root

    return make


@pytest.fixture
def kitti_dir(tmp_path, rng):
    """make(images) → a KITTI object folder: 1242×375 PNGs with cars and pedestrians drawn as
    rectangles, their label lines (15 fields), a DontCare region, and a split file."""
    from PIL import Image, ImageDraw

    def line(kind, box, truncated=0.0, occluded=0):
        return f"{kind} {truncated:.2f} {occluded} -1.57 {box[0]:.2f} {box[1]:.2f} {box[2]:.2f} {box[3]:.2f} " \
               "1.50 1.60 3.90 1.00 1.70 20.00 -1.50"

    def make(images: int = 8) -> Path:
        root = tmp_path / "kitti"
        (root / "image_2").mkdir(parents=True)
        (root / "label_2").mkdir()
        for i in range(images):
            img = Image.fromarray(rng.integers(20, 60, (375, 1242, 3), dtype=np.uint8))
            draw = ImageDraw.Draw(img)
            lines = []
            for _ in range(int(rng.integers(1, 4))):
                x, y = float(rng.uniform(50, 1000)), float(rng.uniform(150, 250))
                w, h = float(rng.uniform(90, 200)), float(rng.uniform(45, 90))
                draw.rectangle([x, y, x + w, y + h], fill=(200, 40, 40))
                lines.append(line("Car", (x, y, x + w, y + h)))
            x, y = float(rng.uniform(50, 1100)), float(rng.uniform(120, 200))
            draw.rectangle([x, y, x + 30, y + 80], fill=(40, 200, 40))
            lines.append(line("Pedestrian", (x, y, x + 30, y + 80), occluded=1))
            lines.append("DontCare -1 -1 -10 1100.00 100.00 1240.00 160.00 -1 -1 -1 -1000 -1000 -1000 -10")
            img.save(root / "image_2" / f"{i:06d}.png")
            (root / "label_2" / f"{i:06d}.txt").write_text("\n".join(lines) + "\n")
        (root / "val.txt").write_text("\n".join(f"{i:06d}" for i in range(0, images, 2)) + "\n")
        return root

    return make
