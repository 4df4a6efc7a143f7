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
    def _null_prefix(self) -> tuple[int, np.ndarray]:
        s = self.op.stream
        d0, prefix = s._null_prefix
        return d0, np.asarray(prefix)

    def _real_index(self, g: np.ndarray, c: np.ndarray) -> np.ndarray:
        s = self.op.stream
        if not isinstance(s, RolledStream):
            g0 = (s.blocks - 1) * s.h
            return np.where(g < g0, g * s.w + c, g0 * s.w + (g - g0) * (s.w - s.null_cols) + c)
        d = g + c
        pos = self._diag_starts[d] + np.minimum(d, s.rows - 1) - g
        if not s.null_cols:
            return pos
        d0, prefix = self._null_prefix
        first_null_col = s.w - s.null_cols
        idx = np.clip(d - d0, 0, len(prefix) - 1)
        before = np.where(d >= d0, prefix[idx], 0)
        top = np.minimum(d, s.rows - 1)
        null_hi = np.minimum(s.rows - 1, d - first_null_col)
        null_lo = np.maximum(s.rows - s.h, d - s.w + 1)
        k = top - g
        partial = np.clip(np.minimum(k, top - null_lo + 1) - (top - null_hi), 0, None)
        before = before + np.where((d >= d0) & (null_hi >= null_lo), partial, 0)
        return pos - before

    def _to_stream(self, p: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(stacked row, column) of ifmap word (pixel p, window index k) in this stream."""
        s = self.op.stream
        if self.dataflow == "os":  # blocks of R pixels: rows k, columns pixel % R
            return (p // s.w) * s.h + k, p % s.w
        if self.dataflow == "ws":  # blocks of R window indices: rows pixel, columns k % R
            return (k // s.w) * s.h + p, k % s.w
        return (p // s.w) * s.h + k, p % s.w  # is: row-major blocks of C pixels, rows k

    def _from_stream(self, g: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = self.op.stream
        if self.dataflow == "ws":
            return g % s.h, (g // s.h) * s.w + c
        return (g // s.h) * s.w + c, g % s.h

    def copy_sets(self, g: np.ndarray, c: np.ndarray) -> np.ndarray:
        """Sets holding a copy of each word (rows; −1 where no copy), own set included."""
        cv = self.conv
        p, k = self._from_stream(g, c)
        oy, ox = np.divmod(p, cv.out_w)
        kk, ch = np.divmod(k, cv.channels)
        ky, kx = np.divmod(kk, cv.kw)
        iy, ix = oy * cv.stride + ky, ox * cv.stride + kx
        ky2 = np.arange(cv.kh).repeat(cv.kw)
        kx2 = np.tile(np.arange(cv.kw), cv.kh)
        ny, ry = np.divmod(iy[:, None] - ky2[None, :], cv.stride)
        nx, rx = np.divmod(ix[:, None] - kx2[None, :], cv.stride)
        ok = (ry == 0) & (rx == 0) & (ny >= 0) & (ny < cv.out_h) & (nx >= 0) & (nx < cv.out_w)
        p2 = np.where(ok, ny * cv.out_w + nx, 0)
        k2 = np.where(ok, ((ky2[None, :] * cv.kw + kx2[None, :]) * cv.channels) + ch[:, None], 0)
        g2, c2 = self._to_stream(p2, k2)
        sets = self._real_index(g2, c2) // self.set_words
        return np.where(ok, sets, -1)

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
