"""Cycles, traffic and energy of one layer on a systolic array (SCALE-Sim's fold model).

Compute cycles (operands mapped as in SCALE-Sim; partial folds padded to the full array):

| dataflow | rows ← | cols ← | streamed | folds          | cycles per fold |
|----------|--------|--------|----------|----------------|-----------------|
| os       | M      | N      | K        | ⌈M/R⌉·⌈N/C⌉    | K + R + C − 2   |
| ws       | K      | N      | M        | ⌈K/R⌉·⌈N/C⌉    | 2R + C + M − 2  |
| is       | K      | M      | N        | ⌈K/R⌉·⌈M/C⌉    | 2R + C + N − 2  |

tinybench counts cycles: folds × cycles per fold. SCALE-Sim reports the index of the last
cycle, one less (its issue #125); comparisons add 1 to SCALE-Sim's figure.

Traffic (bytes; int8 operands): on-chip SRAM reads follow the fold model (os: ifmap M·K·⌈N/C⌉,
filter K·N·⌈M/R⌉; ws: ifmap M·K·⌈N/C⌉, filter K·N once; is: ifmap M·K once, filter
K·N·⌈M/C⌉; outputs M·N written per pass over K: ⌈K/R⌉ for ws/is, once for os). Off-chip:
an operand whose bytes fit in half its SRAM (double buffering) is fetched once — for inputs,
the bytes the layer needs, min(input tensor, M·K) (a strided 1×1 convolution skips pixels);
otherwise every SRAM read of it comes from off-chip. Outputs are written once. So more SRAM
never means more off-chip traffic (a test checks it).

Time: the off-chip transfers overlap compute (double buffering), except the first fold's
operands: cycles = max(compute, off-chip bytes ÷ bandwidth) + first-fold bytes ÷ bandwidth.
The layer is *memory-bound* when transfers exceed compute. Energy = MACs·e_MAC +
SRAM bytes·e_SRAM + off-chip bytes·e_DRAM (+ static power × time, added over the model).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tinybench.targets.simaccel.accelerator import Accelerator
from tinybench.targets.simaccel.layer_mapping import Gemm, Layer


def compute_cycles(gemm: Gemm, rows: int, cols: int, dataflow: str) -> int:
    """Cycles of the fold model for one GEMM (× its repeats)."""
    m, k, n = gemm.m, gemm.k, gemm.n
    if dataflow == "os":
        folds, per_fold = math.ceil(m / rows) * math.ceil(n / cols), k + rows + cols - 2
    elif dataflow == "ws":
        folds, per_fold = math.ceil(k / rows) * math.ceil(n / cols), 2 * rows + cols + m - 2
    elif dataflow == "is":
        folds, per_fold = math.ceil(k / rows) * math.ceil(m / cols), 2 * rows + cols + n - 2
    else:
        raise ValueError(f"unknown dataflow {dataflow!r}")
    return folds * per_fold * gemm.repeats


@dataclass(frozen=True)
class LayerCost:
    unit: str  # "array" or "host"
    macs: int
    compute_cycles: int
    cycles: int
    sram_bytes: int
    dram_bytes: int
    energy_pj: float
    bound: str  # "compute", "memory" or "host"
    utilization: float  # MACs ÷ (cycles × R × C); 0 on the host
    note: str = ""


def array_cost(layer: Layer, acc: Accelerator) -> LayerCost:
    g, R, C = layer.gemm, acc.rows, acc.cols
    compute = compute_cycles(g, R, C, acc.dataflow)
    m, k, n, reps = g.m, g.k, g.n, g.repeats
    if acc.dataflow == "os":
        ifmap_reads, filter_reads, out_writes = m * k * math.ceil(n / C), k * n * math.ceil(m / R), m * n
        first = min(R, m) * k + k * min(C, n)
    elif acc.dataflow == "ws":
        ifmap_reads, filter_reads, out_writes = m * k * math.ceil(n / C), k * n, m * n * math.ceil(k / R)
        first = min(R, k) * min(C, n) + min(R, k) * m
    else:
        ifmap_reads, filter_reads, out_writes = m * k, k * n * math.ceil(m / C), m * n * math.ceil(k / R)
        first = min(R, k) * min(C, m) + min(R, k) * n
    ifmap_reads, filter_reads, out_writes, first = (x * reps for x in (ifmap_reads, filter_reads, out_writes, first))
    # the input bytes a layer needs: all of them, or fewer when a stride skips pixels (1×1 s2: M·K < input)
    needed_in = min(layer.input_bytes, m * k * reps)
    dram_in = needed_in if layer.input_bytes <= acc.sram_input_bytes // 2 else max(ifmap_reads, needed_in)
    dram_w = layer.weight_bytes if layer.weight_bytes <= acc.sram_weight_bytes // 2 else filter_reads + \
        (layer.weight_bytes - g.k * g.n * reps)  # bias and the like, once
    dram = dram_in + dram_w + layer.output_bytes
    transfer = dram / acc.dram_bytes_per_cycle
    prologue = math.ceil(min(first, dram) / acc.dram_bytes_per_cycle)
    cycles = max(compute, math.ceil(transfer)) + prologue
    sram = ifmap_reads + filter_reads + out_writes
    energy = g.macs * acc.pj_per_mac + sram * acc.pj_per_sram_byte + dram * acc.pj_per_dram_byte
    return LayerCost("array", g.macs, compute, cycles, sram, dram, energy,
                     "memory" if transfer > compute else "compute", g.macs / (cycles * R * C))


def host_cost(layer: Layer, acc: Accelerator) -> LayerCost:
    declared = acc.host_cycles_per_element.get(layer.op_type)
    per_element = acc.host_default_cycles_per_element if declared is None else declared
    note = "host core" if declared is not None else "host core (default cost: no cycles_per_element declared)"
    if layer.gemm is not None:
        note = "host core (not on the array per its ops list)"
        cycles = math.ceil(layer.gemm.macs * per_element)
        macs = layer.gemm.macs
    else:
        cycles = math.ceil(layer.output_elements * layer.window * per_element)
        macs = 0
    if cycles == 0:
        note += ": no data movement (metadata only)"
    return LayerCost("host", macs, cycles, cycles, layer.input_bytes + layer.output_bytes, 0,
                     cycles * acc.host_pj_per_cycle, "host", 0.0, note)


def layer_cost(layer: Layer, acc: Accelerator) -> LayerCost:
    return array_cost(layer, acc) if layer.gemm is not None else host_cost(layer, acc)
