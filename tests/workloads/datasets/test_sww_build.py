"""`tinybench data build-sww` on a generated miniature Speech Commands + MUSAN tree and spec,
sample for sample against a direct computation of the official recipe."""

import json
import subprocess
import wave

import numpy as np
import pytest

from tinybench.errors import DatasetError
from tinybench.workloads.datasets.sww_build import OFFICIAL_SPEC, parse_spec, read_spec

RATE = 16000


def clip(rng, seconds, level, lead=0.2, spike=None):
    """A voiced burst with quiet lead-in/out; `spike` adds one large positive sample."""
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    body = np.sin(2 * np.pi * rng.uniform(150, 300) * t) * np.exp(-((t - seconds / 2) ** 2) / 0.02)
    x = level * body + rng.normal(0, 30, n)
    x[: int(lead * RATE)] *= 0.01
    x[int(lead * RATE) - 50] = -0.5 * level  # a negative excursion before the onset: the trim ignores it
    if spike is not None:
        x[n // 2] = spike
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


@pytest.fixture
def mini_tree(tmp_path, wav_writer):
    rng = np.random.default_rng(13)
    sc, musan = tmp_path / "speech_commands", tmp_path / "musan"
    words = {"marvin/aaa_nohash_0.wav": clip(rng, 1.0, 9000), "marvin/bbb_nohash_1.wav": clip(rng, 1.0, 4000),
             "marvin/ccc_nohash_0.wav": clip(rng, 1.0, 6000, spike=32000)}
    for rel, data in words.items():
        wav_writer(sc / rel, data)
    backgrounds = {"speech/librivox/speech-librivox-0001.wav": rng.normal(0, 800, 4 * RATE),
                   "speech/librivox/speech-librivox-0002.wav": rng.normal(0, 1500, 3 * RATE),
                   "music/hd-classical/music-hd-0001.wav": 3000 * np.sin(np.arange(5 * RATE) * 0.05)}
    for rel, data in backgrounds.items():
        wav_writer(musan / rel, np.round(data).astype(np.int16))
    spec = {"configs_background": [["{musan_path}/speech/librivox/speech-librivox-0001.wav", 0.0, 3.0, 0.05],
                                   ["{musan_path}/speech/librivox/speech-librivox-0002.wav", 1.0, 3.0, 0.05],
                                   ["{musan_path}/speech/librivox/speech-librivox-0001.wav", 1.0, 3.0, 0.05],
                                   ["{musan_path}/music/hd-classical/music-hd-0001.wav", 2.5, 6.0, 0.5]],
            "configs_wakeword": [["{speech_commands_path}/marvin/aaa_nohash_0.wav", 0.5, 0.7],
                                 ["{speech_commands_path}/marvin/bbb_nohash_1.wav", 2.251, 0.6],
                                 ["{speech_commands_path}/marvin/ccc_nohash_0.wav", 4.1, 0.9]],
            "length_sec": 6.0, "sample_rate": RATE}
    (tmp_path / "mini_spec.json").write_text(json.dumps(spec))
    return tmp_path, spec


def read_int16(path):
    with wave.open(str(path)) as wav:
        return np.frombuffer(wav.readframes(wav.getnframes()), "<i2").reshape(-1, wav.getnchannels())


def direct(spec, root):
    """The recipe computed plainly: float64 sums rounded to float32 at each addition, loops for the trim."""
    stream = np.zeros(int(spec["length_sec"] * RATE), dtype=np.float32)
    roots = {"{musan_path}": root / "musan", "{speech_commands_path}": root / "speech_commands"}

    def load(template):
        key, rel = template.split("/", 1)
        return read_int16(roots[key] / rel)[:, 0]

    for template, t0, t1, rms in spec["configs_background"]:
        x = load(template)[: int((t1 - t0) * RATE)]
        seg = rms * (x / np.std(x))
        a = int(t0 * RATE)
        stream[a:a + seg.size] = (stream[a:a + seg.size].astype(np.float64) + seg).astype(np.float32)
    windows = []
    for template, at, gain in spec["configs_wakeword"]:
        w = load(template)
        threshold = int(w.max()) * 0.05
        loud = [i for i in range(w.size) if w[i] > threshold]
        w = w[loud[0]:loud[-1]]
        w = w / np.std(w)
        a = int(at * RATE)
        stream[a:a + w.size] = (stream[a:a + w.size].astype(np.float64) + gain * w).astype(np.float32)
        windows.append([at, at + w.size / RATE])
    stream = stream / np.abs(stream).max()
    scaled = stream * np.float32(32768)
    out = np.array([int(v) for v in scaled], dtype=np.int64)  # truncation toward zero
    out[out == 32768] = -32768  # the int16 cast wraps the +1.0 peak
    return out.astype(np.int16), windows


def test_build_sww_is_sample_exact(mini_tree, tinybench_cmd, cli_env):
    root, spec = mini_tree
    proc = subprocess.run([*tinybench_cmd, "data", "build-sww", "--speech-commands", str(root / "speech_commands"),
                           "--musan", str(root / "musan"), "--spec", str(root / "mini_spec.json"), "--to",
                           str(root / "out")], capture_output=True, text=True, env=cli_env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    wav = root / "out" / "long_wav.wav"
    raw = wav.read_bytes()
    assert raw[:4] == b"RIFF" and raw[12:16] == b"fmt " and raw[36:40] == b"data"  # the 44-byte header
    assert len(raw) == 44 + 6 * RATE * 4
    written = read_int16(wav)
    assert written.shape == (6 * RATE, 2) and np.array_equal(written[:, 0], written[:, 1])
    expected, windows = direct(spec, root)
    assert np.array_equal(written[:, 0], expected)
    assert (expected == -32768).sum() >= 1 and written[:, 0].max() < 32767  # the wrap happened and was kept
    truth = json.loads((root / "out" / "sww_long_test.json").read_text())
    assert truth == [{"wav_file": "long_wav.wav", "detection_windows": windows, "length_sec": 6.0,
                      "sample_rate": RATE}]
    # the result is a stream dataset as it stands
    again = subprocess.run([*tinybench_cmd, "data", "build-sww", "--speech-commands", str(root / "speech_commands"),
                            "--musan", str(root / "musan"), "--spec", str(root / "mini_spec.json"), "--to",
                            str(root / "out")], capture_output=True, text=True, env=cli_env, timeout=300, check=False)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_missing_files_and_short_backgrounds_are_named(mini_tree):
    from tinybench.workloads.datasets.sww_build import build_stream

    root, spec = mini_tree
    roots = {"speech_commands_path": root / "speech_commands", "musan_path": root / "musan"}
    (root / "speech_commands" / "marvin" / "bbb_nohash_1.wav").unlink()
    with pytest.raises(DatasetError, match="1 file.*missing.*bbb_nohash_1.wav"):
        build_stream(parse_spec(spec), roots)
    long_background = dict(spec, configs_wakeword=[],
                           configs_background=[["{musan_path}/speech/librivox/speech-librivox-0002.wav", 0.0, 5.0, 1]])
    with pytest.raises(DatasetError, match="too short"):
        build_stream(parse_spec(long_background), roots)


@pytest.mark.parametrize(("change", "message"), [
    ({"configs_wakeword": [["{speech_commands_path}/../../etc/passwd", 1.0, 0.5]]}, "plain relative path"),
    ({"configs_wakeword": [["/etc/passwd", 1.0, 0.5]]}, "starting with"),
    ({"configs_background": [["{musan_path}/a.wav", 5.0, 7.0, 0.5]]}, "within the"),
    ({"configs_wakeword": [["{speech_commands_path}/a.wav", 1.0, "loud"]]}, "finite number"),
    ({"length_sec": 1e9}, "length_sec"),
    ({"sample_rate": 8000}, "sample_rate"),
    ({"extra": []}, "unknown key"),
])
def test_bad_specs_are_refused(mini_tree, change, message):
    _, spec = mini_tree
    with pytest.raises(DatasetError, match=message):
        parse_spec({**spec, **change})


@pytest.mark.needs_reference
def test_the_official_spec_is_the_long_test_streams_recipe(reference_dir):
    path = reference_dir / "sww" / OFFICIAL_SPEC.filename
    spec = read_spec(path)
    truth = json.loads((reference_dir / "sww" / "sww_long_test.json").read_text())[0]
    assert spec.length_s == 1200.0 and len(spec.wake_words) == 50 and len(spec.backgrounds) == 19  # 8 + 1 + 1 + 1 + 1 + 7 (sww_notes §1.3)
    assert [w.at_s for w in spec.wake_words] == [w[0] for w in truth["detection_windows"]]
    assert max(w.at_s for w in spec.wake_words) == 570.0


@pytest.mark.needs_reference
def test_the_official_spec_comes_from_the_mirror_verified(reference_dir, monkeypatch, tmp_path):
    from tinybench.workloads.datasets.sww_build import official_spec_path

    monkeypatch.setenv("TINYBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("TINYBENCH_REFERENCE_DIR", str(reference_dir))
    path = official_spec_path(download=False)
    assert path.read_bytes() == (reference_dir / "sww" / "long_wav_spec.json").read_bytes()
    cached = official_spec_path(download=True)  # copied into the cache after its SHA-256 matched (no network)
    assert cached.is_relative_to(tmp_path / "cache")
