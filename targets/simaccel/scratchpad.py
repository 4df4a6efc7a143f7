"""SCALE-Sim 3.0.0's double-buffered scratchpad, analytically: DRAM traffic and stall cycles.

Trace-free: the model walks folds and a few events (buffer refills, output drains), never
words or cycles. Word = byte (SCALE-Sim's ``word_size = 1``); ``bw`` = words per cycle of
each buffer's own DRAM port (SCALE-Sim's user-bandwidth mode gives every buffer one port).

**Read buffers** (ifmap, filter): see :mod:`read_buffers` — refills, their DRAM words, and
SCALE-Sim's stall arithmetic for them (a positive wait counted twice).

**Write buffer** (ofmap; ``S`` words, drain half ``H = S − ⌈S/2⌉``). Every output word
written to SRAM (partial sums included: ws and is write ``M·N·⌈K/R⌉``) goes to DRAM. When
the backlog exceeds ``H`` and no drain runs, a drain of ``L = ⌈H/bw⌉`` lines starts
(lasting ``L − 1`` cycles; the backlog is credited ``L·bw`` at once). A write that finds the
buffer full during a drain waits for its end. Lines are closed when a drain starts, so a
partly filled line is drained as a full one (DRAM writes ≥ words written). Remaining lines
drain after the last row.

Each demand row stalls by the largest of its ifmap, filter and ofmap stalls.

**Scope and exactness.** This is SCALE-Sim 3.0.0 in user-bandwidth mode with one bank per
read buffer, no Ramulator, no custom layouts, no sparsity, and the same bandwidth on the
three ports. Every figure (SRAM and DRAM accesses per operand, stall cycles, total cycles
with and without the fill) equals SCALE-Sim's on all 1,152 layer cases the tests keep
(vww01, kws01, ic01 on 8×8, 16×32, 4×16 and 12×20 arrays, os/ws/is, 10 and 4 words/cycle)
and on 500-odd others compared by hand (ic02, ad01, det01 on 32×32 and 128×128 arrays, all
dataflows, 10 and 4 words/cycle; 12×20 os).
Not reproduced: SCALE-Sim's default CALC mode (unlimited bandwidth; its read buffers count
distinct words per 1/100-buffer set and never stall) — a different memory model, and
tinybench always has a bandwidth; fractional bandwidths (SCALE-Sim needs whole words per
cycle; tinybench applies the same formulas with fractional line widths, with no SCALE-Sim
figure to compare). The walk is exact by construction where SCALE-Sim's order of demands
is followed; its cost grows with refills and, for convolution inputs, with the folds whose
sets leave the window (numpy over groups of words, never over the whole stream).
Totals: SCALE-Sim's "Total Cycles" = rows − 1 + stalls; its "Total Cycles (incl.
prefetch)" = last drain cycle + max(first-fill lines); tinybench counts cycles, one more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from tinybench.targets.simaccel.diagonals import cells_before, diagonal_of
from tinybench.targets.simaccel.ifmap_reuse import ConvShape, IfmapReuse
from tinybench.targets.simaccel.operand_streams import operand_streams
from tinybench.targets.simaccel.read_buffers import ReadBuffer, refill_rows


class OfmapWrites:
    """Which output words each fold writes, and in which of its rows.

    A fold writes a rectangle (os: the used rows × columns of the array, flipped; ws: M × C;
    is: N × C) skewed by one row per column, after ``lead`` rows: word (r, c) in row
    ``lead + r + c`` of the fold."""

    def __init__(self, m: int, k: int, n: int, rows: int, cols: int, dataflow: str) -> None:
        R, C = rows, cols
        self.dataflow, self.m, self.n, self.R, self.C = dataflow, m, n, R, C
        self.row_folds = -(-(m if dataflow == "os" else k) // R)
        self.width = m if dataflow == "is" else n  # the dimension folded over the columns
        self.col_folds = -(-self.width // C)
        self.folds = self.row_folds * self.col_folds
        self.fold_cycles = {"os": k + R + C - 2, "ws": 2 * R + C + m - 2, "is": 2 * R + C + n - 2}[dataflow]
        self.height = {"os": m, "ws": m, "is": n}[dataflow]
        self.total = m * n * (1 if dataflow == "os" else self.row_folds)

    def _fold(self, f: int) -> tuple[int, int, int, int]:
        """(words before fold f, lead rows, rectangle height, rectangle width)."""
        R, C = self.R, self.C
        fc, fr = divmod(f, self.row_folds)
        cu = min(C, self.width - fc * C)
        if self.dataflow == "os":
            ru = min(R, self.m - fr * R)
            return self.m * min(fc * C, self.n) + min(fr * R, self.m) * cu, self.fold_cycles - C - ru + 1, ru, cu
        return self.height * (self.row_folds * min(fc * C, self.width) + fr * cu), 2 * R - 1, self.height, cu

    @staticmethod
    def _in_rect(u: int, height: int, width: int) -> int:
        """Cells (r, c) of height × width with r + c ≤ u: F(u + 1) of :mod:`diagonals`."""
        return cells_before(u + 1, min(height, width), max(height, width))

    def through(self, row: int) -> int:
        """Words written up to and including ``row``."""
        if row < 0:
            return 0
        f, t = divmod(row, self.fold_cycles)
        if f >= self.folds:
            return self.total
        before, lead, height, width = self._fold(f)
        return before + self._in_rect(t - lead, height, width)

    def row_of(self, x: int) -> int:
        """Row in which the x-th word (1-based, ≤ total) is written."""
        per_col_fold = self.height * (1 if self.dataflow == "os" else self.row_folds) * self.C
        fc = min((x - 1) // per_col_fold, self.col_folds - 1)
        cu = min(self.C, self.width - fc * self.C)
        rest = x - 1 - fc * per_col_fold
        fr = min(rest // ((self.R if self.dataflow == "os" else self.height) * cu), self.row_folds - 1)
        f = fc * self.row_folds + fr
        before, lead, height, width = self._fold(f)
        # the first diagonal u whose cells reach word x − before: F(u + 1) ≥ x − before
        y = x - before
        u = 0 if y <= 0 else min(height + width - 2, diagonal_of(y - 1, min(height, width), max(height, width)))
        return f * self.fold_cycles + lead + u


@dataclass(frozen=True)
class Traffic:
    """One GEMM's memory behaviour as SCALE-Sim 3.0.0 reports it (words = bytes)."""

    ifmap_sram_reads: int
    filter_sram_reads: int
    ofmap_sram_writes: int  # SCALE-Sim's counter (os adds R + C per fold, see cycle_model)
    ifmap_dram_reads: int
    filter_dram_reads: int
    ofmap_dram_writes: int
    stall_cycles: int
    compute_cycles: int  # rows of the fold model
    fill_cycles: int  # first fill, before the first row
    drain_cycles: int  # output drain after the last row
    refills: tuple[int, int]  # ifmap, filter

    @property
    def cycles(self) -> int:
        return self.compute_cycles + self.stall_cycles + self.fill_cycles + self.drain_cycles

    @property
    def dram_bytes(self) -> int:
        return self.ifmap_dram_reads + self.filter_dram_reads + self.ofmap_dram_writes


