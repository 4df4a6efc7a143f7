"""Raw-sample domains shared by workloads and their deterministic synthetic generators.

The synthetic generators only have to match each workload's input spec (shape, type,
plausible range) so that performance and spin-up runs work offline; they carry no
meaning and are never used for accuracy.
"""

from __future__ import annotations

import numpy as np

from tinybench.workloads.spec import Quantization, RawInput


def rgb_image(height: int, width: int, scale_to_unit: bool) -> RawInput:
    """uint8 RGB, interleaved HWC, as the EEMBC `.bin` files hold it.

    `scale_to_unit`: the model takes pixels / 255 (VWW) rather than raw 0–255 (IC).
    """

    def to_real(raw: np.ndarray) -> np.ndarray:
        real = raw.astype(np.float64)
        return real / 255.0 if scale_to_unit else real

    def synthesize(rng: np.random.Generator) -> np.ndarray:
        return rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)

    return RawInput(
        shape=(height, width, 3),
        dtype="uint8",
        description=f"{height}x{width}x3 uint8 RGB, interleaved HWC",
        to_real=to_real,
        synthesize=synthesize,
    )


def quantized_features(shape: tuple[int, ...], quantization: Quantization, description: str) -> RawInput:
    """Features already quantized to int8 with the reference parameters (KWS MFCC `.bin`)."""

    def to_real(raw: np.ndarray) -> np.ndarray:
        return quantization.dequantize(raw.astype(np.int8))

    def synthesize(rng: np.random.Generator) -> np.ndarray:
        # MFCCs cluster below zero with a long tail; any int8 pattern is a valid input.
        return np.clip(np.round(rng.normal(-20.0, 30.0, size=shape)), -128, 127).astype(np.int8)

    return RawInput(shape=shape, dtype="int8", description=description, to_real=to_real, synthesize=synthesize)


def float_window(size: int, description: str) -> RawInput:
    """A float32 window (ad01: 5 frames × 128 log-mel bins)."""

    def to_real(raw: np.ndarray) -> np.ndarray:
        return raw.astype(np.float64)

    def synthesize(rng: np.random.Generator) -> np.ndarray:
        return rng.normal(-30.0, 12.0, size=(size,)).astype(np.float32)

    return RawInput(shape=(size,), dtype="float32", description=description, to_real=to_real, synthesize=synthesize)
