"""Float Keras model → full-integer int8 TFLite (int8 input and output).

Weights are untrained but made non-trivial (BatchNorm statistics and biases drawn from a
seeded generator) so the converter keeps every bias tensor and folds BatchNorm as it
does for a trained model. The calibration set is deterministic: a first sample that
spans exactly the workload's reference input range (so the model gets the reference
input quantization), then seeded synthetic samples.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from tinybench.workloads.recipes import import_tensorflow
from tinybench.workloads.spec import Workload
from tinybench.workloads.synthetic import stable_seed

CALIBRATION_SAMPLES = 32


def workload_seed(workload_id: str) -> int:
    """A stable per-workload seed (independent of Python's hash randomization)."""
    return stable_seed(workload_id)


def randomize_statistics(model, seed: int) -> None:  # noqa: ANN001 - keras.Model
    """Give BatchNorm layers and Dense biases seeded, non-trivial values."""
    from keras import layers  # type: ignore[import-not-found]

    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([
                rng.uniform(0.5, 1.5, gamma.shape).astype(np.float32),
                rng.normal(0.0, 0.1, beta.shape).astype(np.float32),
                rng.normal(0.0, 0.1, mean.shape).astype(np.float32),
                rng.uniform(0.5, 1.5, var.shape).astype(np.float32),
            ])
        elif isinstance(layer, layers.Dense) and layer.use_bias:
            kernel, bias = layer.get_weights()
            layer.set_weights([kernel, rng.normal(0.0, 0.1, bias.shape).astype(np.float32)])


def calibration_set(workload: Workload, count: int = CALIBRATION_SAMPLES) -> list[np.ndarray]:
    """Deterministic float32 calibration inputs (batch of 1 each) for `workload`."""
    q = workload.input.quantization
    shape = workload.input.shape
    lo = np.float32(q.scale * (-128 - q.zero_point))
    hi = np.float32(q.scale * (127 - q.zero_point))
    extremes = np.full(shape, lo, dtype=np.float32)
    extremes.flat[0] = hi
    rng = np.random.default_rng(workload_seed(workload.id) + 1)
    samples = [extremes]
    for _ in range(count - 1):
        real = workload.raw_input.to_real(workload.synthetic_raw(rng))
        samples.append(np.clip(real, lo, hi).astype(np.float32).reshape(shape))
    return samples


def convert_int8(model, calibration: list[np.ndarray]) -> bytes:  # noqa: ANN001 - keras.Model
    """Full-integer int8 conversion with int8 input and output tensors."""
    tf = import_tensorflow()

    def representative() -> Iterator[list[np.ndarray]]:
        for sample in calibration:
            yield [sample]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return bytes(converter.convert())
