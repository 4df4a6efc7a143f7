"""ic02 — CIFAR-10 image classification with the wider ResNet (40/80/160 filters).

MLPerf Tiny v1.4 added it; a closed submission may include ic02 only beside ic01.
"""

from tinybench.workloads.cifar10_labels import CIFAR10_LABELS
from tinybench.workloads.raw_inputs import rgb_image
from tinybench.workloads.spec import Quantization, QualityTarget, ReferenceModel, TensorSpec, Workload

WORKLOAD = Workload(
    id="ic02",
    title="Image Classification (large)",
    task="image classification (CIFAR-10)",
    model_family="ResNet-8 wide (40/80/160 filters), 32x32x3, 10 classes",
    input=TensorSpec((1, 32, 32, 3), "int8", Quantization(1.0, -128)),
    output=TensorSpec((1, 10), "int8", Quantization(1.0 / 256.0, -128)),
    raw_input=rgb_image(32, 32, scale_to_unit=False),
    labels=CIFAR10_LABELS,
    metric="top1",
    quality_target=QualityTarget("top1", 0.91),
    reference=ReferenceModel(
        filename="pretrainedResnet_large_int8.tflite",
        path="image_classification/trained_models/pretrainedResnet_large_int8.tflite",
        sha256="dc27dcd823f5665533352f7da516b0c9bc6f089914b8283782e55961b3423fcf",
        size_bytes=512024,
    ),
    builtin_model="ic02.tflite",
    datasets=("eembc", "cifar10"),
)
