"""`tflm`: the model in the TensorFlow Lite Micro interpreter on the host (the `tflm` extra).

Bit-exact MCU kernel outputs (TFLM's reference kernels) and the tensor arena a
microcontroller would need (the `memory` capability). Times are host wall-clock times
of the reference kernels, not an MCU's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from tinybench.errors import TargetError
from tinybench.targets.contract import Capability, ClockSource, InferReport, LoadReport, SystemInfo, Target
from tinybench.targets.host_system import cpu_max_hz, cpu_model, os_description
from tinybench.targets.tflm_runtime import DEFAULT_ARENA_BYTES, TflmModel, runtime_module, version
from tinybench.targets.timing_loop import timed_invocations
from tinybench.workloads.model_artifact import ModelArtifact


@dataclass(frozen=True)
class TflmOptions:
    arena_bytes: int = DEFAULT_ARENA_BYTES  # tensor arena given to the interpreter

    def __post_init__(self) -> None:
        if self.arena_bytes < 1024:
            raise ValueError("arena_bytes must be at least 1024")


class TflmTarget(Target):
    name = "tflm"
    capabilities = frozenset({Capability.LATENCY, Capability.PER_INFERENCE_LATENCY, Capability.SPINUP,
                              Capability.MEMORY})
    Options = TflmOptions
    cold_start_in_subprocess = True

    def __init__(self, options: TflmOptions) -> None:
        super().__init__(options)
        runtime_module()  # fail early, with the extra to install
        self._model: TflmModel | None = None

    def describe(self) -> SystemInfo:
        return SystemInfo(target=self.name, name=f"{cpu_model()} · TFLite Micro (reference kernels)",
                          processor=cpu_model(), clock_hz=cpu_max_hz(), runtime="tflite-micro",
                          runtime_version=version(), os=os_description(),
                          details={"arena_bytes": self.options.arena_bytes})

    def load(self, model: ModelArtifact) -> LoadReport:
        """Phase `load` = parse + allocate the arena. Then one untimed run reads the arena use."""
        t0 = time.perf_counter_ns()
        self._model = TflmModel(model.content, self.options.arena_bytes)
        elapsed = (time.perf_counter_ns() - t0) / 1e9
        self._model.run(np.zeros(model.input.shape, dtype=model.input.dtype))
        used = self._model.arena_used()
        memory = {"arena_size": self.options.arena_bytes, "model": model.size_bytes}
        if used is not None:
            memory["arena_used"] = used
        return LoadReport(phases_s={"load": elapsed}, memory_bytes=memory)

    def infer(self, tensor: np.ndarray, iterations: int, warmup: int, raw: np.ndarray | None = None) -> InferReport:
        if self._model is None:
            raise TargetError("tflm target: infer() called before load()")
        interpreter = self._model.interpreter
        interpreter.set_input(tensor, 0)
        window_s, per_inference = timed_invocations(interpreter.invoke, iterations, warmup)
        # TFLM's memory planner may reuse the input buffer for activations, so only the first
        # invoke after set_input is sure to see the input (as on an MCU that loads it once).
        # The outputs come from one more, untimed, run on a freshly set input.
        outputs = [self._model.run(tensor)] if iterations + warmup > 1 else [np.array(interpreter.get_output(0))]
        return InferReport(outputs=outputs, iterations=iterations,
                           warmup=warmup, window_s=window_s, clock_source=ClockSource.HOST_WALL_CLOCK,
                           per_inference_s=per_inference)

    def close(self) -> None:
        self._model = None
