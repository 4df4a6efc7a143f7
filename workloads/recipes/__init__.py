"""Keras recipes for the workloads' reference architectures (needs the `train` extra).

Each recipe module builds the float Keras model; :mod:`.int8_converter` turns it into a
full-integer int8 TFLite model; :mod:`.build` builds them all and writes the manifest.
"""

from __future__ import annotations

import os
from types import ModuleType

from tinybench.errors import MissingExtraError


def import_tensorflow() -> ModuleType:
    """Import TensorFlow quietly and deterministically, or explain which extra to install."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # oneDNN may reorder float sums
    try:
        import tensorflow as tf  # type: ignore[import-not-found]
    except ImportError as exc:
        raise MissingExtraError("building models", "train", "tensorflow") from exc
    return tf


# Which recipe builds which workload's architecture ("module:function").
RECIPES: dict[str, str] = {
    "vww01": "tinybench.workloads.recipes.mobilenet_v1:vww01",
    "kws01": "tinybench.workloads.recipes.ds_cnn:kws01",
    "ic01": "tinybench.workloads.recipes.resnet:ic01",
    "ic02": "tinybench.workloads.recipes.resnet:ic02",
    "ad01": "tinybench.workloads.recipes.autoencoder:ad01",
    "det01": "tinybench.workloads.recipes.detector:det01",
    "sww01": "tinybench.workloads.recipes.sww_cnn:sww01",
}
