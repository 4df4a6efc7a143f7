"""Workload descriptions: quantization and the raw → model-input conversion."""

import numpy as np
import pytest

from tinybench.workloads import get_workload
from tinybench.workloads.spec import Quantization, TensorSpec
from tinybench.workloads.synthetic import SyntheticDataset


def test_quantize_rounds_half_away_from_zero_and_saturates():
    q = Quantization(0.5, 3)
    # real / 0.5 = [0.5, -0.5, 1.5, -1.5, 1000, -1000] → round → [1, -1, 2, -2, sat, sat] + 3
    real = np.array([0.25, -0.25, 0.75, -0.75, 500.0, -500.0])
    assert q.quantize(real, "int8").tolist() == [4, 2, 5, 1, 127, -128]
    assert q.dequantize(np.array([3, 5], dtype=np.int8)).tolist() == [0.0, 1.0]


@pytest.mark.parametrize("workload_id", ["vww01", "ic01", "ic02"])
def test_images_become_uint8_minus_128_with_the_reference_quantization(workload_id, rng):
    # MLPerf Tiny's IC and VWW firmware compute int8 = uint8 - 128.
    w = get_workload(workload_id)
    raw = w.synthetic_raw(rng)
    tensor = w.to_model_input(raw, w.input)
    assert tensor.dtype == np.int8 and tensor.shape == w.input.shape
    assert np.array_equal(tensor.reshape(raw.shape), (raw.astype(np.int16) - 128).astype(np.int8))


def test_kws_features_pass_through_unchanged_with_the_reference_quantization(rng):
    w = get_workload("kws01")
    raw = w.synthetic_raw(rng)
    assert np.array_equal(w.to_model_input(raw, w.input).ravel(), raw.ravel())


def test_kws_features_are_requantized_for_a_model_with_other_parameters(rng):
    w = get_workload("kws01")
    raw = np.array([83, 84, 127], dtype=np.int8)  # real 0, 0.5847, 25.7269
    other = TensorSpec((1, 3), "int8", Quantization(0.5847029089927673 * 2, 0))
    shim = w.raw_input.to_real(raw)
    assert shim.tolist() == pytest.approx([0.0, 0.5847029, 25.72692], rel=1e-6)
    out = other.quantization.quantize(shim, "int8")
    assert out.tolist() == [0, 1, 22]  # 0, 0.5 → 1 (half away from zero), 22


def test_ad01_windows_are_quantized_like_the_reference_firmware():
    w = get_workload("ad01")
    q = w.input.quantization
    window = np.array([0.0, q.scale * 10.5, -1000.0, 1000.0] + [0.0] * 636, dtype=np.float32)
    tensor = w.to_model_input(window, w.input).ravel()
    assert tensor[:4].tolist() == [89, 100, -128, 127]  # round(x/scale)+zp, clamped


def test_float_models_get_real_values(rng):
    w = get_workload("vww01")
    spec = TensorSpec((1, 96, 96, 3), "float32")
    raw = w.synthetic_raw(rng)
    tensor = w.to_model_input(raw, spec)
    assert tensor.dtype == np.float32
    assert np.allclose(tensor.reshape(raw.shape), raw / 255.0)


@pytest.mark.parametrize("workload_id", ["vww01", "kws01", "ic01", "ic02", "ad01"])
def test_synthetic_data_is_deterministic_and_fits_the_spec(workload_id):
    w = get_workload(workload_id)
    a = [s.raw for s in SyntheticDataset(w, 3)]
    b = [s.raw for s in SyntheticDataset(w, 3)]
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], a[1])
    for raw in a:
        assert raw.shape == w.raw_input.shape and raw.dtype == np.dtype(w.raw_input.dtype)
