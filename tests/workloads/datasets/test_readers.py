"""Dataset readers on small real-format fixtures, including broken files."""

import pickle

import numpy as np
import pytest

from tinybench.errors import DatasetError
from tinybench.workloads import get_workload
from tinybench.workloads.datasets import open_dataset
from tinybench.workloads.datasets.cifar10 import Cifar10Dataset


@pytest.mark.parametrize("workload_id", ["vww01", "kws01", "ic01", "ic02", "ad01"])
def test_eembc_folder_round_trips_raw_bytes(workload_id, eembc_dir):
    w = get_workload(workload_id)
    root = eembc_dir(workload_id, count=4)
    samples = list(open_dataset(w, root))
    assert [s.sample_id for s in samples] == [f"sample_{i:03d}.bin" for i in range(4)]
    for i, s in enumerate(samples):
        assert s.error is None and s.label == i % len(w.labels)
        content = (root / s.sample_id).read_bytes()
        if w.metric == "auc":
            assert s.raw.shape == (196, 640)  # (102400 − 2560) / 512 + 1 windows
            floats = np.frombuffer(content, "<f4")
            assert np.array_equal(s.raw[0], floats[:640]) and np.array_equal(s.raw[1], floats[128:768])
        else:
            assert s.raw.tobytes() == content and s.raw.shape == w.raw_input.shape


def test_eembc_truncated_and_missing_files_are_named_samples(eembc_dir):
    root = eembc_dir("ic01", count=3)
    (root / "sample_001.bin").write_bytes(b"\x00" * 100)
    (root / "sample_002.bin").unlink()
    samples = list(open_dataset(get_workload("ic01"), root))
    assert samples[0].error is None
    assert "sample_001.bin: 100 bytes, expected 3072" in samples[1].error
    assert "sample_002.bin: cannot read" in samples[2].error


@pytest.mark.parametrize(("line", "message"), [
    ("a.bin,10", "expected 3 or 5 fields"),
    ("a.bin,10,x", "invalid literal"),
    ("a.bin,10,12", "class 12 outside 0..9"),
    ("../etc/passwd,10,1", "bad file name"),
    ("a.bin,12,1", "12 classes, but ic01 has 10"),
])
def test_eembc_malformed_label_lines_are_errors_with_line_numbers(tmp_path, line, message):
    (tmp_path / "y_labels.csv").write_text(f"ok.bin,10,1\n{line}\n")
    with pytest.raises(DatasetError, match=f"y_labels.csv line 2: .*{message}"):
        open_dataset(get_workload("ic01"), tmp_path)


def test_missing_label_file_is_named(eembc_dir):
    root = eembc_dir("kws01", count=2)
    (root / "y_labels.csv").unlink()
    with pytest.raises(DatasetError, match="missing label file .*y_labels.csv"):
        open_dataset(get_workload("kws01"), root)


def test_unknown_layout_explains_what_is_expected(tmp_path):
    (tmp_path / "readme.txt").write_text("hello")
    with pytest.raises(DatasetError, match="not a dataset tinybench can read for kws01.*Speech Commands"):
        open_dataset(get_workload("kws01"), tmp_path)
    with pytest.raises(DatasetError, match="not found"):
        open_dataset(get_workload("kws01"), tmp_path / "nope")


@pytest.mark.parametrize("layout", ["python", "binary"])
def test_cifar_batches_become_interleaved_hwc(layout, cifar_dir):
    root, images, labels = cifar_dir(layout, count=12)
    samples = list(open_dataset(get_workload("ic01"), root))
    assert len(samples) == 12
    for sample, image, label in zip(samples, images, labels):
        assert sample.label == label and np.array_equal(sample.raw, image)
    if layout == "python":
        assert samples[0].sample_id == "img_0000.png"


def test_cifar_pixel_layout_matches_the_reference_transpose(cifar_dir):
    root, images, _ = cifar_dir("binary", count=1)
    raw = (root / "test_batch.bin").read_bytes()
    r, g, b = raw[1], raw[1 + 1024], raw[1 + 2048]  # planar: first R, first G, first B
    sample = next(iter(open_dataset(get_workload("ic01"), root)))
    assert tuple(sample.raw[0, 0]) == (r, g, b)


def test_cifar_truncated_binary_batch_is_an_error(cifar_dir):
    root, _, _ = cifar_dir("binary", count=3)
    path = root / "test_batch.bin"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DatasetError, match="test_batch.bin is .* not a whole number of 3073-byte records"):
        open_dataset(get_workload("ic01"), root)


