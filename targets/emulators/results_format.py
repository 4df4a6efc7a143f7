"""How each MLPerf Tiny reference firmware prints `m-results-[…]` (quirks included)."""

from __future__ import annotations

import numpy as np


def kws_digits(value: float) -> str:
    """keyword_spotting/submitter_implemented.cpp: "0.%d%d%d" from ×10, ×100 %10, ×1000 %10."""
    return f"0.{int(value * 10)}{int(value * 100) % 10}{int(value * 1000) % 10}"


def format_results(workload_id: str, values: np.ndarray) -> str:
    """The `m-results-[…]` line for dequantized outputs (or, for ad01, the one MSE value)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    if workload_id == "kws01":
        body = ",".join(kws_digits(v) for v in values)
    elif workload_id == "vww01":  # nresults = 3 for 2 classes → a trailing comma
        body = "".join(f"{v:0.3f}," for v in values)
    else:  # ic01, ic02 (%0.3f each), ad01 (%0.3f, one value)
        body = ",".join(f"{v:0.3f}" for v in values)
    return f"m-results-[{body}]"
