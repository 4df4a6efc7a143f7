"""A whole model on a described accelerator: per-layer costs and their totals."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from tinybench.targets.simaccel.accelerator import Accelerator
from tinybench.targets.simaccel.cycle_model import LayerCost, layer_cost
from tinybench.targets.simaccel.layer_mapping import Layer, map_graph
from tinybench.workloads.tflite_graph import ModelGraph

TABLE_COLUMNS = ["layer", "op", "shape", "unit", "MACs", "compute cycles", "stall cycles", "cycles", "utilization %",
                 "SRAM bytes", "DRAM bytes", "energy nJ", "bound"]


@dataclass(frozen=True)
class Simulation:
    accelerator: Accelerator
    layers: list[tuple[Layer, LayerCost]]

    @property
    def cycles(self) -> int:
        return sum(c.cycles for _, c in self.layers)

    @property
    def latency_s(self) -> float:
        return self.cycles / self.accelerator.clock_hz

    @property
    def dynamic_energy_j(self) -> float:
        return sum(c.energy_pj for _, c in self.layers) * 1e-12

    @property
    def energy_j(self) -> float:
        """One inference: dynamic energy plus static power over its latency."""
        return self.dynamic_energy_j + self.accelerator.static_mw * 1e-3 * self.latency_s

    @property
    def weight_bytes(self) -> int:
        return sum(layer.weight_bytes for layer, _ in self.layers)

    @property
    def spinup_cycles(self) -> int:
        """Loading every weight over the off-chip link."""
        return math.ceil(self.weight_bytes / self.accelerator.dram_bytes_per_cycle)

    def totals(self) -> dict:
        macs = sum(c.macs for _, c in self.layers)
        acc = self.accelerator
        return {
            "accelerator": acc.name, "clock_hz": acc.clock_hz, "cycles": self.cycles,
            "compute_cycles": sum(c.compute_cycles for _, c in self.layers),
            "stall_cycles": sum(c.stall_cycles for _, c in self.layers), "macs": macs,
            "latency_s": self.latency_s, "energy_per_inference_j": self.energy_j,
            "dynamic_energy_j": self.dynamic_energy_j, "sram_bytes": sum(c.sram_bytes for _, c in self.layers),
            "dram_bytes": sum(c.dram_bytes for _, c in self.layers), "weight_bytes": self.weight_bytes,
            "spinup_cycles": self.spinup_cycles, "utilization": macs / (self.cycles * acc.rows * acc.cols),
            "memory_bound_layers": sum(c.bound == "memory" for _, c in self.layers),
            "host_layers": sum(c.unit == "host" for _, c in self.layers),
        }

    def table_rows(self) -> list[list]:
        return [[layer.index, layer.op_type, layer.shape, cost.unit, cost.macs, cost.compute_cycles, cost.stall_cycles,
                 cost.cycles, round(cost.utilization * 100, 2), cost.sram_bytes, cost.dram_bytes,
                 round(cost.energy_pj / 1e3, 3),
                 cost.bound + (f" ({cost.note})" if cost.note else "")] for layer, cost in self.layers]

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.table_rows(), columns=TABLE_COLUMNS)


def simulate(graph: ModelGraph, accelerator: Accelerator) -> Simulation:
    layers = map_graph(graph, accelerator.array_ops)
    return Simulation(accelerator, [(layer, layer_cost(layer, accelerator)) for layer in layers])
