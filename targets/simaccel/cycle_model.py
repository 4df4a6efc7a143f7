"""Cycles, traffic and energy of one layer on a systolic array, as SCALE-Sim 3.0.0 computes them.

Compute cycles (operands mapped as in SCALE-Sim; partial folds padded to the full array):

| dataflow | rows ← | cols ← | streamed | folds          | cycles per fold |
|----------|--------|--------|----------|----------------|-----------------|
| os       | M      | N      | K        | ⌈M/R⌉·⌈N/C⌉    | K + R + C − 2   |
| ws       | K      | N      | M        | ⌈K/R⌉·⌈N/C⌉    | 2R + C + M − 2  |
| is       | K      | M      | N        | ⌈K/R⌉·⌈M/C⌉    | 2R + C + N − 2  |

tinybench counts cycles: folds × cycles per fold. SCALE-Sim reports the index of the last
cycle, one less (its issue #125); comparisons add 1 to SCALE-Sim's figure — per SCALE-Sim
layer, so once per channel for depthwise layers (SCALE-Sim runs one layer per channel).

SRAM accesses (words = bytes), as SCALE-Sim counts them:

| dataflow | ifmap reads    | filter reads   | ofmap writes                          |
|----------|----------------|----------------|---------------------------------------|
| os       | M·K·⌈N/C⌉      | K·N·⌈M/R⌉      | M·N, reported M·N + folds·(R + C)     |
| ws       | M·K·⌈N/C⌉      | K·N            | M·N·⌈K/R⌉ (partial sums, per K fold)  |
| is       | M·K            | K·N·⌈M/C⌉      | M·N·⌈K/R⌉                             |

The os ofmap count: SCALE-Sim's ``systolic_compute_os`` adds the fold's padded shape
(R + C) to its write counter after counting the fold's M·N share, a counting slip (no
word is written for it); so an FC layer (M = 1, N = 10) on 32×32 is reported as
10 + 64 = 74 writes. tinybench reports that figure as ``scalesim_ofmap_writes`` and uses
the real writes for energy.

Off-chip traffic, stalls, and the fill and drain around each layer follow SCALE-Sim's
double-buffered scratchpad (:mod:`scratchpad`, formulas there), with the accelerator's
``dram.bytes_per_cycle`` as each buffer's port bandwidth. Layer cycles = compute + stalls
+ first fill + last drain (SCALE-Sim's "Total Cycles (incl. prefetch)" + 1). A layer is
*memory-bound* when it waits on memory (stalls, fill, drain) longer than it computes.
Energy = MACs·e_MAC + SRAM bytes·e_SRAM + off-chip bytes·e_DRAM (+ static power × time,
added over the model).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tinybench.targets.simaccel.accelerator import Accelerator
from tinybench.targets.simaccel.ifmap_reuse import ConvShape
from tinybench.targets.simaccel.layer_mapping import Gemm, Layer
from tinybench.targets.simaccel.scratchpad import Traffic, simulate_memory


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
    stall_cycles: int = 0
    traffic: Traffic | None = None  # per SCALE-Sim layer (one depthwise channel), SCALE-Sim's terms


def sram_accesses(gemm: Gemm, rows: int, cols: int, dataflow: str) -> tuple[int, int, int, int]:
    """(ifmap reads, filter reads, real ofmap writes, SCALE-Sim's ofmap write count) of one GEMM."""
    m, k, n, R, C = gemm.m, gemm.k, gemm.n, rows, cols
    if dataflow == "os":
        writes = m * n
        return m * k * math.ceil(n / C), k * n * math.ceil(m / R), writes, \
            writes + math.ceil(m / R) * math.ceil(n / C) * (R + C)
    if dataflow == "ws":
        writes = m * n * math.ceil(k / R)
        return m * k * math.ceil(n / C), k * n, writes, writes
    writes = m * n * math.ceil(k / R)
    return m * k, k * n * math.ceil(m / C), writes, writes


def layer_traffic(layer: Layer, acc: Accelerator) -> Traffic:
    """SCALE-Sim's memory figures for one SCALE-Sim layer of ``layer`` (one channel if depthwise)."""
    g, R, C = layer.gemm, acc.rows, acc.cols
    ifmap, filt, _, reported = sram_accesses(g, R, C, acc.dataflow)
    conv = None
    s = layer.scalesim
    if s is not None and s["kind"] in ("conv", "dw"):
        (oh, ow), channels = _out_dims(s), (1 if s["kind"] == "dw" else s["channels"])
        conv = ConvShape(oh, ow, s["filter"][0], s["filter"][1], channels, s["stride"])
    return simulate_memory(g.m, g.k, g.n, R, C, acc.dataflow,
                           (acc.sram_input_bytes, acc.sram_weight_bytes, acc.sram_output_bytes),
                           acc.dram_bytes_per_cycle, (ifmap, filt, reported), conv)


def _out_dims(s: dict) -> tuple[int, int]:
    (ih, iw), (fh, fw), st = s["ifmap"], s["filter"], s["stride"]
    return math.ceil((ih - fh + st) / st), math.ceil((iw - fw + st) / st)


def array_cost(layer: Layer, acc: Accelerator) -> LayerCost:
    g, R, C, reps = layer.gemm, acc.rows, acc.cols, layer.gemm.repeats
    compute = compute_cycles(g, R, C, acc.dataflow)
    t = layer_traffic(layer, acc)
    ifmap, filt, writes, _ = sram_accesses(g, R, C, acc.dataflow)
    sram = (ifmap + filt + writes) * reps
    dram = t.dram_bytes * reps
    cycles = t.cycles * reps
    energy = g.macs * acc.pj_per_mac + sram * acc.pj_per_sram_byte + dram * acc.pj_per_dram_byte
    waiting = t.stall_cycles + t.fill_cycles + t.drain_cycles
    return LayerCost("array", g.macs, compute, cycles, sram, dram, energy,
                     "memory" if waiting > t.compute_cycles else "compute", g.macs / (cycles * R * C),
                     stall_cycles=t.stall_cycles * reps, traffic=t)


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
