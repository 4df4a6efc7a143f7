"""ResNet-8 for CIFAR-10 as MLPerf Tiny's `resnet_v1_eembc` (ic01: 16/32/64, ic02: 40/80/160)."""

from __future__ import annotations

import keras  # type: ignore[import-not-found]
from keras import layers  # type: ignore[import-not-found]

from tinybench.workloads.recipes.layers import classifier_head, conv_bn


def resnet8(filters=(16, 32, 64), input_shape=(32, 32, 3), classes: int = 10) -> keras.Model:
    inputs = keras.Input(input_shape)
    x = conv_bn(inputs, filters[0], 3)
    for stage, width in enumerate(filters):
        stride = 1 if stage == 0 else 2
        y = conv_bn(x, width, 3, strides=stride)
        y = conv_bn(y, width, 3, relu=False)
        if stage > 0:  # projection shortcut: 1×1 conv, stride 2, no BatchNorm
            x = layers.Conv2D(width, 1, strides=2, padding="same")(x)
        x = layers.Activation("relu")(layers.add([x, y]))
    return keras.Model(inputs, classifier_head(x, classes), name=f"resnet8_{filters[0]}")


def ic01() -> keras.Model:
    return resnet8((16, 32, 64))


def ic02() -> keras.Model:
    return resnet8((40, 80, 160))
