"""Feed one sww01 stream through a target frame by frame; collect the raw facts.

What runs (and is timed) for an in-process target (host, tflm, simaccel):

1. **front end** — the firmware's LFBE front end over the whole stream at once
   (:func:`tinybench.workloads.sww_frontend.stream_features`, vectorised; its output is
   byte-identical to computing frame by frame, which is tested) and the int8 cast. Its
   wall-clock time is measured once and shared equally by the frames: the *front-end
   time per frame* is that total ÷ frames;
2. **frames** — for every frame k in order: its 30×40 window (the FIFO, starting from int8
   zeros) goes to `target.infer(window, 1 iteration, 0 warm-up)`, which times the
   inference on the target's own clock (host wall clock, or simulated cycles) and returns
   the outputs. That per-inference time is frame k's *model time*.

A frame's processing time = front-end time per frame + its model time (the firmware's
Processing pin covers both); a simulated accelerator models the network only, so its
processing time is the model time and the front end is reported as not modelled.
Energy: a counter monitor (RAPL) is read before step 1 and after step 2; a target
that models energy reports it per inference (summed here).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from tinybench.errors import TargetError
from tinybench.progress import Task
from tinybench.targets.contract import ClockSource, Target
from tinybench.targets.power.contract import CounterCapture, MonitorError, MonitorUnavailable, PowerMonitor
from tinybench.workloads.model_artifact import ModelArtifact
from tinybench.workloads.sww_frontend import Variant, feature_windows, quantize, stream_features

PROGRESS_EVERY = 512  # frames between progress updates


@dataclass
class FrameFacts:
    """Raw facts of one stream on one target (times in s)."""

    outputs: np.ndarray  # (frames, outputs) raw output tensor values per frame
    model_s: np.ndarray  # per frame, the target's own inference time
    frontend_total_s: float  # host wall clock, the whole stream's front end
    elapsed_s: float  # host wall clock, front end + every frame (back to back)
    clock_source: ClockSource
    features_wrapped: int  # feature values that overflowed the int8 cast (wrapped)
    cycles: np.ndarray | None = None  # per frame, where the target counts them
    modelled_energy_j: np.ndarray | None = None  # per frame, where the target models energy
    counter: CounterCapture | None = None  # energy counter read around the whole stream
    energy_problem: str | None = None  # why the monitor gave nothing, if it failed

    @property
    def frames(self) -> int:
        return int(self.model_s.size)

    @property
    def frontend_per_frame_s(self) -> float:
        return self.frontend_total_s / self.frames if self.frames else 0.0


def feed_stream(target: Target, model: ModelArtifact, samples: np.ndarray, variant: Variant,
                task: Task, monitor: PowerMonitor | None = None) -> FrameFacts:
    """Run every frame of `samples` (int16, 16 kHz) through `target` (model loaded)."""
    quant = model.input.quantization
    if model.input.dtype != "int8" or quant is None:
        raise TargetError(f"sww01 streams need an int8 model input with quantization, got {model.input.describe()}")
    energy_problem = None
    if monitor is not None:
        try:
            monitor.begin_window()
        except (MonitorError, MonitorUnavailable) as exc:
            energy_problem, monitor = f"{monitor.name}: {exc}", None
    started = time.perf_counter()
    rows, wrapped = quantize(stream_features(samples, variant), quant.scale, quant.zero_point)
    frontend_s = time.perf_counter() - started
    windows = feature_windows(rows)
    frames = len(windows)
    model_s = np.empty(frames, dtype=np.float64)
    outputs: np.ndarray | None = None
    cycles = energy = None
    clock = None
    shape = model.input.shape
    for k in range(frames):
        window = windows[k]
        report = target.infer(window.reshape(shape), 1, 0, raw=window)
        if outputs is None:
            outputs = np.empty((frames, report.outputs[0].size), dtype=report.outputs[0].dtype)
            clock = report.clock_source
            cycles = np.zeros(frames, dtype=np.int64) if "cycles" in report.extra else None
            energy = np.zeros(frames, dtype=np.float64) if "energy_j" in report.extra else None
        outputs[k] = report.outputs[0].ravel()
        model_s[k] = report.per_inference_s[0] if report.per_inference_s is not None else report.window_s
        if cycles is not None:
            cycles[k] = report.extra["cycles"]
        if energy is not None:
            energy[k] = report.extra["energy_j"]
        if k % PROGRESS_EVERY == PROGRESS_EVERY - 1:
            task.advance(PROGRESS_EVERY)
    elapsed = time.perf_counter() - started
    counter = None
    if monitor is not None:
        try:
            counter = monitor.end_window()
        except (MonitorError, MonitorUnavailable) as exc:  # the stream's other facts stay valid
            energy_problem = f"{monitor.name}: {exc}"
    task.advance(frames % PROGRESS_EVERY)
    if outputs is None:
        raise TargetError(f"the stream is shorter than one frame ({len(samples)} samples)")
    return FrameFacts(outputs=outputs, model_s=model_s, frontend_total_s=frontend_s, elapsed_s=elapsed,
                      clock_source=clock, features_wrapped=wrapped, cycles=cycles, modelled_energy_j=energy,
                      counter=counter if isinstance(counter, CounterCapture) else None,
                      energy_problem=energy_problem)