def test_cifar_pickle_cannot_run_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    (tmp_path / "test_batch").write_bytes(pickle.dumps({b"data": Evil()}, protocol=2))
    with pytest.raises(DatasetError, match="refusing to load (__builtin__|builtins).print"):
        Cifar10Dataset(tmp_path)


def test_speech_commands_test_archive_labels(speech_commands_dir):
    root = speech_commands_dir("test")
    ds = open_dataset(get_workload("kws01"), root)
    by_id = {s.sample_id: s for s in ds}
    labels = {k.split("/")[0]: s.label for k, s in by_id.items()}
    assert labels == {"yes": 9, "no": 3, "on": 5, "marvin": 11, "dog": 11, "_silence_": 10, "_unknown_": 11}
    for s in by_id.values():
        assert s.raw.shape == (49, 10, 1) and s.raw.dtype == np.int8


def test_speech_commands_main_archive_splits(speech_commands_dir):
    root = speech_commands_dir("main", per_word=2)
    w = get_workload("kws01")
    test = {s.sample_id for s in open_dataset(w, root, "test")}
    validation = [s for s in open_dataset(w, root, "validation")]
    train = {s.sample_id for s in open_dataset(w, root, "train")}
    listed_test = set((root / "testing_list.txt").read_text().split())
    assert test == listed_test
    # running_tap.wav (40000 samples) → silence clips starting at 0, 8000, 16000 (start < 40000 − 16000)
    silence = [s for s in validation if s.label == 10]
    assert [s.sample_id for s in silence] == [f"_background_noise_/running_tap.wav#{n}" for n in (0, 8000, 16000)]
    assert not test & train and not {s.sample_id for s in validation} & train
    assert "_background_noise_/white_noise.wav#0" in train  # 24000 samples → one clip


def test_speech_commands_missing_list_is_an_error(speech_commands_dir):
    root = speech_commands_dir("main")
    (root / "validation_list.txt").unlink()
    with pytest.raises(DatasetError, match="missing .*validation_list.txt"):
        open_dataset(get_workload("kws01"), root, "validation")


def test_wrong_wavs_are_reported_by_name(speech_commands_dir, wav_writer, rng):
    root = speech_commands_dir("test")
    wav_writer(root / "yes" / "rate8k.wav", rng.normal(0, 1000, 8000), rate=8000)
    wav_writer(root / "no" / "stereo.wav", np.stack([rng.normal(0, 900, 16000), rng.normal(0, 900, 16000)], 1),
               channels=2)
    wav_writer(root / "on" / "dualmono.wav", rng.normal(0, 900, 16000), channels=2)  # identical channels: fine
    (root / "up").mkdir()
    (root / "up" / "junk.wav").write_bytes(b"RIFF....WAVEjunk")
    samples = {s.sample_id: s for s in open_dataset(get_workload("kws01"), root)}
    assert "sample rate 8000 Hz; expected 16000 Hz" in samples["yes/rate8k.wav"].error
    assert "rate8k.wav" in samples["yes/rate8k.wav"].error
    assert "2 channels that differ; expected mono" in samples["no/stereo.wav"].error
    assert samples["on/dualmono.wav"].error is None
    assert "not a readable PCM WAV" in samples["up/junk.wav"].error


def test_vww_images_are_rgb_96_nearest(image_folder_dir):
    from PIL import Image

    root = image_folder_dir(per_class=3)
    samples = list(open_dataset(get_workload("vww01"), root))
    assert len(samples) == 6
    assert [s.label for s in samples] == [0, 0, 0, 1, 1, 1]  # non_person first (label 0)
    for s in samples:
        assert s.error is None and s.raw.shape == (96, 96, 3) and s.raw.dtype == np.uint8
        with Image.open(s.source) as img:
            expected = np.asarray(img.convert("RGB").resize((96, 96), Image.NEAREST))
        assert np.array_equal(s.raw, expected)


def test_undecodable_image_is_reported(image_folder_dir):
    root = image_folder_dir(per_class=2)
    (root / "person" / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    samples = list(open_dataset(get_workload("vww01"), root))
    broken = [s for s in samples if s.error]
    assert len(samples) == 5 and len(broken) == 1
    assert "person/broken.jpg: cannot decode image" in broken[0].error


def test_spectrogram_folder(spectrogram_dir):
    root = spectrogram_dir(2, 3)
    (root / "anomaly_id_01_00000099_hist_librosa.bin").write_bytes(b"\x00" * 1000)
    samples = list(open_dataset(get_workload("ad01"), root))
    assert [s.label for s in samples] == [1, 1, 1, 1, 0, 0]
    assert sum(s.error is not None for s in samples) == 1
    assert "1000 bytes, expected 102400" in next(s.error for s in samples if s.error)
