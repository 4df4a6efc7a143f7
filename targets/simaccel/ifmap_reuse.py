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

    @cached_property
    def _diag_starts(self) -> np.ndarray:
        s = self.op.stream
        d = np.arange(s.rows + s.w - 1)
        lengths = np.minimum.reduce([d + 1, np.full_like(d, s.w), np.full_like(d, s.rows), s.rows + s.w - 1 - d])
        return np.concatenate(([0], np.cumsum(lengths)))

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

    def window_positions(self, first_set: int, sets: int, n: int) -> tuple[int, int]:
        """Stream positions [start, stop) (circular) of the sets first_set … first_set+sets−1 (mod n)."""
        st, e = self.op.stream, self.set_words
        start = st.position_of_real(first_set * e) if isinstance(st, RolledStream) else self._rm_pos(first_set * e)
        end = (first_set + sets) % n
        if end == 0 or end * e >= st.real:
            return start, 0
        return start, st.position_of_real(end * e) if isinstance(st, RolledStream) else self._rm_pos(end * e)

    def _rm_pos(self, index: int) -> int:
        st = self.op.stream
        g = st.row_of_real(index)
        first = st.real_index(g, 0)
        return g * st.w + (index - first)

    def words_of_sets(self, block: int, first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
        """Block ``block``'s real words in sets first..last (rolled stream), in demand order."""
        st = self.op.stream
        lo = st.position_of_real(first * self.set_words)
        hi = st.position_of_real(min((last + 1) * self.set_words, st.real) - 1) + 1
        pos = np.arange(lo, hi)
        d = np.searchsorted(self._diag_starts, pos, side="right") - 1
        g = np.minimum(d, st.rows - 1) - (pos - self._diag_starts[d])
        c = d - g
        keep = (g // st.h == block) & (c < st.block_width(block))
        return g[keep], c[keep]

    def words_of_rows(self, first: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        """Row-major stream: rows first..first+count−1 in demand order (last row first)."""
        st = self.op.stream
        b = first // st.h
        rows = np.arange(first + count - 1, first - 1, -1)
        cols = np.arange(st.block_width(b))
        return rows.repeat(len(cols)), np.tile(cols, count)
