"""The target adapter contract.

An adapter only *does* things and returns raw facts: how long each phase of loading
took, how long a window of inferences took (and each inference, where it can tell),
and the outputs. The harness computes every statistic and every score.

Adapters are registered under the entry-point group `tinybench.targets`; a vendor's
package points a name at a :class:`Target` subclass.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from tinybench.errors import TargetError
from tinybench.workloads.model_artifact import ModelArtifact


class Capability(str, enum.Enum):
    """What an adapter can measure."""

    LATENCY = "latency"  # window times
    PER_INFERENCE_LATENCY = "per_inference_latency"  # a time for every inference
    ENERGY = "energy"
    SPINUP = "spinup"
    CYCLES = "cycles"
    MEMORY = "memory"


class ClockSource(str, enum.Enum):
    """Where an adapter's times come from."""

    HOST_WALL_CLOCK = "host-wall-clock"  # time.perf_counter_ns on the host
    DEVICE_TIMER = "device-timer"  # the device's own timer (m-lap-us)
    SIMULATED_CYCLES = "simulated-cycles"  # cycles of a model ÷ its clock


@dataclass(frozen=True)
class SystemInfo:
    """Identity of the system under test, as the leaderboard shows it."""

    target: str  # adapter name, e.g. "host"
    name: str  # system name, e.g. "Intel Xeon @ 2.1 GHz, LiteRT, 1 thread"
    processor: str
    clock_hz: float | None
    runtime: str  # inference runtime, e.g. "ai-edge-litert"
    runtime_version: str
    os: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ModelInput:
    """One prepared input: the model tensor and the same sample in the raw domain."""

    sample_id: str
    tensor: np.ndarray
    raw: np.ndarray


@dataclass(frozen=True)
class LoadReport:
    """Phases of making a model runnable, in the order they happened (seconds).

    `details` go into the bundle's result.json (e.g. a simulator's per-layer figures),
    `tables` become files of the bundle (name → DataFrame).
    """

    phases_s: dict[str, float]
    memory_bytes: dict[str, int] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, Any] = field(default_factory=dict)


@dataclass
class InferReport:
    """Raw facts of one window: `iterations` timed inferences after `warmup` untimed ones.

    Invariant: when `per_inference_s` is given it has `iterations` entries and they sum
    to `window_s` (to within the clock's resolution). `outputs` are the model's output
    tensors, or — when `postprocessed` — the values the device itself printed after
    post-processing (a MLPerf Tiny firmware's `m-results`: class scores, or ad01's MSE).
    """

    outputs: list[np.ndarray]
    iterations: int
    warmup: int
    window_s: float
    clock_source: ClockSource
    per_inference_s: np.ndarray | None = None
    postprocessed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class Target(ABC):
    """Base class of target adapters. Subclasses set the class variables and methods."""

    name: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]
    Options: ClassVar[type]  # a dataclass of the adapter's options, all with defaults
    #: True if a cold start can be measured by loading the model in a fresh process.
    cold_start_in_subprocess: ClassVar[bool] = False
    #: True if `load` can be repeated in-process (a warm start); a flashed device cannot.
    warm_reload: ClassVar[bool] = True
    #: True if the device runs its own flashed model: `--model` declares which, nothing verifies it.
    runs_flashed_model: ClassVar[bool] = False
    #: The power monitor used for energy mode when the user names none (host: "rapl").
    default_power_monitor: ClassVar[str | None] = None

    def __init__(self, options: Any) -> None:
        self.options = options

    @classmethod
    def from_options(cls, raw: dict[str, Any]) -> Target:
        return cls(parse_options(cls.Options, raw, cls.name))

    def options_json(self) -> dict:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in dataclasses.asdict(self.options).items()}

    @abstractmethod
    def describe(self) -> SystemInfo: ...

    @abstractmethod
    def load(self, model: ModelArtifact) -> LoadReport: ...

    @abstractmethod
    def infer(self, tensor: np.ndarray, iterations: int, warmup: int, raw: np.ndarray | None = None) -> InferReport:
        """Run one window on `tensor` (the model input). `raw` is the same sample in the
        workload's raw domain (the EEMBC `.bin` bytes) for targets that take those."""

    def prepare_mode(self, mode: str) -> None:  # noqa: B027 - optional hook
        """Called before each mode (a serial target switches to that mode's baud rate)."""

    def cold_start_unavailable(self) -> str | None:
        """Why this target cannot do :meth:`cold_start` (None if it can)."""
        return "this target cannot restart the system under test"

    def cold_start(self) -> LoadReport:
        """Restart the system under test (e.g. reset the device) and time it until it is ready."""
        raise NotImplementedError(self.cold_start_unavailable())

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the device or interpreter."""

    def __enter__(self) -> Target:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def parse_options(options_cls: type, raw: dict[str, Any], target: str) -> Any:
    """Build `options_cls` from strings or values, with a clear error for each bad key."""
    fields = {f.name: f for f in dataclasses.fields(options_cls)}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        accepted = ", ".join(fields) or "none"
        raise TargetError(f"target '{target}' has no option {', '.join(unknown)}", hint=f"its options: {accepted}")
    hints = typing.get_type_hints(options_cls)
    values = {}
    for key, value in raw.items():
        try:
            values[key] = _coerce(value, hints[key])
        except (TypeError, ValueError) as exc:
            raise TargetError(f"target '{target}' option {key}={value!r} is invalid: {exc}") from exc
    try:
        return options_cls(**values)
    except (TypeError, ValueError) as exc:
        raise TargetError(f"target '{target}' options are invalid: {exc}") from exc


def _coerce(value: Any, annotation: Any) -> Any:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        if value is None or (isinstance(value, str) and value.lower() == "none"):
            return None
        annotation = next(a for a in args if a is not type(None))
    if annotation is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ValueError("expected true or false")
    if annotation in (int, float, str):
        return annotation(value)
    if annotation is Path:
        return Path(value)
    return value
