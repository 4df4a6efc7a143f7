"""Reading .tflite files: operators, parameters and MACs against hand computation."""

import pytest

from tinybench.errors import ModelError
from tinybench.workloads.builtin_models import BUILTIN_DIR
from tinybench.workloads.tflite_graph import read_graph


def test_kws01_facts_match_hand_computation():
    g = read_graph((BUILTIN_DIR / "kws01.tflite").read_bytes())
    assert g.op_counts == {"AVERAGE_POOL_2D": 1, "CONV_2D": 5, "DEPTHWISE_CONV_2D": 4,
                           "FULLY_CONNECTED": 1, "RESHAPE": 1, "SOFTMAX": 1}
    # DS-CNN on 49x10: first conv 10x4 stride 2 → 25x5x64: 25·5·64·10·4·1 = 320 000 MACs
    # 4 × depthwise 3x3 on 25x5x64: 4 · 25·5·64·9 = 288 000
    # 4 × pointwise 64→64 on 25x5: 4 · 25·5·64·64 = 2 048 000; FC 64→12: 768
    assert g.macs == 320_000 + 288_000 + 2_048_000 + 768
    # parameters: conv1 64·10·4 + 64; 4 × (dw 9·64 + 64); 4 × (pw 64·64 + 64); FC 12·64 + 12
    assert g.parameters == (2560 + 64) + 4 * (576 + 64) + 4 * (4096 + 64) + (768 + 12)
    assert g.inputs[0].shape == (1, 49, 10, 1) and g.inputs[0].dtype == "int8"


def test_ad01_facts_match_hand_computation():
    g = read_graph((BUILTIN_DIR / "ad01.tflite").read_bytes())
    layers = [(640, 128), (128, 128), (128, 128), (128, 128), (128, 8), (8, 128), (128, 128), (128, 128),
              (128, 128), (128, 640)]
    assert g.op_counts == {"FULLY_CONNECTED": 10}
    assert g.macs == sum(i * o for i, o in layers)
    assert g.parameters == sum(i * o + o for i, o in layers)


def test_not_a_flatbuffer_is_named():
    with pytest.raises(ModelError, match="m.tflite is not a TFLite model"):
        read_graph(b"hello world, not a model", source="m.tflite")


def test_truncated_model_is_corrupt():
    content = (BUILTIN_DIR / "kws01.tflite").read_bytes()[:4000]
    with pytest.raises(ModelError, match="corrupt TFLite model"):
        read_graph(content, source="k.tflite")
