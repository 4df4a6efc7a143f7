"""The frozen description of a workload: what goes in, what comes out, how it is scored.

A workload never runs anything itself; the harness uses its description to prepare
inputs, check models, and score outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

REFERENCE_COMMIT = "1afd2c9820f795965a6134facd0b4dfae41ef23f"
REFERENCE_URL_BASE = f"https://github.com/mlcommons/tiny/raw/{REFERENCE_COMMIT}/benchmark/training/"


@dataclass(frozen=True)
class Quantization:
    """Affine quantization: real = scale × (q − zero_point)."""

    scale: float
    zero_point: int

    def quantize(self, real: np.ndarray, dtype: str) -> np.ndarray:
        """Real values → integers, rounding half away from zero (C `round`), saturating."""
        info = np.iinfo(dtype)
        scaled = np.asarray(real, dtype=np.float64) / self.scale
        rounded = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)
        return np.clip(rounded + self.zero_point, info.min, info.max).astype(dtype)

    def dequantize(self, q: np.ndarray) -> np.ndarray:
        return (np.asarray(q, dtype=np.float64) - self.zero_point) * self.scale

    def close_to(self, other: Quantization | None, rel: float = 1e-6) -> bool:
        return (
            other is not None
            and self.zero_point == other.zero_point
            and abs(self.scale - other.scale) <= rel * max(abs(self.scale), abs(other.scale))
        )


@dataclass(frozen=True)
class TensorSpec:
    """Shape (batch first), element type and quantization of one tensor."""

    shape: tuple[int, ...]
    dtype: str  # numpy dtype name: "int8", "uint8", "float32"
    quantization: Quantization | None = None

    @property
    def bytes(self) -> int:
        return int(np.prod(self.shape)) * np.dtype(self.dtype).itemsize

    def describe(self) -> str:
        dims = "x".join(str(d) for d in self.shape)
        q = ""
        if self.quantization is not None:
            q = f" (scale {self.quantization.scale:.9g}, zero point {self.quantization.zero_point})"
        return f"{dims} {self.dtype}{q}"

    def to_json(self) -> dict:
        out: dict = {"shape": list(self.shape), "dtype": self.dtype}
        if self.quantization is not None:
            out["scale"] = self.quantization.scale
            out["zero_point"] = self.quantization.zero_point
        return out


@dataclass(frozen=True)
class RawInput:
    """One raw sample as datasets deliver it (before pre-processing), e.g. an EEMBC `.bin`.

    `to_real` maps it to the real-valued model input; the harness then quantizes with
    the model's own input parameters, so any model with the right shape can be fed.
    """

    shape: tuple[int, ...]
    dtype: str
    description: str
    to_real: Callable[[np.ndarray], np.ndarray]
    synthesize: Callable[[np.random.Generator], np.ndarray]


@dataclass(frozen=True)
class ReferenceModel:
    """The official closed-division model: where it lives and how to recognise it."""

    filename: str
    path: str  # under benchmark/training of the pinned MLCommons tiny commit
    sha256: str
    size_bytes: int
    mirror_folder: str = "models"  # its folder in an offline mirror (TINYBENCH_REFERENCE_DIR)

    @property
    def url(self) -> str:
        return REFERENCE_URL_BASE + self.path


@dataclass(frozen=True)
class QualityTarget:
    """Closed-division quality target: `metric` must reach `minimum`."""

    metric: str  # "top1" (fraction) or "auc"
    minimum: float

    def describe(self) -> str:
        if self.metric == "top1":
            return f"top-1 ≥ {self.minimum:.0%}"
        if self.metric == "kitti_ap":
            return f"Car AP|R40 (moderate) ≥ {self.minimum:.0%}"
        if self.metric == "sww_fp_fn":  # here `minimum` is an upper bound on both counts
            return f"≤ {self.minimum:g} false positives and ≤ {self.minimum:g} false negatives (50 wake words)"
        return f"{self.metric.upper()} ≥ {self.minimum:g}"


@dataclass(frozen=True)
class Workload:
    """A benchmark workload (`vww01`, `kws01`, …) as MLPerf Tiny names it."""

    id: str
    title: str
    task: str
    model_family: str
    input: TensorSpec  # model input with the reference quantization
    output: TensorSpec  # model output with the reference quantization
    raw_input: RawInput
    labels: tuple[str, ...]
    metric: str  # "top1", "auc" or "kitti_ap"
    quality_target: QualityTarget
    reference: ReferenceModel | None  # None: no official model exists (det01)
    builtin_model: str  # file name under tinybench/workloads/builtin/
    datasets: tuple[str, ...] = field(default=())
    extra_outputs: tuple[TensorSpec, ...] = field(default=())  # further model outputs (det01: boxes)

    def to_model_input(self, raw: np.ndarray, model_input: TensorSpec) -> np.ndarray:
        """Pre-process one raw sample into the model's input tensor (batch of 1). Untimed."""
        raw = np.asarray(raw)
        if raw.shape != self.raw_input.shape and raw.size == int(np.prod(self.raw_input.shape)):
            raw = raw.reshape(self.raw_input.shape)
        real = self.raw_input.to_real(raw)
        dtype = np.dtype(model_input.dtype)
        if np.issubdtype(dtype, np.integer):
            if model_input.quantization is None:
                raise ValueError(f"integer model input without quantization parameters ({model_input.describe()})")
            tensor = model_input.quantization.quantize(real, dtype.name)
        else:
            tensor = np.asarray(real, dtype=dtype)
        return tensor.reshape(model_input.shape)

    def synthetic_raw(self, rng: np.random.Generator) -> np.ndarray:
        return self.raw_input.synthesize(rng)

    def summary(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "task": self.task,
            "model_family": self.model_family,
            "input": self.input.to_json(),
            "output": self.output.to_json(),
            "raw_input": {"shape": list(self.raw_input.shape), "dtype": self.raw_input.dtype,
                          "description": self.raw_input.description},
            "labels": list(self.labels),
            "metric": self.metric,
            "quality_target": {"metric": self.quality_target.metric, "minimum": self.quality_target.minimum},
            "reference_model": None if self.reference is None else {
                "file": self.reference.filename, "url": self.reference.url, "sha256": self.reference.sha256,
                "bytes": self.reference.size_bytes},
            "extra_outputs": [o.to_json() for o in self.extra_outputs],
        }
