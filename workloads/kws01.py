"""kws01 — Keyword spotting on Speech Commands v2: 12 classes from 49×10 MFCCs (DS-CNN)."""

from tinybench.workloads.raw_inputs import quantized_features
from tinybench.workloads.spec import Quantization, QualityTarget, ReferenceModel, TensorSpec, Workload

INPUT_QUANTIZATION = Quantization(0.5847029089927673, 83)

WORKLOAD = Workload(
    id="kws01",
    title="Keyword Spotting",
    task="audio classification (keyword spotting)",
    model_family="DS-CNN (64 channels), 49x10x1 MFCC, 12 classes",
    input=TensorSpec((1, 49, 10, 1), "int8", INPUT_QUANTIZATION),
    output=TensorSpec((1, 12), "int8", Quantization(1.0 / 256.0, -128)),
    raw_input=quantized_features((49, 10, 1), INPUT_QUANTIZATION, "49x10 int8 MFCC (reference quantization)"),
    labels=("down", "go", "left", "no", "off", "on", "right", "stop", "up", "yes", "_silence_", "_unknown_"),
    metric="top1",
    quality_target=QualityTarget("top1", 0.90),
    reference=ReferenceModel(
        filename="kws_ref_model.tflite",
        path="keyword_spotting/trained_models/kws_ref_model.tflite",
        sha256="aeea436800704fce17b17292e4412630ad856e9d777c044c64ef748a880bd0ae",
        size_bytes=53936,
    ),
    builtin_model="kws01.tflite",
    datasets=("eembc", "speech-commands"),
)
