"""The memory model (SRAM and DRAM accesses, stalls) against SCALE-Sim 3.0.0, and its parts
against brute force on small cases."""

import json
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from tinybench.targets.simaccel.accelerator import parse_accelerator
from tinybench.targets.simaccel.cycle_model import layer_traffic, sram_accesses
from tinybench.targets.simaccel.ifmap_reuse import ConvShape, IfmapReuse
from tinybench.targets.simaccel.layer_mapping import Gemm, map_graph
from tinybench.targets.simaccel.operand_streams import RolledStream, operand_streams
from tinybench.targets.simaccel.read_buffers import first_block_outside
from tinybench.targets.simaccel.scratchpad import OfmapWrites, simulate_memory
from tinybench.workloads import get_workload
from tinybench.workloads.model_choice import resolve_model

EXPECTED = Path(__file__).with_name("scalesim_expected.json")
FIGURES = ["total_cycles", "total_cycles_incl_prefetch", "stall_cycles", "ifmap_sram_reads", "filter_sram_reads",
           "ofmap_sram_writes", "ifmap_dram_reads", "filter_dram_reads", "ofmap_dram_writes"]


def accelerator(rows, cols, dataflow, bandwidth, kib=(64, 64, 32)):
    return parse_accelerator({
        "name": "t", "array": {"rows": rows, "cols": cols, "dataflow": dataflow, "clock_mhz": 100.0},
        "sram": {"input_kib": kib[0], "weight_kib": kib[1], "output_kib": kib[2]},
        "dram": {"bytes_per_cycle": float(bandwidth)},
        "energy": {"pj_per_mac": 0.2, "pj_per_sram_byte": 1.0, "pj_per_dram_byte": 50.0, "static_mw": 1.0},
        "host": {"pj_per_cycle": 5.0, "default_cycles_per_element": 4.0}})


def ours(traffic) -> dict:  # noqa: ANN001 - a Traffic record, in SCALE-Sim's report terms
    return {"total_cycles": traffic.compute_cycles - 1 + traffic.stall_cycles,
            "total_cycles_incl_prefetch": traffic.cycles - 1, "stall_cycles": traffic.stall_cycles,
            "ifmap_sram_reads": traffic.ifmap_sram_reads, "filter_sram_reads": traffic.filter_sram_reads,
            "ofmap_sram_writes": traffic.ofmap_sram_writes, "ifmap_dram_reads": traffic.ifmap_dram_reads,
            "filter_dram_reads": traffic.filter_dram_reads, "ofmap_dram_writes": traffic.ofmap_dram_writes}


