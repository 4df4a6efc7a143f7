"""The numpy KWS front end against TensorFlow's tf.signal pipeline (the reference code path)."""

import wave

import numpy as np
import pytest

from tinybench.workloads import get_workload
from tinybench.workloads import kws_frontend as F

QUANT = get_workload("kws01").input.quantization


def tf_reference_features(tf, audio: np.ndarray) -> np.ndarray:
    """MLPerf Tiny's get_dataset.py eval path, written with tf.signal as it is there."""
    x = tf.cast(audio, tf.float32)
    x = x / tf.reduce_max(x)
    x = tf.pad(x, [[0, 16000 - tf.shape(x)[-1]]])
    stfts = tf.signal.stft(x, frame_length=480, frame_step=320, fft_length=None,
                           window_fn=tf.signal.hann_window, pad_end=False)
    spectrograms = tf.abs(stfts)
    mel_matrix = tf.signal.linear_to_mel_weight_matrix(num_mel_bins=40, num_spectrogram_bins=257,
                                                       sample_rate=16000, lower_edge_hertz=20.0,
                                                       upper_edge_hertz=4000.0)
    mel = tf.tensordot(spectrograms, mel_matrix, 1)
    log_mel = tf.math.log(mel + 1e-6)
    return tf.signal.mfccs_from_log_mel_spectrograms(log_mel)[..., :10].numpy()


def reference_bin_bytes(features: np.ndarray) -> np.ndarray:
    """make_bin_files.py: np.array(x / scale + zp, dtype=np.int8) (in-range values only)."""
    return np.array(features / QUANT.scale + QUANT.zero_point, dtype=np.int8)


def generated_clips(rng, count=40):
    t = np.arange(16000) / 16000
    for i in range(count):
        kind = i % 4
        if kind == 0:  # chirp
            audio = np.sin(2 * np.pi * (100 + 3000 * t) * t) * 12000
        elif kind == 1:  # noise burst
            audio = rng.normal(0, 4000, 16000) * (np.abs(t - 0.5) < rng.uniform(0.1, 0.4))
        elif kind == 2:  # harmonic tone
            f0 = rng.uniform(100, 300)
            audio = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 8)) * 8000
        else:  # short clip (padded) with quiet noise
            audio = rng.normal(0, 800, int(rng.integers(6000, 16000)))
        yield np.clip(audio + rng.normal(0, 50, audio.size), -32768, 32767).astype(np.int16)


@pytest.mark.needs_tensorflow
def test_features_match_tensorflow_on_real_and_generated_audio(tensorflow, reference_dir, rng):
    with wave.open(str(reference_dir / "samples" / "marvin_617de221_0.wav")) as wav:
        marvin = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").reshape(-1, wav.getnchannels())[:, 0]
    clips = [marvin, *generated_clips(rng)]
    ours_q, ref_q, worst = [], [], 0.0
    for audio in clips:
        ours = F.mfcc(F.normalize(audio))
        ref = tf_reference_features(tensorflow, audio)
        worst = max(worst, float(np.abs(ours - ref).max()))
        in_range = (ref / QUANT.scale + QUANT.zero_point > -128.5) & (ref / QUANT.scale + QUANT.zero_point < 127.5)
        ours_q.append(F.quantize_truncating(ours, QUANT)[in_range])
        ref_q.append(reference_bin_bytes(ref)[in_range])
    assert worst < 1e-3, f"largest feature difference {worst}"
    agreement = np.mean(np.concatenate(ours_q) == np.concatenate(ref_q))
    assert agreement >= 0.999, f"quantized bytes agree on {agreement:.5f}"


def test_quantization_truncates_toward_zero_and_saturates():
    # scaled values: 0.9 → 0, −0.9 → 0 (truncation, not rounding), 200 → 127, −300 → −128
    real = (np.array([0.9, -0.9, 200.0, -300.0]) - QUANT.zero_point) * QUANT.scale
    assert F.quantize_truncating(real, QUANT).tolist() == [0, 0, 127, -128]


def test_mel_matrix_shape_and_dc_bin():
    m = F.mel_matrix()
    assert m.shape == (257, 40) and not m[0].any()
    assert np.all(m.sum(axis=0) > 0)  # every filter has support


def test_silent_and_negative_clips_do_not_divide_by_zero():
    assert np.all(np.isfinite(F.mfcc(F.normalize(np.zeros(16000, np.int16)))))
    assert np.all(np.isfinite(F.mfcc(F.normalize(-np.ones(16000, np.int16)))))
