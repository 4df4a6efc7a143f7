"""`simaccel`: a workload on a described accelerator.

Outputs come from a real interpreter (LiteRT on the host, so accuracy is real); latency,
spin-up and energy come from the per-layer model of the accelerator (clock source:
simulated cycles). Spin-up = loading the weights over the off-chip link, then the first
inference. Energy = the model's per-inference energy × iterations (`self_reported_energy`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinybench.errors import TargetError
from tinybench.targets.contract import Capability, ClockSource, InferReport, LoadReport, SystemInfo, Target
from tinybench.targets.host import HostOptions, HostTarget
from tinybench.targets.simaccel.accelerator import load_accelerator
from tinybench.targets.simaccel.simulator import Simulation, simulate
from tinybench.workloads.model_artifact import ModelArtifact


@dataclass(frozen=True)
class SimAccelOptions:
    accel: str = "mcu-npu"  # a preset (mcu-npu, edge-npu) or a path to a TOML description


class SimAccelTarget(Target):
    name = "simaccel"
    capabilities = frozenset({Capability.LATENCY, Capability.SPINUP, Capability.ENERGY, Capability.CYCLES,
                              Capability.MEMORY})
    Options = SimAccelOptions
    warm_reload = False
    self_reported_energy = True

    def __init__(self, options: SimAccelOptions) -> None:
        super().__init__(options)
        self.accelerator = load_accelerator(options.accel)
        self._interpreter = HostTarget(HostOptions(threads=1))
        self.simulation: Simulation | None = None
        self.last_energy_j = 0.0  # energy of the last infer() call (J), for the energy mode

    def describe(self) -> SystemInfo:
        acc = self.accelerator
        return SystemInfo(
            target=self.name, name=f"{acc.name} (simulated {acc.rows}x{acc.cols} {acc.dataflow} array)",
            processor=acc.description or acc.name, clock_hz=acc.clock_hz, runtime="tinybench simaccel model",
            runtime_version="1", details={"accelerator": acc.to_json()})

    def load(self, model: ModelArtifact) -> LoadReport:
        self._interpreter.load(model)
        self.simulation = simulate(model.graph, self.accelerator)
        sim = self.simulation
        return LoadReport(phases_s={"weights_load": sim.spinup_cycles / self.accelerator.clock_hz},
                          memory_bytes={"weights": sim.weight_bytes,
                                        "sram": self.accelerator.sram_input_bytes + self.accelerator.sram_weight_bytes
                                        + self.accelerator.sram_output_bytes},
                          details={"simulation": {"totals": sim.totals(), "columns": list(sim.table().columns),
                                                  "rows": sim.table_rows()}},
                          tables={"simaccel_layers.csv": sim.table()})

    def infer(self, tensor: np.ndarray, iterations: int, warmup: int, raw: np.ndarray | None = None) -> InferReport:
        if self.simulation is None:
            raise TargetError("simaccel target: infer() called before load()")
        outputs = self._interpreter.infer(tensor, 1, 0).outputs  # real outputs, once (they do not vary)
        sim = self.simulation
        self.last_energy_j = iterations * sim.energy_j
        return InferReport(outputs=outputs, iterations=iterations, warmup=warmup,
                           window_s=iterations * sim.latency_s, clock_source=ClockSource.SIMULATED_CYCLES,
                           extra={"cycles": iterations * sim.cycles, "energy_j": iterations * sim.energy_j})

    def cold_start_unavailable(self) -> str | None:
        return None

    def cold_start(self) -> LoadReport:
        if self.simulation is None:
            raise TargetError("simaccel target: cold_start() before load()")
        return LoadReport(phases_s={"weights_load": self.simulation.spinup_cycles / self.accelerator.clock_hz})

    def close(self) -> None:
        self._interpreter.close()
