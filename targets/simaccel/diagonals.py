"""Counting the cells of an m × M rectangle (m ≤ M) by anti-diagonals, in closed form.

Anti-diagonal d (cells with row + column = d) holds min(d + 1, m, m + M − 1 − d) cells: they grow
1, 2, …, m, stay m long up to diagonal M − 1, then shrink m − 1, …, 1. The cells on the diagonals
before d:

    F(d) = d(d + 1)/2                        for d ≤ m
         = T₁ + (d − m)·m                    for m ≤ d ≤ M,        T₁ = m(m + 1)/2
         = T₂ + q(m − 1) − q(q − 1)/2        for q = d − M ≥ 0,    T₂ = T₁ + (M − m)·m

(F(m + M − 1) = m·M, every cell). Both the read buffers' rolled fetch streams (words read
diagonal by diagonal) and the output buffer (a fold writes its rectangle one diagonal per row)
count this way, and both need F and its inverse, once per event: integer arithmetic here, an
integer square root for the inverse where F is quadratic.
"""

from __future__ import annotations

from math import isqrt


def cells_before(d: int, m: int, big: int) -> int:
    """F(d): cells on the diagonals before ``d`` (0 for d ≤ 0, m·M from d = m + M − 1 on)."""
    if d <= 0:
        return 0
    if d <= m:
        return d * (d + 1) // 2
    if d <= big:
        return m * (m + 1) // 2 + (d - m) * m
    q = min(d - big, m - 1)
    return m * (m + 1) // 2 + (big - m) * m + q * (m - 1) - q * (q - 1) // 2


def diagonal_of(pos: int, m: int, big: int) -> int:
    """The diagonal holding cell number ``pos`` (0-based, in diagonal order): the last d with
    F(d) ≤ pos; m + M − 1 from pos = m·M on."""
    t1 = m * (m + 1) // 2
    if pos < t1:
        return (isqrt(8 * pos + 1) - 1) // 2
    t2 = t1 + (big - m) * m
    if pos < t2:
        return m + (pos - t1) // m
    r, b = pos - t2, 2 * m - 1  # the last q ≤ m − 1 with q(m − 1) − q(q − 1)/2 ≤ r
    q = min(m - 1, max(0, (b - isqrt(max(0, b * b - 8 * r))) // 2))
    while q > 0 and q * (m - 1) - q * (q - 1) // 2 > r:
        q -= 1
    while q < m - 1 and (q + 1) * (m - 1) - (q + 1) * q // 2 <= r:
        q += 1
    return big + q
