"""Post-processing (untimed): model outputs → class scores or anomaly scores."""

from __future__ import annotations

import numpy as np

from tinybench.workloads.spec import TensorSpec


def dequantized(output: np.ndarray, spec: TensorSpec) -> np.ndarray:
    """Real values of an output tensor (float outputs pass through)."""
    if spec.quantization is None or np.issubdtype(output.dtype, np.floating):
        return np.asarray(output, dtype=np.float64)
    return spec.quantization.dequantize(output)


def class_scores(output: np.ndarray, spec: TensorSpec) -> np.ndarray:
    """Per-class scores (the softmax probabilities) of one inference."""
    return dequantized(output, spec).ravel()


def reconstruction_mse(window: np.ndarray, output: np.ndarray, spec: TensorSpec) -> float:
    """Mean squared error between the float input window and the dequantized reconstruction.

    As MLPerf Tiny's ad01 firmware (`th_results`) computes it.
    """
    reconstruction = dequantized(output, spec).ravel()
    diff = reconstruction - np.asarray(window, dtype=np.float64).ravel()
    return float(np.mean(diff * diff))
