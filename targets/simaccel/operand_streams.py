"""Where each operand word sits in SCALE-Sim's DRAM fetch order, and when the array asks for it.

SCALE-Sim 3.0.0 (user-bandwidth mode) fills each read buffer from a *fetch stream*: the
operand's prefetch matrix, laid out fold block after fold block. Two layouts occur:

* **rolled** — the blocks (each ``h`` rows × ``w`` columns) are stacked and the whole stack
  is read anti-diagonal by anti-diagonal (its fix for its issues #15/#16). Element (g, c)
  of the stack (g = stacked row) sits at ``F(g + c) + min(g + c, rows − 1) − g``, where
  ``F(d)`` counts the elements of the diagonals before ``d``. The array demands a block's
  diagonal ``t`` at row ``t`` of its fold (after the fold's lead-in rows), so within a fold
  the demand sweeps the stream forward; only at block edges do two blocks' elements
  interleave (the last ``w − 1`` diagonals of one block hold the first of the next).
* **row-major** — blocks read row by row; a fold demands ``R`` consecutive rows, last row
  first (the fold is flipped), one row per cycle.

| dataflow | ifmap stream                    | filter stream                  |
|----------|---------------------------------|--------------------------------|
| os       | rolled, block fr = K×R, passes ⌈N/C⌉ | rolled, block fc = K×C, each block ⌈M/R⌉ folds in a row |
| ws       | rolled, block fr = M×R, passes ⌈N/C⌉ | row-major, block fc = K×C, rows fr·R… of block fc |
| is       | row-major, block fc = K×C, rows fr·R… | rolled, block fr = N×R, passes ⌈M/C⌉ |

Partial folds are padded with null words (columns of the last block); nulls are fetched
(they fill DRAM lines) but never stored, so buffer *sets* count only real words. Folds run
``fc`` outer, ``fr`` inner; fold ``f`` starts at row ``f × cycles_per_fold``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from tinybench.targets.simaccel.diagonals import cells_before, diagonal_of


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


@dataclass(frozen=True)
class RolledStream:
    """``blocks`` blocks of ``h`` × ``w`` read by anti-diagonals; ``null_cols`` null columns in the last."""

    blocks: int
    h: int
    w: int
    null_cols: int = 0
    rows: int = field(init=False, repr=False, compare=False)  # stacked rows, blocks × h
    real: int = field(init=False, repr=False, compare=False)  # real (non-null) words
    size: int = field(init=False, repr=False, compare=False)  # words, nulls included

    def __post_init__(self) -> None:  # read in every hot loop: plain attributes, set once
        rows = self.blocks * self.h
        object.__setattr__(self, "rows", rows)
        object.__setattr__(self, "real", rows * self.w - self.h * self.null_cols)
        object.__setattr__(self, "size", rows * self.w)

    @cached_property
    def tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per diagonal d (and one past the last): F(d) = words on the diagonals before d, real
        words before d, null words on d."""
        d = np.arange(self.rows + self.w - 1)
        lengths = np.minimum(np.minimum(d + 1, self.rows + self.w - 1 - d), min(self.w, self.rows))
        starts = np.zeros(len(d) + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        if not self.null_cols:
            return starts, starts, np.zeros(len(d) + 1, dtype=np.int64)
        first_null_col = self.w - self.null_cols
        nulls = np.maximum(0, np.minimum(self.rows - 1, d - first_null_col)
                           - np.maximum(self.rows - self.h, d - self.w + 1) + 1)
        real = starts - np.concatenate(([0], np.cumsum(nulls)))
        return starts, real, np.concatenate((nulls, [0]))

    @cached_property
    def _shape(self) -> tuple[int, int]:
        return min(self.w, self.rows), max(self.w, self.rows)

    def diag_start(self, d: int) -> int:
        """Elements on the diagonals before ``d`` (F(d), :mod:`diagonals`)."""
        return cells_before(d, *self._shape)

    def diag_of(self, pos: int) -> int:
        """The diagonal holding stream position ``pos`` (rows + w − 1 past the end)."""
        return diagonal_of(pos, *self._shape)

    def pos(self, g: int, c: int) -> int:
        d = g + c
        return self.diag_start(d) + min(d, self.rows - 1) - g

    def element_at(self, pos: int) -> tuple[int, int]:
        """(stacked row, column) of stream position ``pos``."""
        d = self.diag_of(pos)
        g = min(d, self.rows - 1) - (pos - self.diag_start(d))
        return g, d - g

    def _first_null_offset(self, d: int) -> int:
        """Offset along diagonal d (rows descending) of its first null word."""
        return min(d, self.rows - 1) - min(self.rows - 1, d - (self.w - self.null_cols))

    @property
    def first_null_position(self) -> int:
        """Stream position of the first null word (the stream's size if none)."""
        starts, _, nulls = self.tables
        hit = np.flatnonzero(nulls)
        if not len(hit):
            return self.size
        d = int(hit[0])
        return int(starts[d]) + self._first_null_offset(d)

    def real_index(self, pos: int) -> int:
        """How many real (non-null) words precede stream position ``pos``."""
        _, real, nulls = self.tables
        d = self.diag_of(pos)
        k = pos - self.diag_start(d)
        before = 0
        if nulls[d]:
            before = min(max(0, k - self._first_null_offset(d)), int(nulls[d]))
        return int(real[d]) + k - before

    def position_of_real(self, index: int) -> int:
        """Stream position of the real word number ``index`` (0-based)."""
        starts, real, nulls = self.tables
        d = int(np.searchsorted(real, index, side="right")) - 1
        k = index - int(real[d])
        if nulls[d] and k >= self._first_null_offset(d):
            k += int(nulls[d])
        return int(starts[d]) + k

    def block_width(self, b: int) -> int:
        return self.w - (self.null_cols if b == self.blocks - 1 else 0)

    def head(self, b: int) -> int:
        """Real index of block ``b``'s first word in stream order."""
        return self.real_index(self.pos(b * self.h, 0))

    def tail(self, b: int) -> int:
        return self.real_index(self.pos(b * self.h + self.h - 1, self.block_width(b) - 1))

    def set_spans(self, set_words: int) -> tuple[np.ndarray, np.ndarray]:
        """First and last set of every block (numpy arrays)."""
        b = np.arange(self.blocks)
        m1, m2 = min(self.w, self.rows), max(self.w, self.rows)

        def starts(d: np.ndarray) -> np.ndarray:
            q = np.clip(d, m2, m1 + m2 - 1) - m2
            return np.where(d <= m1, d * (d + 1) // 2, np.where(
                d <= m2, m1 * (m1 + 1) // 2 + (d - m1) * m1,
                m1 * (m1 + 1) // 2 + (m2 - m1) * m1 + q * (m1 - 1) - q * (q - 1) // 2))

        g = b * self.h + self.h - 1
        d = g + self.w - 1
        tails = starts(d) + np.minimum(d, self.rows - 1) - g
        heads = starts(b * self.h)
        if self.null_cols:  # positions past the first null word: count the nulls
            first_null = self.first_null_position
            for blk in np.flatnonzero((heads >= first_null) | (tails >= first_null)):
                heads[blk], tails[blk] = self.head(int(blk)), self.tail(int(blk))
        return heads // set_words, tails // set_words

    def first_word_at(self, block: int, start: int, stop: int | None = None) -> int | None:
        """Position of block ``block``'s first real word at or after position ``start`` (and before
        ``stop``); None if there is none. A sweep of the block meets its words in this order."""
        top_row, wb = block * self.h, self.block_width(block)
        d = max(self.diag_of(start), top_row)
        for dd in (d, d + 1):
            if dd > top_row + self.h - 1 + wb - 1:
                return None
            g_hi, g_lo = min(top_row + self.h - 1, dd), max(top_row, dd - wb + 1)
            top = min(dd, self.rows - 1)
            g = min(g_hi, self.diag_start(dd) + top - start) if dd == d else g_hi
            if g >= g_lo:
                pos = self.diag_start(dd) + top - g
                return pos if stop is None or pos < stop else None
        return None


@dataclass(frozen=True)
class RowMajorStream:
    """``blocks`` blocks of ``h`` × ``w`` read row by row; ``null_cols`` null columns in the last."""

    blocks: int
    h: int
    w: int
    null_cols: int = 0

    @property
    def real(self) -> int:
        return self.blocks * self.h * self.w - self.h * self.null_cols

    @property
    def size(self) -> int:
        return self.blocks * self.h * self.w

    def real_index(self, g: int, c: int) -> int:
        """Real index of element (stacked row g, column c)."""
        g0 = (self.blocks - 1) * self.h
        if g < g0 or not self.null_cols:
            return g * self.w + c
        return g0 * self.w + (g - g0) * (self.w - self.null_cols) + c

    def row_of_real(self, index: int) -> int:
        g0 = (self.blocks - 1) * self.h
        if index < g0 * self.w or not self.null_cols:
            return index // self.w
        return g0 + (index - g0 * self.w) // (self.w - self.null_cols)

    def block_width(self, b: int) -> int:
        return self.w - (self.null_cols if b == self.blocks - 1 else 0)


@dataclass(frozen=True)
class OperandStream:
    """One operand's fetch stream and how the folds visit it.

    ``visit(f)`` → the block (rolled) or (block, first row, rows) (row-major) fold ``f`` demands;
    ``lead`` = rows of the fold before its first demand of this operand.
    """

    stream: RolledStream | RowMajorStream
    row_folds: int
    col_folds: int
    block_axis: str  # "fr" or "fc": which fold index picks the block
    lead: int = 0
    sub_rows: int = 0  # row-major: rows per fold (R); 0 for rolled streams

    def visit(self, fold: int) -> tuple[int, int, int]:
        fc, fr = divmod(fold, self.row_folds)
        if self.sub_rows:
            first = fr * self.sub_rows
            return fc, first, min(self.sub_rows, self.stream.h - first)
        return (fr if self.block_axis == "fr" else fc), 0, 0


def operand_streams(m: int, k: int, n: int, rows: int, cols: int, dataflow: str) -> dict[str, OperandStream]:
    """The ifmap and filter fetch streams of GEMM M×K·K×N on an R×C array (see the table above)."""
    R, C = rows, cols
    if dataflow == "os":
        rf, cf = _ceil(m, R), _ceil(n, C)
        return {"ifmap": OperandStream(RolledStream(rf, k, R, rf * R - m), rf, cf, "fr"),
                "filter": OperandStream(RolledStream(cf, k, C, cf * C - n), rf, cf, "fc")}
    if dataflow == "ws":
        rf, cf = _ceil(k, R), _ceil(n, C)
        return {"ifmap": OperandStream(RolledStream(rf, m, R, rf * R - k), rf, cf, "fr", lead=R),
                "filter": OperandStream(RowMajorStream(cf, k, C, cf * C - n), rf, cf, "fc", sub_rows=R)}
    if dataflow == "is":
        rf, cf = _ceil(k, R), _ceil(m, C)
        return {"ifmap": OperandStream(RowMajorStream(cf, k, C, cf * C - m), rf, cf, "fc", sub_rows=R),
                "filter": OperandStream(RolledStream(rf, n, R, rf * R - k), rf, cf, "fr", lead=R)}
    raise ValueError(f"unknown dataflow {dataflow!r}")
