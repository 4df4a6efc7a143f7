"""SCALE-Sim 3.0.0's double-buffered scratchpad, analytically: DRAM traffic and stall cycles.

Trace-free: the model walks folds and a few events (buffer refills, output drains), never
words or cycles. Word = byte (SCALE-Sim's ``word_size = 1``); ``bw`` = words per cycle of
each buffer's own DRAM port (SCALE-Sim's user-bandwidth mode gives every buffer one port).

**Read buffers** (ifmap, filter; ``S`` words each). Active half ``A = ⌈S/2⌉``, prefetch half
``P = S − A``. The fetch stream (see :mod:`operand_streams`) is cut into *sets* of
``e = ⌈S/100⌉`` real words: ``n = ⌊real/e⌋ + 1`` sets. The buffer holds a circular window of
``a = ⌈A/e⌉`` sets starting at set ``w`` (initially 0). A demanded word hits when its set
is in the window; otherwise the window advances by ``p = min(⌈P/e⌉, n − a)`` sets (a
*refill*), again and again, wrapping around, until it does. So:

* ``n ≤ a`` — the operand fits: no refill; DRAM words = the first fill only.
* otherwise refills happen where a fold's sweep crosses the window's end, and, when
  ``p = a``, a fold that starts just behind the window (blocks interleave at their edges
  in rolled streams; row-major folds run backwards) makes the window go round once more.

DRAM words = ``bw·(min(⌈A/bw⌉, ⌈stream/bw⌉) + refills·⌈P/bw⌉)`` (whole lines, nulls
included). Refill ``j`` completes at ``−1 + j·(⌈P/bw⌉ + 1)`` (refills queue back to back
behind the first fill, which ends at cycle −1). At a refill demanded in row ``i`` with
``s`` stall cycles so far, SCALE-Sim computes ``x = done_j − (i + s + o)`` (``o`` starts
at 1 and carries over the row's refills) and adds ``2x`` to ``o`` when ``x > 0`` and
``x`` otherwise — it counts a positive wait twice (read_buffer.service_reads adds
``potential_stall_cycles`` then adds it again). The row's read stall is ``o − 1``.

**Write buffer** (ofmap; ``S`` words, drain half ``H = S − ⌈S/2⌉``). Every output word
written to SRAM (partial sums included: ws and is write ``M·N·⌈K/R⌉``) goes to DRAM. When
the backlog exceeds ``H`` and no drain runs, a drain of ``L = ⌈H/bw⌉`` lines starts
(lasting ``L − 1`` cycles; the backlog is credited ``L·bw`` at once). A write that finds the
buffer full during a drain waits for its end. Lines are closed when a drain starts, so a
partly filled line is drained as a full one (DRAM writes ≥ words written). Remaining lines
drain after the last row.

Each demand row stalls by the largest of its ifmap, filter and ofmap stalls.
Totals: SCALE-Sim's "Total Cycles" = rows − 1 + stalls; its "Total Cycles (incl.
prefetch)" = last drain cycle + max(first-fill lines); tinybench counts cycles, one more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tinybench.targets.simaccel.ifmap_reuse import ConvShape, IfmapReuse
from tinybench.targets.simaccel.operand_streams import OperandStream, RolledStream, operand_streams


@dataclass(frozen=True)
class ReadBuffer:
    """Geometry of one read buffer for one operand stream."""

    size: int  # words
    bw: float  # words per cycle
    real: int  # real words in the stream
    stream_words: int  # words in the stream, nulls included

    @property
    def set_words(self) -> int:
        return max(1, math.ceil(self.size / 100))

    @property
    def sets(self) -> int:
        return self.real // self.set_words + 1

    @property
    def window(self) -> int:
        return min(self.sets, math.ceil(math.ceil(self.size * 0.5) / self.set_words))

    @property
    def step(self) -> int:
        return min(math.ceil((self.size - math.ceil(self.size * 0.5)) / self.set_words), self.sets - self.window)

    @property
    def first_fill_lines(self) -> int:
        return min(math.ceil(math.ceil(self.size * 0.5) / self.bw), math.ceil(self.stream_words / self.bw))

    @property
    def refill_lines(self) -> int:
        return math.ceil((self.size - math.ceil(self.size * 0.5)) / self.bw)

    def dram_words(self, refills: int) -> float:
        return self.bw * (self.first_fill_lines + refills * self.refill_lines)


def refill_rows(op: OperandStream, buf: ReadBuffer, folds: int, fold_cycles: int,
                reuse: IfmapReuse | None = None) -> list[int]:
    """Demand rows (no-stall numbering) of every refill of ``buf``, in order.

    ``reuse``: the operand holds copies of words (convolution inputs); a word then also hits
    through a copy in the window, checked word by word for the sets that left it."""
    n, a, p, e = buf.sets, buf.window, buf.step, buf.set_words
    if n <= a:
        return []
    rows: list[int] = []
    w = 0
    stream = op.stream

    def reach(s: int, row: int) -> None:  # demand set s at row: advance the window until it holds s
        nonlocal w
        while (s - w) % n >= a:
            w = (w + p) % n
            rows.append(row)

    def demand_words(g, c, copies, row_of) -> None:  # noqa: ANN001 - numpy arrays, a row function
        nonlocal w
        start = 0
        while start < len(g):
            held = ((copies[start:] - w) % n < a) & (copies[start:] >= 0)
            missing = np.flatnonzero(~held.any(axis=1))
            if not len(missing):
                return
            i = start + int(missing[0])
            row = row_of(i)
            while not (((copies[i] - w) % n < a) & (copies[i] >= 0)).any():
                w = (w + p) % n
                rows.append(row)
            start = i + 1

    def in_window(s: int) -> bool:
        return (s - w) % n < a

    if isinstance(stream, RolledStream):
        heads = [stream.head(b) // e for b in range(stream.blocks)]
        tails = [stream.tail(b) // e for b in range(stream.blocks)]
        for f in range(folds):
            b = op.visit(f)[0]
            base, head, tail = f * fold_cycles + op.lead, heads[b], tails[b]
            if reuse is None:
                reach(head, base)
                s = head + a - (head - w) % n  # first set past the window's end
                while s <= tail:
                    d = stream.first_diagonal_at(b, s * e)
                    reach(s, base + (d if d is not None else 0))
                    s += p
                continue
            s, top = head, b * stream.h
            while s <= tail:
                if in_window(s):
                    s += a - (s - w) % n
                    continue
                g, c = reuse.words_of_set(b, s)
                if len(g):
                    demand_words(g, c, reuse.copy_sets(g, c), lambda i: base + int(g[i] - top + c[i]))
                s += 1
        return rows
    for f in range(folds):
        b, first, count = op.visit(f)
        g = b * stream.h + first
        wb = stream.block_width(b)
        lo, top_first, hi = (stream.real_index(g, 0) // e, stream.real_index(g + count - 1, 0) // e,
                             stream.real_index(g + count - 1, wb - 1) // e)
        base = f * fold_cycles + op.sub_rows - count  # the last real row is demanded first
        if reuse is not None:
            if in_window(lo) and in_window(hi) and (hi - w) % n >= (lo - w) % n:
                continue
            gg, cc = reuse.words_of_rows(g, count)
            demand_words(gg, cc, reuse.copy_sets(gg, cc), lambda i: base + int(g + count - 1 - gg[i]))
            continue
        for s in range(top_first, hi + 1):
            reach(s, base)
        for s in range(top_first - 1, lo - 1, -1):
            j = stream.row_of_real((s + 1) * e - 1)  # the row holding set s's last word
            row = base + (g + count - 1 - j)
            reach(s, row)
            if stream.row_of_real((s + 1) * e) == j:
                reach(s + 1, row)
    return rows


@dataclass(frozen=True)
class OfmapWrites:
    """Which output words each fold writes, and in which of its rows (skewed rectangle)."""

    m: int
    k: int
    n: int
    rows: int
    cols: int
    dataflow: str

    @property
    def row_folds(self) -> int:
        return -(-{"os": self.m, "ws": self.k, "is": self.k}[self.dataflow] // self.rows)

    @property
    def fold_cycles(self) -> int:
        R, C = self.rows, self.cols
        return {"os": self.k + R + C - 2, "ws": 2 * R + C + self.m - 2, "is": 2 * R + C + self.n - 2}[self.dataflow]

    def _fold(self, f: int) -> tuple[int, int, int, int]:
        """(words before fold f, lead rows, rectangle height, rectangle width)."""
        R, C = self.rows, self.cols
        fc, fr = divmod(f, self.row_folds)
        if self.dataflow == "os":
            cu = min(C, self.n - fc * C)
            before = self.m * min(fc * C, self.n) + min(fr * R, self.m) * cu
            return before, self.k - 1 + R - min(R, self.m - fr * R), min(R, self.m - fr * R), cu
        height, width = (self.m, self.n) if self.dataflow == "ws" else (self.n, self.m)
        cu = min(C, width - fc * C)
        before = height * (self.row_folds * min(fc * C, width) + fr * cu)
        return before, 2 * R - 1, height, cu

    @property
    def total(self) -> int:
        return self.m * self.n * (1 if self.dataflow == "os" else self.row_folds)

    @staticmethod
    def _in_rect(u: int, height: int, width: int) -> int:
        """Cells (r, c) of height × width with r + c ≤ u."""
        def tri(x: int) -> int:
            return (x + 1) * (x + 2) // 2 if x >= 0 else 0
        return tri(u) - tri(u - height) - tri(u - width) + tri(u - height - width)

    def through(self, row: int) -> int:
        """Words written up to and including ``row``."""
        if row < 0:
            return 0
        f, t = divmod(row, self.fold_cycles)
        folds = self.row_folds * -(-{"os": self.n, "ws": self.n, "is": self.m}[self.dataflow] // self.cols)
        if f >= folds:
            return self.total
        before, lead, height, width = self._fold(f)
        return before + self._in_rect(t - lead, height, width)

    def row_of(self, x: int) -> int:
        """Row in which the x-th word (1-based) is written."""
        lo, hi = 0, self.fold_cycles * self.row_folds * -(-{"os": self.n, "ws": self.n, "is": self.m}[self.dataflow]
                                                          // self.cols)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.through(mid) >= x:
                hi = mid
            else:
                lo = mid + 1
        return lo


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


def simulate_memory(m: int, k: int, n: int, rows: int, cols: int, dataflow: str, sram: tuple[int, int, int],
                    bw: float, sram_counts: tuple[int, int, int], conv: ConvShape | None = None) -> Traffic:
    """DRAM words, stalls and cycles of GEMM M×K·K×N on an R×C array with ``sram`` =
    (ifmap, filter, ofmap) buffer words and ``bw`` words/cycle per buffer port."""
    streams = operand_streams(m, k, n, rows, cols, dataflow)
    writes = OfmapWrites(m, k, n, rows, cols, dataflow)
    L = writes.fold_cycles
    folds = writes.row_folds * -(-{"os": n, "ws": n, "is": m}[dataflow] // cols)
    total_rows = folds * L
    bufs, events = {}, {}
    for name, size in (("ifmap", sram[0]), ("filter", sram[1])):
        op = streams[name]
        bufs[name] = buf = ReadBuffer(size, bw, op.stream.real, op.stream.size)
        reuse = None
        if name == "ifmap" and conv is not None and conv.has_copies:
            reuse = IfmapReuse(conv, op, dataflow, buf.set_words)
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
    drains: list[tuple[int, int]] = []

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
        drains.append((at, x, writes.row_of(x)))

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
                if __import__("os").environ.get("SP_DEBUG"): print("ostall row", row, "x", x, "stall", o_stall, "S", stalls)
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
    if __import__("os").environ.get("SP_DEBUG"): print("drains", drains, "stalls", stalls)
    fill = max(buf.first_fill_lines for buf in bufs.values())
    refills = (len(events["ifmap"]), len(events["filter"]))
    return Traffic(
        ifmap_sram_reads=sram_counts[0], filter_sram_reads=sram_counts[1], ofmap_sram_writes=sram_counts[2],
        ifmap_dram_reads=round(bufs["ifmap"].dram_words(refills[0])),
        filter_dram_reads=round(bufs["filter"].dram_words(refills[1])),
        ofmap_dram_writes=round(ofmap_dram), stall_cycles=stalls, compute_cycles=total_rows,
        fill_cycles=fill, drain_cycles=max(0, stop - last), refills=refills)


