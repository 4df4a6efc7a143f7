"""SCALE-Sim 3.0.0's double-buffered read buffers (ifmap, filter), analytically: when they refill.

Trace-free: the model walks the folds whose sets leave the buffer's window (and, for
convolution inputs, only the words there), never every word or cycle.

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
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

import numpy as np

from tinybench.targets.simaccel.ifmap_reuse import IfmapReuse
from tinybench.targets.simaccel.operand_streams import OperandStream, RolledStream


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

    def reach_sets(self, sets: list[int], row: int) -> None:
        """The array demands a word held by any of ``sets`` at ``row``: refill until one is in the window."""
        shifts = min(0 if dist < self.a else -((self.a - 1 - dist) // self.p)
                     for dist in ((s - self.w) % self.n for s in sets))
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


def first_block_outside(heads: list[int], tails: list[int], w: int, a: int, n: int, b0: int) -> int | None:
    """The first block ≥ ``b0`` a visit would find (partly) outside the window of sets
    [w, w + a) mod n; None if there is none. Block b spans sets heads[b]…tails[b], both
    nondecreasing in b, so the blocks inside form a run: those with head ≥ w and tail ≤ w + a − 1
    (a window that wraps holds the blocks with head ≥ w, and those with tail ≤ w + a − n − 1)."""
    blocks = len(heads)
    if w + a <= n:
        b1, b2 = bisect_left(heads, w), bisect_right(tails, w + a - 1)
        if b1 <= b0 < b2:
            b0 = b2
        return b0 if b0 < blocks else None
    b1, b2 = bisect_left(heads, w), bisect_right(tails, w + a - n - 1)
    b0 = max(b0, b2)
    return b0 if b0 < min(b1, blocks) else None


def _walk_rolled(op: OperandStream, win: _Window, e: int, folds: int, fold_cycles: int,
                 reuse: IfmapReuse | None) -> None:
    stream, rf = op.stream, op.row_folds
    heads, tails = (x.tolist() for x in stream.set_spans(e))
    n, a, p = win.n, win.a, win.p
    f = 0
    while f < folds:
        if op.block_axis == "fr":  # block = f mod rf: the next fold visiting an outside block
            b0 = f % rf
            nxt = first_block_outside(heads, tails, win.w, a, n, b0)
            if nxt is None:  # none left in this pass: the next pass's first
                nxt = first_block_outside(heads, tails, win.w, a, n, 0)
                if nxt is None:
                    return
                nxt += rf
            f += nxt - b0
        else:  # block = f div rf (each block visited rf times in a row)
            nxt = first_block_outside(heads, tails, win.w, a, n, f // rf)
            if nxt is None:
                return
            f = max(f, nxt * rf)
        if f >= folds:
            return
        b = op.visit(f)[0]
        base, head, tail = f * fold_cycles + op.lead, heads[b], tails[b]
        if reuse is None:
            win.reach(head, base)
            s = head + a - (head - win.w) % n  # first set past the window's end
            while s <= tail:  # the block's first word in set s or later: its set, its row
                pos = stream.first_word_at(b, stream.position_of_real(s * e))
                if pos is None:
                    break
                g, c = stream.element_at(pos)
                s = stream.real_index(pos) // e
                win.reach(s, base + g - b * stream.h + c)
                s += a - (s - win.w) % n
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
                    first = stream.first_word_at(b, pos, stop)  # often the miss: test it alone first
                    if first is None:
                        break
                    g, c = stream.element_at(first)
                    copies = reuse.copy_sets_of(g, c)
                    if win.holds_any(copies):
                        miss = reuse.first_miss(b, pos, stop, *reuse.window_positions(win.w, a, n))
                        if miss is None:
                            break
                        g, c = stream.element_at(miss)
                        copies = reuse.copy_sets_of(g, c)
                    else:
                        miss = first
                    win.reach_sets(copies, base + (g - top) + c)
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
