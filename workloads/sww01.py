"""sww01 — MLPerf Tiny's streaming wake word ("marvin") on a continuous 16 kHz stream.

The model sees a 30×40 int8 window of log-mel features (time-major), one new row every
32 ms; it is run once per row and the wake-word output is thresholded per frame
(see :mod:`tinybench.workloads.sww_frontend`, :mod:`tinybench.workloads.sww_detection`).
The benchmark is the **stream** mode: detections on a long wav scored on the host
(:mod:`tinybench.workloads.metrics.sww_scoring`), per-frame duty cycle and power. The
raw input of the other modes is one feature window (model-only latency and spin-up).
Closed quality target: at most 8 false positives and at most 8 false negatives on the
official 20-minute stream (50 wake words).
"""

from tinybench.workloads.raw_inputs import quantized_features
from tinybench.workloads.spec import Quantization, QualityTarget, ReferenceModel, TensorSpec, Workload
from tinybench.workloads.sww_frontend import MEL_BINS, WINDOW_FRAMES

INPUT_QUANTIZATION = Quantization(0.003701042616739869, -128)

WORKLOAD = Workload(
    id="sww01",
    title="Streaming Wake Word",
    task="streaming wake-word detection (\"marvin\") on a continuous audio stream",
    model_family="1-D depthwise-separable CNN (kernels 3/5/10/15, 128/128/128/32 filters), 30x40 LFBE window, 3 classes",
    input=TensorSpec((1, WINDOW_FRAMES, 1, MEL_BINS), "int8", INPUT_QUANTIZATION),
    output=TensorSpec((1, 3), "int8", Quantization(1.0 / 256.0, -128)),
    raw_input=quantized_features((WINDOW_FRAMES, 1, MEL_BINS), INPUT_QUANTIZATION,
                                 "30x1x40 int8 log-mel feature window (reference quantization)"),
    labels=("marvin", "_silence_", "_unknown_"),
    metric="sww_fp_fn",
    quality_target=QualityTarget("sww_fp_fn", 8),
    reference=ReferenceModel(
        filename="str_ww_ref_model.tflite",
        path="streaming_wakeword/trained_models/str_ww_ref_model.tflite",
        sha256="3af8550895ba7d5c584277102b5075c52dcfa63ba9d2b2240f37c4e6abd5dd2b",
        size_bytes=74520,
        mirror_folder="sww",
    ),
    builtin_model="sww01.tflite",
    datasets=("sww-stream",),
)
