"""The ad01 fully-connected autoencoder (640 → 128×4 → 8 → 128×4 → 640), as MLPerf Tiny's `keras_model.py`."""

from __future__ import annotations

import keras  # type: ignore[import-not-found]
from keras import layers  # type: ignore[import-not-found]


def dense_bn_relu(x, units: int):  # noqa: ANN001, ANN201
    x = layers.Dense(units)(x)
    x = layers.BatchNormalization()(x)
    return layers.Activation("relu")(x)


def autoencoder(inputs_dim: int = 640, hidden: int = 128, bottleneck: int = 8, depth: int = 4) -> keras.Model:
    inputs = keras.Input((inputs_dim,))
    x = inputs
    for _ in range(depth):
        x = dense_bn_relu(x, hidden)
    x = dense_bn_relu(x, bottleneck)
    for _ in range(depth):
        x = dense_bn_relu(x, hidden)
    return keras.Model(inputs, layers.Dense(inputs_dim)(x), name="fc_autoencoder")


def ad01() -> keras.Model:
    return autoencoder()
