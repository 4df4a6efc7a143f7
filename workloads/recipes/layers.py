"""Keras building blocks shared by the recipes."""

from __future__ import annotations

import keras  # type: ignore[import-not-found]
from keras import layers  # type: ignore[import-not-found]


@keras.saving.register_keras_serializable(package="tinybench")
class ConstantFlatten(layers.Layer):
    """Flatten to `(-1, units)` with a constant shape.

    Keras 3's `Flatten` on a dynamic batch converts to SHAPE/STRIDED_SLICE/PACK before
    RESHAPE; the reference models (Keras 2) have one RESHAPE with a constant shape.
    """

    def __init__(self, units: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.units = units

    def call(self, x):  # noqa: ANN001, ANN201
        return keras.ops.reshape(x, (-1, self.units))

    def compute_output_shape(self, input_shape):  # noqa: ANN001, ANN201
        return (input_shape[0], self.units)

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units}


def conv_bn(x, filters: int, kernel, strides=1, relu: bool = True):  # noqa: ANN001, ANN201
    """Conv2D (no bias) → BatchNorm → optional ReLU, as the reference models use it."""
    x = layers.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.Activation("relu")(x) if relu else x


def depthwise_bn(x, strides=1):  # noqa: ANN001, ANN201
    """3×3 DepthwiseConv2D (no bias) → BatchNorm → ReLU."""
    x = layers.DepthwiseConv2D(3, strides=strides, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.Activation("relu")(x)


def classifier_head(x, classes: int):  # noqa: ANN001, ANN201
    """Global average pool → constant flatten → Dense → Softmax."""
    x = layers.AveragePooling2D(pool_size=(int(x.shape[1]), int(x.shape[2])))(x)
    x = ConstantFlatten(int(x.shape[-1]))(x)
    x = layers.Dense(classes)(x)
    return layers.Softmax()(x)
