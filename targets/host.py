"""`host`: the model on this machine's CPU through LiteRT (or tflite_runtime / tf.lite)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinybench.errors import ModelError, TargetError
from tinybench.host_state import parse_cpu_list
from tinybench.targets.contract import (
    Capability,
    ClockSource,
    InferReport,
    LoadReport,
    SystemInfo,
    Target,
)
from tinybench.targets.host_system import cpu_max_hz, cpu_model, logical_cores, os_description
from tinybench.targets.litert_runtime import find_runtime
from tinybench.targets.timing_loop import timed_invocations
from tinybench.workloads.model_artifact import ModelArtifact


@dataclass(frozen=True)
class HostOptions:
    """Options of the host target."""

    threads: int = 1  # interpreter threads; 1 = single-stream, like an MCU
    xnnpack: bool = True  # LiteRT's default XNNPACK delegate on/off
    cpu: str | None = None  # pin the process (and its cold-start children) to these CPUs, e.g. "1" or "2,3"

    def __post_init__(self) -> None:
        if self.threads < 1:
            raise ValueError("threads must be ≥ 1")
        if self.cpu is not None and not parse_cpu_list(str(self.cpu)):
            raise ValueError(f"cpu must be a CPU number or list such as 1 or 2,3, got {self.cpu!r}")


class HostTarget(Target):
    """Runs the model in-process; times every inference with `time.perf_counter_ns`."""

    name = "host"
    capabilities = frozenset({Capability.LATENCY, Capability.PER_INFERENCE_LATENCY, Capability.SPINUP,
                              Capability.ENERGY})
    Options = HostOptions
    cold_start_in_subprocess = True
    default_power_monitor = "rapl"  # the CPU package's energy counters, where the kernel exposes them

    def __init__(self, options: HostOptions) -> None:
        super().__init__(options)
        self.runtime = find_runtime()
        self._unpinned = pin_cpus(options.cpu) if options.cpu is not None else None
        self._interpreter: Any = None
        self._input_index = -1
        self._output_indices: list[int] = []

    def describe(self) -> SystemInfo:
        runtime = self.runtime
        threads = self.options.threads
        delegate = "XNNPACK" if self.options.xnnpack else "built-in kernels"
        return SystemInfo(
            target=self.name,
            name=f"{cpu_model()} · {runtime.package} · {threads} thread{'s' if threads > 1 else ''} · {delegate}",
            processor=cpu_model(),
            clock_hz=cpu_max_hz(),
            runtime=runtime.package,
            runtime_version=runtime.version,
            os=os_description(),
            details={"threads": threads, "xnnpack": self.options.xnnpack, "logical_cores": logical_cores(),
                     **({"pinned_cpus": self.options.cpu} if self.options.cpu is not None else {})},
        )

    def load(self, model: ModelArtifact) -> LoadReport:
        """Phases: `load` (parse the flatbuffer, resolve ops) and `allocate` (tensors, delegate)."""
        kwargs: dict[str, Any] = {"model_content": model.content, "num_threads": self.options.threads}
        resolver = self.runtime.op_resolver_type
        if not self.options.xnnpack:
            if resolver is None:
                raise TargetError(f"{self.runtime.package} cannot disable XNNPACK", hint="drop --no-xnnpack")
            kwargs["experimental_op_resolver_type"] = resolver.BUILTIN_WITHOUT_DEFAULT_DELEGATES
        self._interpreter = None
        try:
            t0 = time.perf_counter_ns()
            interpreter = self.runtime.interpreter_class(**kwargs)
            t1 = time.perf_counter_ns()
            interpreter.allocate_tensors()
            t2 = time.perf_counter_ns()
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"{self.runtime.package} cannot load the model: {str(exc).strip().splitlines()[0]}") from exc
        self._interpreter = interpreter
        self._input_index = interpreter.get_input_details()[0]["index"]
        self._output_indices = [d["index"] for d in interpreter.get_output_details()]
        return LoadReport(phases_s={"load": (t1 - t0) / 1e9, "allocate": (t2 - t1) / 1e9})

    def infer(self, tensor: np.ndarray, iterations: int, warmup: int, raw: np.ndarray | None = None) -> InferReport:
        """Set the input once (untimed), run `warmup` untimed and `iterations` timed invocations."""
        interpreter = self._interpreter
        if interpreter is None:
            raise TargetError("host target: infer() called before load()")
        if iterations < 1 or warmup < 0:
            raise TargetError(f"host target: invalid iterations={iterations} warmup={warmup}")
        interpreter.set_tensor(self._input_index, tensor)
        window_s, per_inference = timed_invocations(interpreter.invoke, iterations, warmup)
        outputs = [np.array(interpreter.get_tensor(i), copy=True) for i in self._output_indices]
        return InferReport(outputs=outputs, iterations=iterations, warmup=warmup, window_s=window_s,
                           clock_source=ClockSource.HOST_WALL_CLOCK, per_inference_s=per_inference)

    def close(self) -> None:
        self._interpreter = None
        if self._unpinned is not None:  # the process's affinity as it was before pinning
            os.sched_setaffinity(0, self._unpinned)
            self._unpinned = None


def pin_cpus(spec: str) -> set[int]:
    """Pin this process to the CPUs of `spec`; returns the affinity it had (to restore on close)."""
    cpus = set(parse_cpu_list(str(spec)))
    if not hasattr(os, "sched_setaffinity"):
        raise TargetError("--cpu needs an OS that can pin processes (Linux)")
    before = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, cpus)
    except OSError as exc:
        raise TargetError(f"cannot pin to CPU {spec}: {exc.strerror or exc}",
                          hint=f"this process may use CPUs {','.join(map(str, sorted(before)))}") from exc
    return before
