"""The sww01 front end against an independent float64 formulation of the firmware's arithmetic."""

import math
import wave

import numpy as np
import pytest

from tinybench.workloads import sww_frontend as fe
from tinybench.workloads.datasets.sww_stream import synthetic_stream

SCALE, ZERO_POINT = 0.003701042616739869, -128
FLOAT_TOLERANCE = 2e-5  # float32 pipeline vs exact arithmetic, in feature units ([0, 1])
TIE_WIDTH = 5e-3  # a scaled value this close to an integer may truncate either way


def firmware_float64(samples: np.ndarray, periodic: bool = True) -> np.ndarray:
    """`th_compute_lfbe_f32` written out frame by frame in float64: a 1024-sample block of the
    previous and the new 512 samples, pre-emphasis with a carried `last_value`, Hamming,
    a DFT by explicit sums of cosines and sines, HTK-mel triangles built filter by filter."""
    n = np.arange(1024)
    window = np.array([0.54 - 0.46 * math.cos(2 * math.pi * i / (1024 if periodic else 1023)) for i in n])
    k = np.arange(513)[:, None]
    cos, sin = np.cos(2 * np.pi * k * n / 1024), np.sin(2 * np.pi * k * n / 1024)

    def mel(f):
        return 1127.0 * math.log(1.0 + f / 700.0)

    edges = [mel(0.0) + i * (mel(8000.0) - mel(0.0)) / 41 for i in range(42)]
    filters = np.zeros((513, 40))
    for m in range(40):
        lo, mid, hi = edges[m], edges[m + 1], edges[m + 2]
        for b in range(1, 513):
            v = mel(b * 8000.0 / 512)
            filters[b, m] = max(0.0, min((v - lo) / (mid - lo), (hi - v) / (hi - mid)))
    block = np.zeros(1024)
    last_value = 0.0
    rows = []
    for start in range(0, len(samples) - 511, 512):
        block = np.concatenate([block[512:], samples[start:start + 512] / 32768.0])
        emphasized = block.copy()
        emphasized[0] = block[0] - 0.96875 * last_value
        emphasized[1:] = block[1:] - 0.96875 * block[:-1]
        last_value = block[511]
        x = emphasized * window
        power = ((cos @ x) ** 2 + (sin @ x) ** 2) / 1024
        energies = np.maximum(power @ filters, 1e-30)
        rows.append(np.clip((10 * np.log10(energies) + 52.0) / 64.0, 0.0, 1.0))
    return np.array(rows)


def short_stream(reference_dir):
    with wave.open(str(reference_dir / "sww" / "short_wav_easy10s.wav")) as wav:
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, wav.getnchannels())
    return data[:, 0].copy()


