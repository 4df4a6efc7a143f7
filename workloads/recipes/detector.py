"""The det01 detector: a depthwise-separable backbone to stride 16, a top-down merge to
stride 8, and a head with raw box (4 per anchor) and class-logit (3 per anchor) outputs."""

from __future__ import annotations

import keras  # type: ignore[import-not-found]
from keras import layers  # type: ignore[import-not-found]

from tinybench.workloads.detection import ANCHORS, CLASSES, INPUT_H, INPUT_W, NUM_ANCHORS
from tinybench.workloads.recipes.layers import conv_bn, depthwise_bn


@keras.saving.register_keras_serializable(package="tinybench")
class AnchorReshape(layers.Layer):
    """(batch, H, W, A·k) → (batch, H·W·A, k) with a constant shape (one RESHAPE op)."""

    def __init__(self, anchors: int, values: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.anchors, self.values = anchors, values

    def call(self, x):  # noqa: ANN001, ANN201
        return keras.ops.reshape(x, (-1, NUM_ANCHORS, self.values))

    def compute_output_shape(self, input_shape):  # noqa: ANN001, ANN201
        return (input_shape[0], NUM_ANCHORS, self.values)

    def get_config(self) -> dict:
        return {**super().get_config(), "anchors": self.anchors, "values": self.values}


def separable(x, filters: int, strides: int = 1):  # noqa: ANN001, ANN201
    return conv_bn(depthwise_bn(x, strides=strides), filters, 1)


def detector() -> keras.Model:
    inputs = keras.Input((INPUT_H, INPUT_W, 3))
    x = conv_bn(inputs, 16, 3, strides=2)  # 64×192×16 (the largest activation: 192 KiB int8)
    x = separable(x, 32, 2)  # 32×96
    x = separable(x, 64)
    stride8 = separable(x, 128, 2)  # 16×48
    x = separable(stride8, 128)
    x = separable(x, 256, 2)  # 8×24
    x = separable(x, 256)
    # back to 16×48; Resizing converts to one RESIZE_NEAREST_NEIGHBOR (UpSampling2D would not)
    top_down = layers.Resizing(INPUT_H // 8, INPUT_W // 8, interpolation="nearest")(conv_bn(x, 128, 1))
    x = layers.add([top_down, conv_bn(stride8, 128, 1)])
    x = separable(x, 128)
    anchors = len(ANCHORS)
    boxes = AnchorReshape(anchors, 4, name="boxes")(layers.Conv2D(anchors * 4, 1, name="box_head")(x))
    scores = AnchorReshape(anchors, len(CLASSES), name="scores")(layers.Conv2D(anchors * len(CLASSES), 1,
                                                                                 name="score_head")(x))
    return keras.Model(inputs, [boxes, scores], name="det01_detector")


def det01() -> keras.Model:
    return detector()
