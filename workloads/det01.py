"""det01 — KITTI 2-D object detection (Car, Pedestrian, Cyclist) on a 384×128 frame.

tinybench's own workload (MLPerf Tiny has none): a single-shot detector sized for MCU /
micro-NPU class hardware. Metric: KITTI AP (R40 and R11) per class and difficulty; headline
Car AP|R40 at moderate difficulty. There is no official model, so no closed division.
"""

from tinybench.workloads.detection import ANCHORS, CLASSES, INPUT_H, INPUT_W, NUM_ANCHORS
from tinybench.workloads.raw_inputs import rgb_image
from tinybench.workloads.spec import Quantization, QualityTarget, TensorSpec, Workload

assert len(ANCHORS) == 3

WORKLOAD = Workload(
    id="det01",
    title="KITTI 2-D Object Detection",
    task="object detection (KITTI: car, pedestrian, cyclist)",
    model_family="depthwise-separable single-shot detector, stride-8 head, 3 anchors, 384x128x3",
    input=TensorSpec((1, INPUT_H, INPUT_W, 3), "int8", Quantization(1.0 / 255.0, -128)),
    output=TensorSpec((1, NUM_ANCHORS, len(CLASSES)), "int8"),
    extra_outputs=(TensorSpec((1, NUM_ANCHORS, 4), "int8"),),
    raw_input=rgb_image(INPUT_H, INPUT_W, scale_to_unit=True),
    labels=CLASSES,
    metric="kitti_ap",
    # A useful MCU-class detector should find half the moderate cars (see README: det01).
    quality_target=QualityTarget("kitti_ap", 0.50),
    reference=None,
    builtin_model="det01.tflite",
    datasets=("kitti",),
)
