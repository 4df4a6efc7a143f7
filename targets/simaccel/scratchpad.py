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
from bisect import bisect_right
from functools import lru_cache
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


class _Window:
    """The read buffer's circular window of sets and the refills it has made."""

    def __init__(self, buf: ReadBuffer) -> None:
        self.n, self.a, self.p = buf.sets, buf.window, buf.step
        self.w = 0
        self.rows: list[int] = []

    def holds(self, s: int) -> bool:
        return (s - self.w) % self.n < self.a

    def reach(self, s: int, row: int) -> None:
        """The array demands set ``s`` at ``row``: refill until the window holds it."""
        while (s - self.w) % self.n >= self.a:
            self.w = (self.w + self.p) % self.n
            self.rows.append(row)

    def holds_any(self, sets: list[int]) -> bool:
        return any((s - self.w) % self.n < self.a for s in sets)

    def reach_copies(self, reuse: IfmapReuse, g: int, c: int, row: int) -> None:
        """The array demands word (g, c) at ``row``: refill until a copy of it is in the window."""
        shifts = min(0 if dist < self.a else -((self.a - 1 - dist) // self.p)
                     for dist in ((s - self.w) % self.n for s in reuse.copy_sets_of(g, c)))
        self.w = (self.w + shifts * self.p) % self.n
        self.rows.extend([row] * shifts)

    def demand(self, g: np.ndarray, c: np.ndarray, rows: np.ndarray, reuse: IfmapReuse) -> None:
        """Words (stacked row g, column c) demanded in order at ``rows``: each needs one of its
        copies in the window. Copies are looked up in growing chunks (a miss often comes early)."""
        size_all = reuse.op.stream.size
        start, size = 0, _FIRST_CHUNK
        while start < len(g):
            end = min(len(g), start + size)
            pos, exists = reuse.copy_positions(g[start:end], c[start:end])
            i = 0
            while i < len(pos):
                lo, hi = reuse.window_positions(self.w, self.a, self.n)
                span = (hi - lo) % size_all
                held = exists[i:] & ((pos[i:] - lo) % size_all < span)
                missing = np.flatnonzero(~held.any(axis=1))
                if not len(missing):
                    break
                i += int(missing[0])
                while True:
                    lo, hi = reuse.window_positions(self.w, self.a, self.n)
                    if (exists[i] & ((pos[i] - lo) % size_all < (hi - lo) % size_all)).any():
                        break
                    self.w = (self.w + self.p) % self.n
                    self.rows.append(int(rows[start + i]))
                i += 1
            start, size = end, size * 4


_FIRST_CHUNK = 128  # words whose copies are looked up first; later chunks grow fourfold
_BATCH_SETS = 4  # sets of a fold checked word by word in one go (convolution inputs)


def refill_rows(op: OperandStream, buf: ReadBuffer, folds: int, fold_cycles: int,
                reuse: IfmapReuse | None = None) -> list[int]:
    """Demand rows (no-stall numbering) of every refill of ``buf``, in order.

    Folds whose sets all sit in the window are skipped without a visit. ``reuse``: the
    operand holds copies of words (convolution inputs); a word then also hits through a
    copy in the window, checked word by word for the sets that left it."""
    if buf.sets <= buf.window:
        return []
    win = _Window(buf)
    if isinstance(op.stream, RolledStream):
        _walk_rolled(op, win, buf.set_words, folds, fold_cycles, reuse)
    else:
        _walk_row_major(op, win, buf.set_words, folds, fold_cycles, reuse)
    return win.rows


def _walk_rolled(op: OperandStream, win: _Window, e: int, folds: int, fold_cycles: int,
                 reuse: IfmapReuse | None) -> None:
    stream, rf = op.stream, op.row_folds
    heads, tails = stream.set_spans(e)
    n, a, p = win.n, win.a, win.p
    seen_w, outside = None, np.empty(0, dtype=np.int64)
    f = 0
    while f < folds:
        if win.w != seen_w:  # blocks a visit would find (partly) outside the window
            hr, tr = (heads - win.w) % n, (tails - win.w) % n
            outside, seen_w = np.flatnonzero(~((hr < a) & (tr < a) & (tr >= hr))), win.w
        if not len(outside):
            return
        if op.block_axis == "fr":  # block = f mod rf: the next fold visiting an outside block
            b0 = f % rf
            i = int(np.searchsorted(outside, b0))
            f += int(outside[i]) - b0 if i < len(outside) else rf - b0 + int(outside[0])
        else:  # block = f div rf (each block visited rf times in a row)
            b0 = f // rf
            i = int(np.searchsorted(outside, b0))
            if i == len(outside):
                return
            f = max(f, int(outside[i]) * rf)
        if f >= folds:
            return
        b = op.visit(f)[0]
        base, head, tail = f * fold_cycles + op.lead, int(heads[b]), int(tails[b])
        if reuse is None:
            win.reach(head, base)
            s = head + a - (head - win.w) % n  # first set past the window's end
            while s <= tail:
                d = stream.first_diagonal_at(b, s * e)
                win.reach(s, base + (d if d is not None else 0))
                s += p
        else:
            s, top = head, b * stream.h
            while s <= tail:
                if win.holds(s):
                    s += a - (s - win.w) % n
                    continue
                last = min(tail, s + n - (s - win.w) % n - 1)  # the sets outside the window from s on
                starts = reuse.set_start_list
                pos = starts[s]
                stop = starts[last + 1] if last + 1 < len(starts) else stream.size
                while True:
                    first = reuse.first_word(b, pos, stop)  # often the miss: test it alone first
                    if first is None:
                        break
                    if not win.holds_any(reuse.copy_sets_of(*stream.element_at(first))):
                        miss = first
                    else:
                        miss = reuse.first_miss(b, pos, stop, *reuse.window_positions(win.w, a, n))
                        if miss is None:
                            break
                    g, c = stream.element_at(miss)
                    win.reach_copies(reuse, g, c, base + (g - top) + c)
                    pos = miss + 1
                    here = bisect_right(starts, pos) - 1
                    if win.holds(here) and (last - win.w) % n < a and (last - win.w) % n >= (here - win.w) % n:
                        break  # the rest of these sets is in the window now
                s = last + 1
        f += 1


def _walk_row_major(op: OperandStream, win: _Window, e: int, folds: int, fold_cycles: int,
                    reuse: IfmapReuse | None) -> None:
    stream, rf, R = op.stream, op.row_folds, op.sub_rows
    n, a = win.n, win.a
    f = 0
    while f < folds:
        b, first, count = op.visit(f)
        lo = stream.real_index(b * stream.h + first, 0) // e
        nxt = lo if not win.holds(lo) else lo + a - (lo - win.w) % n  # next set outside the window
        if nxt >= n:
            return
        g = stream.row_of_real(nxt * e)
        f = max(f, (g // stream.h) * rf + (g % stream.h) // R)
        if f >= folds:
            return
        if reuse is not None:  # a few folds' words at once, last row of each fold first
            k = max(1, min(folds - f, (_BATCH_SETS * e) // (R * stream.w)))
            gs, cs, rows = [], [], []
            for ff in range(f, f + k):
                bb, fst, cnt = op.visit(ff)
                gg, cc = reuse.words_of_rows(bb * stream.h + fst, cnt)
                gs.append(gg)
                cs.append(cc)
                rows.append(ff * fold_cycles + R - cnt + (bb * stream.h + fst + cnt - 1 - gg))
            g_all, c_all = np.concatenate(gs), np.concatenate(cs)
            win.demand(g_all, c_all, np.concatenate(rows), reuse)
            f += k
            continue
        b, first, count = op.visit(f)
        g0 = b * stream.h + first
        wb = stream.block_width(b)
        lo, top_first, hi = (stream.real_index(g0, 0) // e, stream.real_index(g0 + count - 1, 0) // e,
                             stream.real_index(g0 + count - 1, wb - 1) // e)
        base = f * fold_cycles + R - count  # the last real row is demanded first
        for s in range(top_first, hi + 1):
            win.reach(s, base)
        for s in range(top_first - 1, lo - 1, -1):
            j = stream.row_of_real((s + 1) * e - 1)  # the row holding set s's last word
            row = base + (g0 + count - 1 - j)
            win.reach(s, row)
            if stream.row_of_real((s + 1) * e) == j:
                win.reach(s + 1, row)
        f += 1


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
        """Cells (r, c) of height × width with r + c ≤ u."""
        def tri(x: int) -> int:
            return (x + 1) * (x + 2) // 2 if x >= 0 else 0
        return tri(u) - tri(u - height) - tri(u - width) + tri(u - height - width)

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
        lo, hi = lead, lead + height + width - 2
        while lo < hi:
            mid = (lo + hi) // 2
            if before + self._in_rect(mid - lead, height, width) >= x:
                hi = mid
            else:
                lo = mid + 1
        return f * self.fold_cycles + lo


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


