"""The sww01 streaming wake-word CNN (30×1×40 log-mel window, 3 classes), as MLPerf Tiny's
`streaming_wakeword/keras_model.py:get_model`: four blocks of DepthwiseConv2D (k×1,
'valid', no bias) → Conv2D 1×1 (no bias) → BatchNorm → ReLU → Dropout 0.2, with kernels
3/5/10/15 and 128/128/128/32 filters (time 30 → 28 → 24 → 15 → 1), then Flatten →
Dense(3) → Softmax."""

from __future__ import annotations

import keras  # type: ignore[import-not-found]
from keras import layers  # type: ignore[import-not-found]

from tinybench.workloads.recipes.layers import ConstantFlatten

KERNELS = (3, 5, 10, 15)
FILTERS = (128, 128, 128, 32)


def streaming_cnn(input_shape=(30, 1, 40), classes: int = 3, dropout: float = 0.2) -> keras.Model:
    inputs = keras.Input(input_shape)
    x = inputs
    for kernel, filters in zip(KERNELS, FILTERS):
        x = layers.DepthwiseConv2D((kernel, 1), padding="valid", use_bias=False)(x)
        x = layers.Conv2D(filters, 1, padding="valid", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.Dropout(dropout)(x)
    x = ConstantFlatten(int(x.shape[1]) * int(x.shape[2]) * int(x.shape[3]))(x)
    x = layers.Dense(classes)(x)
    return keras.Model(inputs, layers.Softmax()(x), name="sww_cnn")


def sww01() -> keras.Model:
    return streaming_cnn()
