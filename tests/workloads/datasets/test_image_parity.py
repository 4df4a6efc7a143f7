"""VWW image conversion against the reference's Keras loader; IC against the reference transpose."""

import numpy as np
import pytest

from tinybench.workloads.datasets.cifar10 import chw_to_hwc
from tinybench.workloads.datasets.image_folder import load_rgb


@pytest.mark.needs_tensorflow
@pytest.mark.parametrize(("size", "mode", "suffix"), [((120, 90), "RGB", "png"), ((96, 96), "RGB", "jpg"),
                                                      ((64, 80), "L", "png"), ((200, 150), "RGBA", "png"),
                                                      ((97, 95), "P", "png")])
def test_vww_conversion_equals_keras_load_img(tensorflow, tmp_path, rng, size, mode, suffix):
    from PIL import Image

    pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    path = tmp_path / f"img.{suffix}"
    Image.fromarray(pixels).convert(mode).save(path)
    keras_img = tensorflow.keras.utils.load_img(str(path), color_mode="rgb", target_size=(96, 96))
    expected = tensorflow.keras.utils.img_to_array(keras_img).astype(np.uint8)
    assert np.array_equal(load_rgb(path, (96, 96)), expected)


def test_ic_conversion_equals_the_reference_reshape_transpose(rng):
    rows = rng.integers(0, 256, (5, 3072), dtype=np.uint8)
    reference = rows.reshape(5, 3, 32, 32).transpose(0, 2, 3, 1)  # training/image_classification
    assert np.array_equal(chw_to_hwc(rows), reference)
