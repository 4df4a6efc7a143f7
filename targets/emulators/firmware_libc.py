"""The C library behaviour the reference firmware's parser relies on, in Python.

The firmware tokenises with `strtok(…, " ")` (only the space separates; repeated spaces
are skipped; tabs are part of a token), compares with `strncmp` (exact for tokens of at
most 80 characters), reads numbers with `atoi` (leading whitespace and a sign, then
digits; anything after them is ignored; no digits → 0) and keeps sizes in a 32-bit
`size_t` (the reference boards are Cortex-M), printing them with `%d`.
"""

from __future__ import annotations

import re

_ATOI = re.compile(r"[ \t\n\v\f\r]*([+-]?)([0-9]*)")
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1


def to_int32(value: int) -> int:
    """Two's-complement wrap to a C `int` (what `%d` prints of a wider value)."""
    value &= 0xFFFFFFFF
    return value - 2**32 if value >= 2**31 else value


def to_size_t(value: int) -> int:
    """A C `int` cast to a 32-bit `size_t`."""
    return value & 0xFFFFFFFF


def atoi(text: str) -> int:
    """C `atoi`: `12abc` → 12, `abc` → 0, `-5` → -5.

    Out-of-range input is undefined behaviour in C; like glibc on a 64-bit host (where
    the transcript was checked) the value saturates at the `long` range and is then
    truncated to `int`.
    """
    match = _ATOI.match(text)
    sign, digits = match.groups()
    if not digits:
        return 0
    value = int(digits)
    if sign == "-":
        value = -value
    return to_int32(max(LONG_MIN, min(LONG_MAX, value)))


def strtok_spaces(command: str) -> list[str]:
    """The tokens `strtok(command, " ")` yields, in order."""
    return [token for token in command.split(" ") if token]


def c_string(raw: bytes) -> str:
    """The command buffer as C sees it: up to the first NUL, one character per byte."""
    return raw.split(b"\0", 1)[0].decode("latin-1")
