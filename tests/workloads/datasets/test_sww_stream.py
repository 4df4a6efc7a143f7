"""sww01 stream datasets: truth files in the official format, read strictly."""

import json

import numpy as np
import pytest

from tinybench.errors import DatasetError
from tinybench.workloads import get_workload
from tinybench.workloads.datasets import open_dataset
from tinybench.workloads.datasets.sww_stream import StreamDataset, open_stream_dataset, read_stream_wav

SWW = get_workload("sww01")


def make_stream(folder, wav_writer, truth=None, samples=None, channels=2, name="stream.wav"):
    folder.mkdir(parents=True, exist_ok=True)
    samples = np.arange(16000 * 2, dtype=np.int64) % 2000 - 1000 if samples is None else samples
    wav_writer(folder / name, samples, channels=channels)
    truth = truth if truth is not None else [{"wav_file": name, "sample_rate": 16000, "length_sec": 2.0,
                                              "detection_windows": [[0.5, 1.1]]}]
    (folder / "truth.json").write_text(json.dumps(truth))
    return folder


def test_reads_the_official_format(tmp_path, wav_writer):
    folder = make_stream(tmp_path / "s", wav_writer)
    dataset = open_dataset(SWW, folder)
    assert isinstance(dataset, StreamDataset) and dataset.truth_file.name == "truth.json"
    (stream,) = dataset.streams
    assert stream.windows == ((0.5, 1.1),) and stream.length_s == 2.0
    audio = dataset.audio(stream)
    assert audio.samples.dtype == np.int16 and audio.samples.size == 32000 and audio.channels == 2
    assert len(audio.sha256) == 64
    first = next(iter(dataset))  # timing modes take feature windows of the stream
    assert first.raw.shape == (30, 1, 40) and first.raw.dtype == np.int8
    assert open_dataset(SWW, folder / "truth.json").streams == dataset.streams  # the JSON itself works too


def test_the_left_channel_is_streamed(tmp_path, wav_writer):
    import wave

    path = tmp_path / "stereo.wav"
    left, right = np.full(1024, 7, np.int16), np.full(1024, -9, np.int16)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2), wav.setsampwidth(2), wav.setframerate(16000)
        wav.writeframes(np.stack([left, right], axis=1).tobytes())
    assert np.all(read_stream_wav(path).samples == 7)


@pytest.mark.parametrize(("truth", "message"), [
    ({"wav_file": "stream.wav"}, "non-empty JSON list"),
    ([], "non-empty JSON list"),
    ([{"wav_file": "stream.wav"}], "detection_windows are required"),
    ([{"wav_file": "../etc/passwd", "detection_windows": []}], "plain file name"),
    ([{"wav_file": ".hidden.wav", "detection_windows": []}], "plain file name"),
    ([{"wav_file": "stream.wav", "detection_windows": [[2.0, 1.0]]}], "start ≤ stop"),
    ([{"wav_file": "stream.wav", "detection_windows": [[1.0]]}], r"\[start, stop\] pair"),
    ([{"wav_file": "stream.wav", "detection_windows": [[True, 1.0]]}], "finite number"),
    ([{"wav_file": "stream.wav", "detection_windows": [], "sample_rate": 8000}], "16000 Hz"),
    ([{"wav_file": "stream.wav", "detection_windows": [], "length_sec": -1}], "length_sec"),
    ([{"wav_file": "stream.wav", "detection_windows": [], "extra": 1}], "unknown key 'extra'"),
    ([{"wav_file": "missing.wav", "detection_windows": []}], "missing.wav listed in truth.json is missing"),
])
def test_malformed_truth_files_are_refused_with_the_reason(tmp_path, wav_writer, truth, message):
    folder = make_stream(tmp_path / "s", wav_writer, truth=truth)
    with pytest.raises(DatasetError, match=message):
        open_dataset(SWW, folder)


def test_malformed_json_and_oversized_files_are_refused(tmp_path, wav_writer):
    folder = make_stream(tmp_path / "s", wav_writer)
    (folder / "truth.json").write_text('[{"wav_file": "stream.wav", "detection_windows": [[NaN, 1]]}]')
    with pytest.raises(DatasetError, match="malformed JSON|not valid JSON"):
        open_dataset(SWW, folder)
    (folder / "truth.json").write_bytes(b"[" + b" " * (1 << 20) + b"]")
    with pytest.raises(DatasetError, match="exceeds"):
        open_dataset(SWW, folder)


def test_a_folder_needs_exactly_one_truth_file(tmp_path, wav_writer):
    folder = make_stream(tmp_path / "s", wav_writer)
    (folder / "other.json").write_text("[]")
    with pytest.raises(DatasetError, match="expected one truth file.*other.json, truth.json"):
        open_stream_dataset(folder)
    with pytest.raises(DatasetError, match="not found"):
        open_stream_dataset(tmp_path / "nowhere")


@pytest.mark.parametrize(("rate", "width", "message"), [(8000, 2, "8000 Hz"), (16000, 1, "8-bit")])
def test_wavs_in_the_wrong_format_are_refused(tmp_path, rate, width, message):
    import wave

    path = tmp_path / "bad.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1), wav.setsampwidth(width), wav.setframerate(rate)
        wav.writeframes(b"\x00" * 2048)
    with pytest.raises(DatasetError, match=message):
        read_stream_wav(path)


def test_truncated_and_bogus_wavs_are_refused(tmp_path, wav_writer):
    path = wav_writer(tmp_path / "t.wav", np.zeros(4000, np.int16))
    path.write_bytes(path.read_bytes()[:3000])
    with pytest.raises(DatasetError, match="t.wav"):
        read_stream_wav(path)
    (tmp_path / "junk.wav").write_bytes(b"RIFF1234WAVEjunk")
    with pytest.raises(DatasetError, match="not a readable PCM wav"):
        read_stream_wav(tmp_path / "junk.wav")
    with pytest.raises(DatasetError, match="at most"):
        read_stream_wav(wav_writer(tmp_path / "long.wav", np.zeros(16000 * 3, np.int16)), max_seconds=2.0)
