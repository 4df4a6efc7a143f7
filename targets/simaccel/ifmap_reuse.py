"""Convolution inputs reused across the fetch stream: which demanded words still hit.

im2col repeats each input word in up to kh·kw windows, so an ifmap fetch stream holds
copies; SCALE-Sim's read buffer checks the *address*, so a word whose own set has left
the window still hits when a copy sits in a set that is in it. This module answers, for
one fold's demand of one set, the first word (in demand order) none of whose copies is in
the window — numpy over that set's words only (never the layer's whole stream).

Word (output pixel p = oy·OW + ox, window index k = (ky·kw + kx)·Cin + ch) reads input
(oy·s + ky, ox·s + kx, ch); its copies are the (p', k') with the same input, found by
stepping (ky, kx) over the kernel.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from tinybench.targets.simaccel.operand_streams import OperandStream, RolledStream


@dataclass(frozen=True)
class ConvShape:
    """A convolution in SCALE-Sim's terms (padded input, one stride)."""

    out_h: int
    out_w: int
    kh: int
    kw: int
    channels: int
    stride: int

    @property
    def has_copies(self) -> bool:
        return self.stride < max(self.kh, self.kw) and self.kh * self.kw > 1


@dataclass(frozen=True)
class IfmapReuse:
    conv: ConvShape
    op: OperandStream
    dataflow: str
    set_words: int
    step_sets: int = 1  # sets a refill brings in

    @property
    def _diag_starts(self) -> np.ndarray:
        return self.op.stream.tables[0]

    @cached_property
    def _tap_tables(self) -> tuple[np.ndarray, ...]:
        """For word tap t and copy tap t': row step, column step, pixel step, window-index step, and
        whether t' can hold a copy of t (the stride must divide the tap offset)."""
        cv = self.conv
        ky, kx = np.divmod(np.arange(cv.kh * cv.kw), cv.kw)
        dy, ry = np.divmod(ky[:, None] - ky[None, :], cv.stride)
        dx, rx = np.divmod(kx[:, None] - kx[None, :], cv.stride)
        dk = (np.arange(cv.kh * cv.kw)[None, :] - np.arange(cv.kh * cv.kw)[:, None]) * cv.channels
        return dy, dx, dy * cv.out_w + dx, dk, (ry == 0) & (rx == 0)

    def copy_positions(self, g: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Stream positions of every copy of each word (rows; own position included) and
        which of them exist."""
        cv, s = self.conv, self.op.stream
        dy, dx, dp, dk, stride_ok = self._tap_tables
        p, k = self._from_stream(g, c)
        oy, ox = np.divmod(p, cv.out_w)
        t = k // cv.channels
        ny, nx = oy[:, None] + dy[t], ox[:, None] + dx[t]
        ok = stride_ok[t] & (ny >= 0) & (ny < cv.out_h) & (nx >= 0) & (nx < cv.out_w)
        p2, k2 = p[:, None] + dp[t], k[:, None] + dk[t]
        if self.dataflow == "ws":  # blocks of R window indices: rows pixel, columns k % R
            g2, c2 = (k2 // s.w) * s.h + p2, k2 % s.w
        else:  # os / is: blocks of w pixels, rows k
            g2, c2 = (p2 // s.w) * s.h + k2, p2 % s.w
        if not isinstance(s, RolledStream):
            return g2 * s.w + c2, ok
        d = np.clip(g2 + c2, 0, len(self._diag_starts) - 1)
        return self._diag_starts[d] + np.minimum(d, s.rows - 1) - g2, ok

    def _from_stream(self, g: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(pixel, window index) of stream word (stacked row g, column c)."""
        s = self.op.stream
        if self.dataflow == "ws":
            return g % s.h, (g // s.h) * s.w + c
        return (g // s.h) * s.w + c, g % s.h

    @cached_property
    def set_starts(self) -> np.ndarray:
        """Stream position of each set's first word (sets of ``set_words`` real words)."""
        st, e = self.op.stream, self.set_words
        real = np.arange(0, st.real, e)
        if isinstance(st, RolledStream):
            starts, real_before, nulls = st.tables
            d = np.searchsorted(real_before, real, side="right") - 1
            k = real - real_before[d]
            first_null = np.minimum(d, st.rows - 1) - np.minimum(st.rows - 1, d - (st.w - st.null_cols))
            return starts[d] + k + np.where((nulls[d] > 0) & (k >= first_null), nulls[d], 0)
        g0 = (st.blocks - 1) * st.h
        width = st.w - st.null_cols
        late = real - g0 * st.w
        return np.where(late < 0, real, g0 * st.w + (np.maximum(late, 0) // width) * st.w + np.maximum(late, 0) % width)

    def window_positions(self, first_set: int, sets: int, n: int) -> tuple[int, int]:
        """Stream positions [start, stop) (circular; stop 0 = the stream's end) of sets
        first_set … first_set+sets−1 (mod n)."""
        starts = self.set_starts
        end = first_set + sets
        if end >= n:
            end -= n
        if end == 0 or end >= len(starts):
            return int(starts[first_set]), 0
        return int(starts[first_set]), int(starts[end])

    @cached_property
    def set_start_list(self) -> list[int]:
        return self.set_starts.tolist()

    @cached_property
    def _copy_steps(self) -> list[list[tuple[int, int, int]]]:
        """Per tap: (row step, column step, window-index step) to each tap that can hold a copy."""
        dy, dx, _, dk, stride_ok = self._tap_tables
        return [[(int(dy[t, u]), int(dx[t, u]), int(dk[t, u])) for u in range(len(dy)) if stride_ok[t, u]]
                for t in range(len(dy))]

    @cached_property
    def _word_context(self) -> tuple:
        """What :meth:`copy_sets_of` reads for every word, looked up once."""
        cv, s = self.conv, self.op.stream
        rolled = isinstance(s, RolledStream)
        return (s.h, s.w, cv.out_h, cv.out_w, cv.channels, self.dataflow == "ws", rolled,
                s.tables[0] if rolled else None, s.rows - 1 if rolled else 0, self.set_start_list, self._copy_steps)

    def copy_sets_of(self, g: int, c: int) -> list[int]:
        """Sets holding a copy of word (g, c) (plain Python: one word)."""
        h, w, out_h, out_w, channels, ws, rolled, diag, last_row, starts, copy_steps = self._word_context
        if ws:
            p, k = g % h, (g // h) * w + c
        else:
            p, k = (g // h) * w + c, g % h
        oy, ox = divmod(p, out_w)
        out = []
        for step_y, step_x, step_k in copy_steps[k // channels]:
            ny, nx = oy + step_y, ox + step_x
            if not (0 <= ny < out_h and 0 <= nx < out_w):
                continue
            p2, k2 = ny * out_w + nx, k + step_k
            g2, c2 = ((k2 // w) * h + p2, k2 % w) if ws else ((p2 // w) * h + k2, p2 % w)
            if rolled:
                d = g2 + c2
                pos = int(diag[d]) + (d if d < last_row else last_row) - g2
            else:
                pos = g2 * w + c2
            out.append(bisect_right(starts, pos) - 1)
        return out

    def words_of_positions(self, block: int, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """Block ``block``'s real words at stream positions [lo, hi) (rolled stream), in demand order."""
        st = self.op.stream
        pos = np.arange(lo, hi)
        d = np.searchsorted(self._diag_starts, pos, side="right") - 1
        g = np.minimum(d, st.rows - 1) - (pos - self._diag_starts[d])
        c = d - g
        keep = (g // st.h == block) & (c < st.block_width(block))
        return g[keep], c[keep]

    def held(self, g: np.ndarray, c: np.ndarray, lo: int, hi: int) -> np.ndarray:
        """Whether some copy of each word lies at a stream position in the circular range [lo, hi)."""
        pos, exists = self.copy_positions(g, c)
        size = self.op.stream.size
        return (exists & ((pos - lo) % size < (hi - lo) % size)).any(axis=1)

    # -- whole runs of words at once (rolled streams) ------------------------------------------
    # Away from the first and last w − 1 diagonals of the stack, position = C0 + g·w + c·(w + 1).
    # os: the Cin words of one (pixel, tap) sit R apart; ws: the OW words of one (window index,
    # output row) sit R apart; their copies keep fixed offsets. So a run is a *group* with a base
    # position A, a stride σ, a length L and per copy an offset D and a valid index range — and
    # the words no copy of which is in the window follow from interval arithmetic.

    @cached_property
    def _linear(self) -> bool:
        s = self.op.stream
        return isinstance(s, RolledStream) and s.rows >= s.w and self.dataflow in ("os", "ws")

    _BATCH = 6  # blocks whose groups are built together

    @property
    def block_step(self) -> int:
        """Blocks a sweep advances between refills (a refill brings ``step_sets`` sets)."""
        s = self.op.stream
        return max(1, round(self.step_sets * self.set_words * s.blocks / max(1, s.real)))

    def _groups(self, block: int) -> tuple[np.ndarray, ...]:
        """(A, L, copy positions at index 0, copy valid from, copy valid to (inclusive), linear
        throughout, linear from, linear to, first row, column) of block ``block``'s groups."""
        cache = self.__dict__.setdefault("_group_cache", {})
        if block in cache:
            return cache[block]
        kind = self._block_kind(block)
        kinds = self.__dict__.setdefault("_kind_cache", {})
        if kind is not None and kind in kinds:  # same pixels' layout as a block built before: shifted
            ref, arrays = kinds[kind]
            shift = (block - ref) * self.op.stream.h
            a, length, copy_base, vlo, vhi, steady, ok_lo, ok_hi, g0, col = arrays
            cache[block] = (a + shift * self.op.stream.w, length, copy_base + shift * self.op.stream.w, vlo, vhi,
                            steady, ok_lo, ok_hi, g0 + shift, col)
            return cache[block]
        if block not in cache:
            # build with it the blocks the sweep will likely want next: its neighbour, and the
            # blocks one window (``block_step``) further on, again and again
            blocks = self.op.stream.blocks
            wanted = [block, (block + 1) % blocks] + [(block + j * self.block_step) % blocks
                                                      for j in range(1, self._BATCH)]
            if self.dataflow == "os" and kind is None:  # an edge block: the sweep will want its whole edge
                reach = self._edge_reach
                wanted += range(reach) if block < reach else range(max(0, blocks - reach), blocks)
            todo = sorted({b for b in wanted if b not in cache and (b == block or self._block_kind(b) not in kinds)})
            per_block, arrays = self._build_groups(np.array(todo))
            for i, b in enumerate(todo):
                cache[b] = tuple(x[i * per_block:(i + 1) * per_block] for x in arrays)
                kind = self._block_kind(b)
                if kind is not None:
                    kinds.setdefault(kind, (b, cache[b]))
        return cache[block]

    @cached_property
    def _edge_reach(self) -> int:
        """Blocks at either end of the stack whose groups are built, not shifted (os)."""
        cv = self.conv
        return (((cv.kh - 1) // cv.stride + 1) * cv.out_w + cv.kw) // self.op.stream.w + 2

    def _block_kind(self, block: int) -> int | None:
        """os: blocks whose pixels sit alike in their output rows (same columns, rows away from
        the top and bottom edges) have the same groups, shifted along the stream by K·R per
        block; None for blocks near the stack's ends (nonlinear diagonals, null words)."""
        if self.dataflow != "os":
            return None
        reach = self._edge_reach
        if block < reach or block >= self.op.stream.blocks - reach:
            return None
        # the block's pixels all lie in output rows edge … out_h − edge − 1 (reach sees to it), so
        # its columns, block·w + i mod out_w, set by the first, tell it apart
        return (block * self.op.stream.w) % self.conv.out_w

    def _build_groups(self, blocks: np.ndarray) -> tuple[int, tuple[np.ndarray, ...]]:
        cv, s = self.conv, self.op.stream
        w, rows = s.w, s.rows
        c0 = w * (w + 1) // 2 - w * w
        dy, dx, dp, dk, stride_ok = self._tap_tables
        taps = cv.kh * cv.kw
        other = taps if self.dataflow == "os" else cv.out_h
        bb = np.repeat(blocks, w * other)  # groups ordered block, column, j
        col = np.tile(np.repeat(np.arange(w), other), len(blocks))
        j = np.tile(np.arange(other), len(blocks) * w)
        real_col = col < np.where(bb == s.blocks - 1, w - s.null_cols, w)
        if self.dataflow == "os":  # group = (pixel, tap); index = channel
            tap = j
            p = bb * w + col
            oy, ox = np.divmod(p, cv.out_w)
            g0 = bb * s.h + tap * cv.channels
            length = np.where(real_col, cv.channels, 0)
            p2 = p[:, None] + dp[tap]
            ok = stride_ok[tap] & (oy[:, None] + dy[tap] >= 0) & (oy[:, None] + dy[tap] < cv.out_h) & \
                (ox[:, None] + dx[tap] >= 0) & (ox[:, None] + dx[tap] < cv.out_w)
            g2 = (p2 // w) * s.h + (np.arange(taps)[None, :] * cv.channels)
            c2 = p2 % w
            vlo, vhi = np.where(ok, 0, 1), np.where(ok, cv.channels, 0)
        else:  # ws: group = (window index, output row); index = output column
            oy = j
            tap, ch = np.divmod(bb * w + col, cv.channels)
            tap = np.minimum(tap, taps - 1)  # null columns of the last block: any tap (length 0)
            g0 = bb * s.h + oy * cv.out_w
            length = np.where(real_col, cv.out_w, 0)
            k2 = np.arange(taps)[None, :] * cv.channels + ch[:, None]
            ny = oy[:, None] + dy[tap]
            ok = stride_ok[tap] & (ny >= 0) & (ny < cv.out_h)
            g2 = (k2 // w) * s.h + ny * cv.out_w + dx[tap]
            c2 = k2 % w
            vlo = np.where(ok, np.maximum(0, -dx[tap]), 1)
            vhi = np.where(ok, np.minimum(cv.out_w, cv.out_w - dx[tap]), 0)
        a = c0 + g0 * w + col * (w + 1)
        copy_base = c0 + g2 * w + c2 * (w + 1)  # copy positions at index 0
        # the indices t where the word and its copies sit on the linear diagonals [w − 1, rows − 1]
        d0 = g0 + col
        e0 = g2 + c2
        valid = vlo < vhi
        ok_lo = np.maximum(w - 1 - d0, np.where(valid, np.minimum(np.maximum(w - 1 - e0, vlo), vhi), 0).max(axis=1))
        ok_hi = np.minimum(rows - 1 - d0, np.where(valid, np.maximum(np.minimum(rows - 1 - e0, vhi - 1), vlo - 1),
                                                   length[:, None]).min(axis=1))
        ok_lo, ok_hi = np.maximum(ok_lo, 0), np.minimum(ok_hi, length - 1)
        steady = (length == 0) | ((ok_lo == 0) & (ok_hi == length - 1))
        return w * other, (a, length, copy_base, vlo, vhi - 1, steady, ok_lo, ok_hi, g0, col)

    def first_miss(self, block: int, start: int, stop: int, lo: int, hi: int) -> int | None:
        """Stream position of the first word of block ``block`` in positions [start, stop) none of
        whose copies lies in the circular position range [lo, hi); None if every word hits.

        Group j's word t sits at A_j + σt, t < L_j; copy i of it at D_ji + σt for t in
        [v_ji, V_ji]. The words of [start, stop): t from ⌈(start − A)/σ⌉ to ⌊(stop − 1 − A)/σ⌋.
        Copy i is in a window [lo, lo + span) for t from ⌈(lo − D)/σ⌉ to ⌊(lo + span − 1 − D)/σ⌋
        (two ranges when the window wraps). A group's first miss: its first t, moved past every
        range holding it until none does."""
        if not self._linear:
            return self._first_miss_words(block, start, stop, lo, hi)
        a, length, copy_base, vlo, vhi, steady, ok_lo, ok_hi, g0, col = self._groups(block)
        sigma, size = self.op.stream.w, self.op.stream.size
        t = np.maximum((start + sigma - 1 - a) // sigma, 0)  # each group's first word in range
        t_last = np.minimum(length - 1, (stop - 1 - a) // sigma)
        first_odd = None
        if not self._all_steady(block):  # words near the stack's ends: one by one, exact positions
            first_odd = self._first_miss_odd(block, start, stop, lo, hi)
            np.maximum(t, ok_lo, out=t)
            np.minimum(t_last, ok_hi, out=t_last)
        live = t <= t_last
        if not live.any():
            return first_odd
        span = (hi - lo) % size
        if span:  # index range [i_lo, i_end) of each copy inside the window
            if lo + span <= size:
                i_lo = np.maximum((lo + sigma - 1 - copy_base) // sigma, vlo)
                i_end = np.minimum((lo + span - 1 - copy_base) // sigma, vhi) + 1
            else:
                i_lo = np.concatenate((np.maximum((lo + sigma - 1 - copy_base) // sigma, vlo),
                                       np.maximum((sigma - 1 - copy_base) // sigma, vlo)), axis=1)
                i_end = np.concatenate((np.minimum((size - 1 - copy_base) // sigma, vhi),
                                        np.minimum((hi - 1 - copy_base) // sigma, vhi)), axis=1) + 1
            while True:  # step past every range holding t
                tt = t[:, None]
                holding = (i_lo <= tt) & (tt < i_end)
                if not holding.any():
                    break
                t = np.where(holding, i_end, tt).max(axis=1)
        miss = live & (t <= t_last)
        if not miss.any():
            return first_odd
        first = int((a + sigma * t)[miss].min())
        return first if first_odd is None else min(first, first_odd)

    def _all_steady(self, block: int) -> bool:
        cache = self.__dict__.setdefault("_steady_cache", {})
        found = cache.get(block)
        if found is None:
            cache[block] = found = bool(self._groups(block)[5].all())
        return found

    def _first_miss_words(self, block: int, start: int, stop: int, lo: int, hi: int) -> int | None:
        """``first_miss`` word by word (every word's copies computed)."""
        g, c = self.words_of_positions(block, start, stop)
        if not len(g):
            return None
        missing = np.flatnonzero(~self.held(g, c, lo, hi))
        return int(self.op.stream.pos(int(g[missing[0]]), int(c[missing[0]]))) if len(missing) else None

    def _odd_words(self, block: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Block ``block``'s words off the linear diagonals (theirs or a copy's): positions, copy
        positions, copy exists (cached: a sweep asks again and again)."""
        cache = self.__dict__.setdefault("_odd_cache", {})
        if block not in cache:
            _, length, _, _, _, steady, ok_lo, ok_hi, g0, col = self._groups(block)
            odd = np.flatnonzero(~steady)
            g0, col, length, ok_lo, ok_hi = g0[odd], col[odd], length[odd], ok_lo[odd], ok_hi[odd]
            t = np.arange(int(length.max()))
            keep = ((t[None, :] < length[:, None]) & ((t[None, :] < ok_lo[:, None]) | (t[None, :] > ok_hi[:, None])))
            g = (g0[:, None] + t[None, :]).ravel()[keep.ravel()]
            c = np.repeat(col, len(t))[keep.ravel()]
            d = g + c
            pos = self._diag_starts[d] + np.minimum(d, self.op.stream.rows - 1) - g
            copies, exists = self.copy_positions(g, c)
            cache[block] = (pos, copies, exists)
        return cache[block]

    def _first_miss_odd(self, block: int, start: int, stop: int, lo: int, hi: int) -> int | None:
        """First miss among the block's words off the linear diagonals."""
        pos, copies, exists = self._odd_words(block)
        inside = (pos >= start) & (pos < stop)
        if not inside.any():
            return None
        size = self.op.stream.size
        held = (exists[inside] & ((copies[inside] - lo) % size < (hi - lo) % size)).any(axis=1)
        return int(pos[inside][~held].min()) if not held.all() else None

    def words_of_rows(self, first: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        """Row-major stream: rows first..first+count−1 in demand order (last row first)."""
        st = self.op.stream
        b = first // st.h
        rows = np.arange(first + count - 1, first - 1, -1)
        cols = np.arange(st.block_width(b))
        return rows.repeat(len(cols)), np.tile(cols, count)
