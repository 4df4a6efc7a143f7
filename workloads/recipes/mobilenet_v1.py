"""MobileNetV1 α=0.25 for Visual Wake Words (96×96×3, 2 classes), as MLPerf Tiny's `vww_model.py`."""

from __future__ import annotations

import keras  # type: ignore[import-not-found]

from tinybench.workloads.recipes.layers import classifier_head, conv_bn, depthwise_bn

# (depthwise stride, pointwise filters) after the stem; α=0.25 gives 8 → 256 channels.
BLOCKS = ((1, 16), (2, 32), (1, 32), (2, 64), (1, 64), (2, 128),
          (1, 128), (1, 128), (1, 128), (1, 128), (1, 128), (2, 256), (1, 256))


def mobilenet_v1(input_shape=(96, 96, 3), classes: int = 2, stem_filters: int = 8) -> keras.Model:
    inputs = keras.Input(input_shape)
    x = conv_bn(inputs, stem_filters, 3, strides=2)
    for stride, filters in BLOCKS:
        x = depthwise_bn(x, strides=stride)
        x = conv_bn(x, filters, 1)
    return keras.Model(inputs, classifier_head(x, classes), name="mobilenet_v1_025")


def vww01() -> keras.Model:
    return mobilenet_v1()
