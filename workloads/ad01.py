"""ad01 — Anomaly detection on ToyADMOS machine sound: a 640-wide FC autoencoder.

One model input is a window of 5 frames × 128 log-mel bins (640 float32); a file's
anomaly score is the mean reconstruction error over its windows.
"""

from tinybench.workloads.raw_inputs import float_window
from tinybench.workloads.spec import Quantization, QualityTarget, ReferenceModel, TensorSpec, Workload

WORKLOAD = Workload(
    id="ad01",
    title="Anomaly Detection",
    task="anomaly detection (machine sound)",
    model_family="fully-connected autoencoder 640-128x4-8-128x4-640",
    input=TensorSpec((1, 640), "int8", Quantization(0.3910152316093445, 89)),
    output=TensorSpec((1, 640), "int8", Quantization(0.3644984662532806, 96)),
    raw_input=float_window(640, "640 float32 = 5 frames x 128 log-mel bins"),
    labels=("normal", "anomaly"),
    metric="auc",
    quality_target=QualityTarget("auc", 0.85),
    reference=ReferenceModel(
        filename="ad01_int8.tflite",
        path="anomaly_detection/trained_models/ad01_int8.tflite",
        sha256="87cf24194ef93d1d9b11a591d805526b98008e351655d29883c825c9c106ba24",
        size_bytes=276976,
    ),
    builtin_model="ad01.tflite",
    datasets=("eembc", "toyadmos"),
)