@pytest.mark.needs_reference
def test_every_layer_of_vww01_kws01_ic01_moves_data_as_scalesim_does(reference_dir):
    """SRAM reads and writes equal SCALE-Sim's; DRAM bytes, stall and total cycles within 2 % per
    layer (in fact equal), for 3 models × 4 arrays (8×8, 16×32, 4×16, 12×20) × 3 dataflows × 2
    bandwidths."""
    data = json.loads(EXPECTED.read_text())["memory"]
    assert "SCALE-Sim 3.0.0" in data["how"] and data["buffers_kib"] == [64, 64, 32]
    graphs = {w: resolve_model("reference", get_workload(w)).graph for w in ("vww01", "kws01", "ic01")}
    layers = {(w, layer.index): layer for w, g in graphs.items()
              for layer in map_graph(g, ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")) if layer.gemm}
    exact = Counter()
    cases = set()
    for row in data["rows"]:
        case = dict(zip(data["columns"], row))
        acc = accelerator(case["rows"], case["cols"], case["dataflow"], case["bandwidth"])
        got = ours(layer_traffic(layers[(case["workload"], case["layer"])], acc))
        for key in ("ifmap_sram_reads", "filter_sram_reads", "ofmap_sram_writes"):
            assert got[key] == case[key], (key, case)
        dram, dram_theirs = (sum(d[k] for k in FIGURES if "dram" in k) for d in (got, case))
        assert dram == pytest.approx(dram_theirs, rel=0.02), case
        for key in ("stall_cycles", "total_cycles", "total_cycles_incl_prefetch"):
            assert got[key] == pytest.approx(case[key], rel=0.02, abs=1), (key, case)
        exact.update(key for key in FIGURES if got[key] == case[key])
        cases.add((case["workload"], case["layer"], case["dataflow"], case["rows"], case["cols"], case["bandwidth"]))
    assert len(cases) == len(data["rows"])
    arrays = Counter((case[3], case[4]) for case in cases)
    assert arrays == {(r, c): len(layers) * 3 * 2 for r, c in data["arrays"]}, arrays  # every layer, df, bandwidth
    assert {(8, 8), (16, 32), (4, 16), (12, 20)} <= set(arrays)
    assert all(exact[key] == len(cases) for key in FIGURES), exact  # equal, not merely close


def test_scalesim_peer_figures_with_a_starved_buffer():
    """peer_notes.md §4.4: GEMM 64³, os, 8×8, 1 KiB buffers, 2 words/cycle: Total 116383, Stall 111392."""
    g = Gemm(64, 64, 64)
    t = simulate_memory(64, 64, 64, 8, 8, "os", (1024, 1024, 1024), 2.0, sram_accesses(g, 8, 8, "os")[:2] + (0,))
    assert t.stall_cycles == 111392
    assert t.compute_cycles - 1 + t.stall_cycles == 116383


def test_os_output_writes_as_scalesim_counts_them():
    """An FC layer (M = 1, N = 10) on a 32×32 os array: SCALE-Sim reports 74 SRAM writes for 10
    words, adding the fold's R + C to its counter (the discrepancy the issue found)."""
    ifmap, filt, real, reported = sram_accesses(Gemm(1, 256, 10), 32, 32, "os")
    assert (real, reported) == (10, 74)
    assert sram_accesses(Gemm(1, 256, 10), 32, 32, "ws")[2:] == (80, 80)  # ⌈256/32⌉ partial sums each


def _rolled_order(s: RolledStream):
    null = np.zeros((s.rows, s.w), bool)
    if s.null_cols:
        null[s.rows - s.h:, s.w - s.null_cols:] = True
    order = [(r, d - r) for d in range(s.rows + s.w - 1) for r in range(min(d, s.rows - 1), max(0, d - s.w + 1) - 1, -1)]
    return order, null


def test_rolled_stream_positions_match_an_explicit_diagonal_walk():
    rng = random.Random(7)
    for _ in range(60):
        w = rng.randint(1, 9)
        s = RolledStream(rng.randint(1, 4), rng.randint(1, 10), w, rng.randint(0, w - 1))
        order, null = _rolled_order(s)
        real = 0
        for position, (g, c) in enumerate(order):
            assert s.pos(g, c) == position and s.element_at(position) == (g, c)
            assert s.real_index(position) == real
            if not null[g, c]:
                assert s.position_of_real(real) == position
                real += 1
        assert real == s.real
        for b in range(s.blocks):  # a sweep of block b from any position meets this word first
            for start in range(s.size):
                later = [p for p, (g, c) in enumerate(order) if p >= start and g // s.h == b and not null[g, c]]
                assert s.first_word_at(b, start) == (later[0] if later else None)
        heads, tails = s.set_spans(3)
        for b in range(s.blocks):
            mine = [p for p, (g, c) in enumerate(order) if g // s.h == b and not null[g, c]]
            assert (heads[b], tails[b]) == (s.real_index(mine[0]) // 3, s.real_index(mine[-1]) // 3)


def test_output_writes_per_row_match_the_skewed_folds():
    for m, k, n, R, C, df in [(10, 7, 13, 4, 3, "os"), (9, 11, 5, 4, 4, "ws"), (6, 5, 7, 2, 4, "is")]:
        writes = OfmapWrites(m, k, n, R, C, df)
        per_row = Counter()
        for f in range(writes.folds):
            before, lead, height, width = writes._fold(f)
            for r in range(height):
                for c in range(width):
                    per_row[f * writes.fold_cycles + lead + r + c] += 1
        total = 0
        for row in range(writes.folds * writes.fold_cycles):
            total += per_row[row]
            assert writes.through(row) == total
        for x in range(1, writes.total + 1):
            row = writes.row_of(x)
            assert writes.through(row) >= x > writes.through(row - 1)


@pytest.mark.parametrize("dataflow", ["os", "ws"])
def test_copy_groups_find_the_same_first_miss_as_word_by_word(dataflow):
    """The interval arithmetic over groups of words against checking every word's copies."""
    rng = random.Random(11 if dataflow == "os" else 12)
    for _ in range(25):
        conv = ConvShape(rng.randint(2, 7), rng.randint(2, 7), rng.choice([1, 3]), rng.choice([2, 3]),
                         rng.randint(1, 5), rng.choice([1, 2]))
        m, k = conv.out_h * conv.out_w, conv.kh * conv.kw * conv.channels
        R = rng.randint(2, 6)
        op = operand_streams(m, k, 4, R, R, dataflow)["ifmap"]
        reuse = IfmapReuse(conv, op, dataflow, rng.randint(2, 9))
        size = op.stream.size
        for _ in range(20):
            block = rng.randrange(op.stream.blocks)
            start = rng.randrange(size)
            stop = rng.randint(start + 1, size)
            lo, hi = rng.randrange(size), rng.randrange(size)
            assert reuse.first_miss(block, start, stop, lo, hi) == \
                reuse._first_miss_words(block, start, stop, lo, hi), (conv, R, block, start, stop, lo, hi)


def test_diagonal_closed_forms_match_the_tables():
    """F(d) and its inverse in closed form against the cumulative diagonal lengths."""
    rng = random.Random(5)
    for _ in range(60):
        s = RolledStream(rng.randint(1, 8), rng.randint(1, 20), rng.randint(1, 20))
        starts = s.tables[0]
        assert [s.diag_start(d) for d in range(len(starts))] == starts.tolist()
        for pos in range(s.size + 2):
            assert s.diag_of(pos) == int(np.searchsorted(starts, pos, side="right")) - 1


def test_blocks_outside_the_window_found_by_bisection():
    """The run of blocks inside a circular window, against testing every block."""
    rng = random.Random(9)
    for _ in range(1000):
        n = rng.randint(2, 40)
        heads = sorted(rng.randrange(n) for _ in range(rng.randint(1, 12)))
        tails, prev = [], 0
        for head in heads:
            prev = rng.randint(max(head, prev), min(n - 1, max(head, prev) + 6))
            tails.append(prev)
        a, w = rng.randint(1, n - 1), rng.randrange(n)
        inside = [(h - w) % n < a and (t - w) % n < a and (t - w) % n >= (h - w) % n for h, t in zip(heads, tails)]
        for b0 in range(len(heads) + 1):
            want = next((b for b in range(b0, len(heads)) if not inside[b]), None)
            assert first_block_outside(heads, tails, w, a, n, b0) == want