def assert_matches_exact(samples):
    ours = fe.stream_features(samples)
    exact = firmware_float64(samples)
    assert ours.dtype == np.float32 and ours.shape == exact.shape == (len(samples) // 512, 40)
    assert np.max(np.abs(ours - exact)) < FLOAT_TOLERANCE
    q, wrapped = fe.quantize(ours, SCALE, ZERO_POINT)
    scaled = exact / SCALE + ZERO_POINT
    q_exact = np.trunc(scaled).astype(np.int8)
    differ = q != q_exact
    # the only differences are truncation ties: values within the float32 error of an integer
    near_integer = np.abs(scaled - np.round(scaled)) < TIE_WIDTH
    assert not np.any(differ & ~near_integer), np.argwhere(differ & ~near_integer)[:5]
    assert wrapped == 0
    return differ.sum(), q.size


def test_features_match_an_exact_formulation_on_a_synthetic_stream():
    differ, total = assert_matches_exact(synthetic_stream(4.0, seed=5))
    assert differ <= total // 1000


@pytest.mark.needs_reference
def test_features_match_an_exact_formulation_on_the_official_short_stream(reference_dir):
    samples = short_stream(reference_dir)
    differ, total = assert_matches_exact(samples)
    assert total == 312 * 40 and differ <= 10
    assert fe.stream_features(samples).max() == pytest.approx(0.8385, abs=1e-4)  # sww_notes §2


@pytest.mark.parametrize("variant", list(fe.Variant))
def test_bulk_equals_frame_by_frame_byte_for_byte(variant, monkeypatch):
    samples = synthetic_stream(3.0, seed=11)
    monkeypatch.setattr(fe, "CHUNK_FRAMES", 7)  # batches of an odd size must not matter either
    bulk = fe.stream_features(samples, variant)
    streaming = fe.StreamingFrontEnd(variant)
    frames = np.stack([streaming.push(samples[i:i + 512]) for i in range(0, len(samples) - 511, 512)])
    assert bulk.tobytes() == frames.tobytes()


def test_pre_emphasis_is_carried_across_frames():
    """Frame 1 depends on the sample just before its block (frame 0's block sample 511)."""
    samples = synthetic_stream(1.0, seed=3)
    changed = samples.copy()
    changed[511] += 1000  # last sample of frame 0's new half = the pre-emphasis input of frame 2's block start
    a, b = fe.stream_features(samples), fe.stream_features(changed)
    assert not np.array_equal(a[0], b[0]) and not np.array_equal(a[2], b[2])
    assert np.array_equal(a[3:], b[3:])


def test_trailing_partial_frame_is_not_processed():
    assert fe.frame_count(160000) == 312
    assert fe.stream_features(np.zeros(1023, np.int16)).shape == (1, 40)


def test_silence_gives_zero_features_and_quantizes_to_the_bottom():
    features = fe.stream_features(np.zeros(4096, np.int16))
    assert np.all(features == 0.0)
    q, _ = fe.quantize(features, SCALE, ZERO_POINT)
    assert np.all(q == -128)


def test_quantize_truncates_toward_zero_and_wraps_like_an_arm_core():
    values = np.array([0.0, 0.5 * SCALE, 127.6 * SCALE, 255.4 * SCALE, 257.0 * SCALE, 1.0], dtype=np.float32)
    q, wrapped = fe.quantize(values, SCALE, ZERO_POINT)
    # 0 → −128; 0.5 → −127.5 → −127 (toward zero); 127.6 → −0.4 → 0; 255.4 → 127; 257 → 129 → −127; 1.0 → 142 → −114
    assert q.tolist() == [-128, -127, 0, 127, -127, -114]
    assert wrapped == 2


def test_hamming_variants():
    periodic, symmetric = fe.hamming(True), fe.hamming(False)
    assert periodic[0] == symmetric[0] == np.float32(0.08)
    assert periodic[512] == pytest.approx(1.0) and symmetric[-1] == np.float32(0.08)
    assert abs(periodic[-1] - 0.08) > 1e-6


def test_training_variant_differs_only_slightly():
    samples = synthetic_stream(2.0, seed=8)
    firmware = fe.stream_features(samples, fe.Variant.FIRMWARE)
    training = fe.stream_features(samples, fe.Variant.TRAINING)
    assert not np.array_equal(firmware, training)
    assert np.max(np.abs(firmware - training)) < 0.01


def test_feature_windows_start_from_int8_zeros():
    rows = np.arange(1, 3 * 40 + 1).reshape(3, 40).astype(np.int8)
    windows = fe.feature_windows(rows)
    assert windows.shape == (3, 30, 40)
    assert np.all(windows[0, :29] == 0) and np.array_equal(windows[0, 29], rows[0])
    assert np.array_equal(windows[2, 27:], rows)


def test_streaming_front_end_takes_512_samples():
    with pytest.raises(ValueError, match="512"):
        fe.StreamingFrontEnd().push(np.zeros(511, np.int16))


@pytest.mark.needs_tensorflow
def test_mel_matrix_is_tensorflows(tensorflow):
    theirs = tensorflow.signal.linear_to_mel_weight_matrix(40, 513, 16000, 0.0, 8000.0).numpy()
    # TensorFlow computes the matrix in float32, tinybench in float64 (then rounds): 7e-6 apart
    assert np.max(np.abs(fe.mel_weights() - theirs)) < 1e-5


@pytest.mark.needs_tensorflow
def test_training_variant_matches_the_reference_training_pipeline(tensorflow):
    """`get_lfbe_func` rebuilt from tf.signal; its frame k is the firmware framing's frame k + 1."""
    tf = tensorflow
    samples = synthetic_stream(2.0, seed=21)
    audio = tf.constant(samples / 2**15, tf.float32)
    audio = tf.pad(audio[None, :], [[0, 0], [1, 0]])
    audio = tf.squeeze(audio[:, 1:] - (1 - 2**-5) * audio[:, :-1])
    stft = tf.signal.stft(audio, 1024, 512, window_fn=lambda n, dtype: tf.signal.hamming_window(n, periodic=False,
                                                                                                 dtype=dtype))
    power = tf.square(tf.abs(stft)) / 1024
    power = tf.clip_by_value(power, 1e-30, tf.reduce_max(power))
    mel = tf.tensordot(power, tf.signal.linear_to_mel_weight_matrix(40, 513, 16000, 0.0, 8000.0), 1)
    theirs = tf.clip_by_value((10 * tf.math.log(mel) / tf.math.log(10.0) + 52 - 32 + 32.0) / 64.0, 0, 1).numpy()
    ours = fe.stream_features(samples, fe.Variant.TRAINING)
    assert theirs.shape[0] == ours.shape[0] - 1
    assert np.max(np.abs(ours[1:] - theirs)) < 1e-4