def _read_stall(done: list[int], row: int, count: int, stalls: int, chain: int) -> int:
    """SCALE-Sim's stall for ``count`` refills demanded in one row (see the module doc)."""
    offset = 1
    for _ in range(count):
        done[0] += chain
        x = done[0] - (row + stalls + offset)
        offset += 2 * x if x > 0 else x
    return offset - 1


@lru_cache(maxsize=512)
def simulate_memory(m: int, k: int, n: int, rows: int, cols: int, dataflow: str, sram: tuple[int, int, int],
                    bw: float, sram_counts: tuple[int, int, int], conv: ConvShape | None = None) -> Traffic:
    """DRAM words, stalls and cycles of GEMM M×K·K×N on an R×C array with ``sram`` =
    (ifmap, filter, ofmap) buffer words and ``bw`` words/cycle per buffer port. Pure, so
    memoised: a model's repeated layers are simulated once."""
    streams = operand_streams(m, k, n, rows, cols, dataflow)
    writes = OfmapWrites(m, k, n, rows, cols, dataflow)
    L, folds = writes.fold_cycles, writes.folds
    total_rows = folds * L
    bufs, events = {}, {}
    for name, size in (("ifmap", sram[0]), ("filter", sram[1])):
        op = streams[name]
        bufs[name] = buf = ReadBuffer(size, bw, op.stream.real, op.stream.size)
        reuse = None
        if name == "ifmap" and conv is not None and conv.has_copies:
            reuse = IfmapReuse(conv, op, dataflow, buf.set_words, max(1, buf.step))
        events[name] = refill_rows(op, buf, folds, L, reuse)
    chains = {name: buf.refill_lines + 1 for name, buf in bufs.items()}
    done = {name: [-1] for name in bufs}

    # output buffer
    size_o = sram[2]
    drain_half = size_o - math.ceil(size_o * 0.5)
    lines_per_drain = max(1, math.ceil(drain_half / bw))
    total_w = writes.total
    state = {"x": 0, "credited": 0.0, "end": 0, "lines": 0, "drained": 0, "flushed": 0, "dram": 0.0}
    partial_lines: dict[int, float] = {}  # line index → null words (lines closed by a drain's start)

    def close_lines(x: int) -> None:
        seg = x - state["flushed"]
        new_lines = math.ceil(seg / bw)
        if new_lines and seg % bw:
            partial_lines[state["lines"] + new_lines - 1] = new_lines * bw - seg
        state["lines"] += new_lines
        state["flushed"] = x

    def drain_chunk(at: int) -> int:
        take = min(lines_per_drain, state["lines"] - state["drained"])
        words = take * bw - partial_lines.get(state["drained"] + take - 1, 0)
        state["drained"] += take
        state["dram"] += words
        state["credited"] += words
        return at + take - 1

    def start_drain(x: int, at: int) -> None:
        close_lines(x)
        state["end"] = drain_chunk(at)
        state["x"] = x

    def next_ofmap(stalls: int, done_row: int = -1) -> tuple[str, int, int] | None:
        """The output buffer's next drain or stall, rows after ``done_row`` (stalls so far fixed)."""
        x0 = max(state["x"], writes.through(done_row))
        row_end = state["end"] - stalls  # first row whose time reaches the drain's end
        full_at = math.ceil(state["credited"] + size_o)
        if full_at > x0 and full_at <= total_w:
            r = writes.row_of(full_at)
            if r < row_end:
                return "stall", r, full_at
        after = writes.through(row_end - 1) + 1 if row_end > 0 else 1
        x = max(math.floor(state["credited"] + drain_half) + 1, after, x0 + 1)
        if x > total_w:
            return None
        return "drain", writes.row_of(x), x

    idx = {"ifmap": 0, "filter": 0}
    stalls = 0
    pending = next_ofmap(0)
    while True:
        r_if = min((events[nm][idx[nm]] for nm in idx if idx[nm] < len(events[nm])), default=None)
        r_o = pending[1] if pending else None
        if r_if is None and r_o is None:
            break
        row = min(r for r in (r_if, r_o) if r is not None)
        o_stall = 0
        while pending and pending[1] == row:
            kind, _, x = pending
            if kind == "drain":
                start_drain(x, row + stalls)
            else:
                o_stall = state["end"] - (row + stalls)
                if writes.through(row) > x:  # the row's next word finds the drain over: a new one
                    start_drain(x + 1, state["end"])
                else:
                    state["x"] = x
            pending = next_ofmap(stalls, row - 1)
        read = [0]
        for nm in idx:
            cnt = 0
            evs = events[nm]
            while idx[nm] < len(evs) and evs[idx[nm]] == row:
                idx[nm] += 1
                cnt += 1
            if cnt:
                read.append(_read_stall(done[nm], row, cnt, stalls, chains[nm]))
        step = max(0, o_stall, *read)
        if step:
            stalls += step
            pending = next_ofmap(stalls, row)
    # after the last row: the remaining lines drain back to back
    last = total_rows - 1 + stalls
    close_lines(total_w)
    stop, at = state["end"], last
    while state["drained"] < state["lines"]:
        end = drain_chunk(at)
        stop, at = max(stop, end), end + 1
    ofmap_dram = state["dram"]
    fill = max(buf.first_fill_lines for buf in bufs.values())
    refills = (len(events["ifmap"]), len(events["filter"]))
    return Traffic(
        ifmap_sram_reads=sram_counts[0], filter_sram_reads=sram_counts[1], ofmap_sram_writes=sram_counts[2],
        ifmap_dram_reads=round(bufs["ifmap"].dram_words(refills[0])),
        filter_dram_reads=round(bufs["filter"].dram_words(refills[1])),
        ofmap_dram_writes=round(ofmap_dram), stall_cycles=stalls, compute_cycles=total_rows,
        fill_cycles=fill, drain_cycles=max(0, stop - last), refills=refills)


