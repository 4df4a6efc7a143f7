"""How numbers and missing values are shown on pages."""

from __future__ import annotations

import hashlib
import math

NOT_MEASURED = "not measured"


def number(value: float | None, digits: int = 4) -> str:
    """`value` with `digits` significant digits (thousands separated), or 'not measured'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NOT_MEASURED
    if value == 0:
        return "0"
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 1000:
        return f"{int(value):,}"
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(0, digits - 1 - magnitude)
    return f"{value:,.{decimals}f}"


def percent(value: float | None) -> str:
    return NOT_MEASURED if value is None else f"{value * 100:.2f} %"


def slug(text: str) -> str:
    """A file-name-safe, stable id for any text (user text never reaches a path)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
