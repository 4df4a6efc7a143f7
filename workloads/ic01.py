"""ic01 — CIFAR-10 image classification, 32×32 RGB (ResNet-8, 16/32/64 filters)."""

from tinybench.workloads.cifar10_labels import CIFAR10_LABELS
from tinybench.workloads.raw_inputs import rgb_image
from tinybench.workloads.spec import Quantization, QualityTarget, ReferenceModel, TensorSpec, Workload

WORKLOAD = Workload(
    id="ic01",
    title="Image Classification",
    task="image classification (CIFAR-10)",
    model_family="ResNet-8 (16/32/64 filters), 32x32x3, 10 classes",
    input=TensorSpec((1, 32, 32, 3), "int8", Quantization(1.0, -128)),
    output=TensorSpec((1, 10), "int8", Quantization(1.0 / 256.0, -128)),
    raw_input=rgb_image(32, 32, scale_to_unit=False),
    labels=CIFAR10_LABELS,
    metric="top1",
    quality_target=QualityTarget("top1", 0.85),
    reference=ReferenceModel(
        filename="pretrainedResnet_quant.tflite",
        path="image_classification/trained_models/pretrainedResnet_quant.tflite",
        sha256="3c002613d1b2475eb51dd78dfb85a546c8ae658dee71cf6ade43b022fe205415",
        size_bytes=98496,
    ),
    builtin_model="ic01.tflite",
    datasets=("eembc", "cifar10"),
)
