"""DS-CNN for keyword spotting (49×10×1 MFCC, 12 classes), as MLPerf Tiny's `keras_model.py`."""

from __future__ import annotations

import keras  # type: ignore[import-not-found]

from tinybench.workloads.recipes.layers import classifier_head, conv_bn, depthwise_bn


def ds_cnn(input_shape=(49, 10, 1), classes: int = 12, filters: int = 64, blocks: int = 4) -> keras.Model:
    inputs = keras.Input(input_shape)
    x = conv_bn(inputs, filters, (10, 4), strides=(2, 2))
    for _ in range(blocks):
        x = depthwise_bn(x)
        x = conv_bn(x, filters, 1)
    return keras.Model(inputs, classifier_head(x, classes), name="ds_cnn")


def kws01() -> keras.Model:
    return ds_cnn()
