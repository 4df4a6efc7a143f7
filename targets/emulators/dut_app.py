"""Assemble and run an emulated DUT: workload + model (run by TFLite Micro) + cycle model + faults."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from tinybench.targets.emulators.cycle_model import CycleModel
from tinybench.targets.emulators.dut_firmware import DutFirmware, FirmwareConfig
from tinybench.targets.emulators.dut_pty import FaultPlan, PtyDevice
from tinybench.targets.emulators.emulator_clock import EmulatorClock, clock_kind
from tinybench.targets.emulators.interface_board import InterfaceBoardFront
from tinybench.targets.emulators.sww_board import SwwBoard
from tinybench.targets.emulators.sww_firmware import SwwConfig, SwwFirmware
from tinybench.targets.tflm_runtime import DEFAULT_ARENA_BYTES, TflmModel
from tinybench.workloads import get_workload
from tinybench.workloads.model_choice import resolve_model


@dataclass
class EmulatorOptions:
    workload: str
    model: str = "builtin"
    energy_mode: bool = False
    cycle_model: CycleModel = field(default_factory=CycleModel)
    faults: FaultPlan = field(default_factory=FaultPlan)
    line_rate_baud: int = 0
    time_scale: float = 1.0  # 1: real time, as a board runs; 0: a virtual clock (fast tests)
    timer_start_us: int = 0
    model_id: str | None = None
    vendor: str = "tinybench-emulator"
    arena_bytes: int = DEFAULT_ARENA_BYTES
    interface_board: bool = False  # serve the DUT behind an emulated interface board
    monitor_socket: str | None = None  # the emulated power monitor that powers the DUT and sees its pulses
    sd_card: str | None = None  # the interface board's SD card folder (sww01: the wavs `play` streams)


def build_device(options: EmulatorOptions) -> PtyDevice:
    """The device on its pty; raises ValueError (bad option) or MonitorLinkError (monitor absent or mismatched)."""
    clock = EmulatorClock(clock_kind(options.time_scale))
    workload = get_workload(options.workload)
    model = resolve_model(options.model, workload)
    tflm = TflmModel(model.content, options.arena_bytes)
    cache: dict[bytes, object] = {}

    def run_model(tensor):  # noqa: ANN001, ANN202 - the same input always gives the same output
        key = tensor.tobytes()
        if key not in cache:
            cache.clear()
            cache[key] = tflm.run(tensor)
        return cache[key]

    config = FirmwareConfig(
        workload=workload, macs=model.graph.macs, operators=len(model.graph.operators),
        model_bytes=model.size_bytes, cycle_model=options.cycle_model, energy_mode=options.energy_mode,
        model_id=options.model_id, vendor=options.vendor, timer_start_us=options.timer_start_us,
    )
    monitor = None
    if options.monitor_socket:
        from tinybench.targets.emulators.monitor_link import MonitorLink

        monitor = MonitorLink(options.monitor_socket, clock)

    if options.sd_card and not options.interface_board:
        raise ValueError("--sd-card belongs to the interface board: add --interface-board")
    if options.sd_card and not Path(options.sd_card).is_dir():
        raise ValueError(f"--sd-card {options.sd_card}: not a folder (put the stream wavs in a folder and pass it)")

    def make_firmware():  # noqa: ANN202
        if "sww-stream" in workload.datasets:
            dut = SwwFirmware(SwwConfig(model.graph.macs, len(model.graph.operators), options.cycle_model,
                                        energy_mode=options.energy_mode, model_id=options.model_id or workload.id),
                              tflm.run, model.input, model.output, clock=clock, monitor=monitor)
        else:
            dut = DutFirmware(config, run_model, model.input, model.output, clock=clock, monitor=monitor)
        if not options.interface_board:
            return dut
        sww = SwwBoard(Path(options.sd_card), clock) if options.sd_card else None
        return InterfaceBoardFront(dut, clock, sww=sww)

    return PtyDevice(make_firmware, options.faults, options.line_rate_baud, clock=clock, monitor=monitor)


def serve(options: EmulatorOptions) -> None:
    """Open the pty, print where it is, serve until SIGTERM/SIGINT."""
    import os

    device = build_device(options)
    device.install_signal_handlers()
    print(f"pty: {device.path}", flush=True)
    print(f"pid: {os.getpid()}", flush=True)
    clock = "real time" if options.time_scale else "virtual clock"
    print(f"workload: {options.workload}; mode: {'energy' if options.energy_mode else 'performance'}; "
          f"inference: {device.firmware.inference_us:.1f} µs (cycle model); {clock}", flush=True)
    sys.stdout.flush()
    try:
        device.serve_forever()
    finally:
        device.close()
