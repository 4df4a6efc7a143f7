"""vww01 — Visual Wake Words: person / no person on a 96×96 RGB image (MobileNetV1 α=0.25)."""

from tinybench.workloads.raw_inputs import rgb_image
from tinybench.workloads.spec import Quantization, QualityTarget, ReferenceModel, TensorSpec, Workload

WORKLOAD = Workload(
    id="vww01",
    title="Visual Wake Words",
    task="image classification (person detection)",
    model_family="MobileNetV1 alpha=0.25, 96x96x3, 2 classes",
    input=TensorSpec((1, 96, 96, 3), "int8", Quantization(1.0 / 255.0, -128)),
    output=TensorSpec((1, 2), "int8", Quantization(1.0 / 256.0, -128)),
    raw_input=rgb_image(96, 96, scale_to_unit=True),
    labels=("non_person", "person"),
    metric="top1",
    quality_target=QualityTarget("top1", 0.80),
    reference=ReferenceModel(
        filename="vww_96_int8.tflite",
        path="visual_wake_words/trained_models/vww_96_int8.tflite",
        sha256="597a384c8c2c8a1276f04702f25013b7838f2f814f1ca7c174d295b73e3d6b7b",
        size_bytes=333288,
    ),
    builtin_model="vww01.tflite",
    datasets=("eembc", "image-folder"),
)
