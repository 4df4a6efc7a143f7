"""sww01 scoring of untrusted detections, bounded before the scorer runs.

The scorer (:func:`score_detections`, the runner's rules) costs O(windows × detections) to
match and, to debounce the n detections outside every window, O(n) when they are in time order
(what a board records: 37,500 in 0.04 s) but the runner's O(n²) walk when they are not (10,000 take
about 90 s). Detections and windows from a bundle, a submission or a published results.json
are therefore refused above what a real run can produce: the interface board stores at most
10,000 detections, a truth file has at most 10,000 windows, and more than
`MAX_FALSE_CANDIDATES` detections outside every acceptance window *out of time order* are not
scored.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tinybench.workloads.metrics.sww_scoring import DELAY_S, DetectionScore, ScoringError, score_detections
from tinybench.workloads.sww_detection import BOARD_MAX_TIMESTAMPS

MAX_WINDOWS = 10_000
MAX_FALSE_CANDIDATES = 2_000  # out of time order: about 3 s of the runner's O(n²) debounce


def score_bounded(stamps_ms: Sequence[int], windows_s: Sequence[Sequence[float]]) -> DetectionScore:
    """:func:`score_detections`, or ScoringError naming the bound an input exceeds."""
    if len(stamps_ms) > BOARD_MAX_TIMESTAMPS:
        raise ScoringError(f"{len(stamps_ms)} detections; the interface board stores at most {BOARD_MAX_TIMESTAMPS}")
    if len(windows_s) > MAX_WINDOWS:
        raise ScoringError(f"{len(windows_s)} truth windows; at most {MAX_WINDOWS} are scored")
    if len(stamps_ms) > 1:
        seconds = (np.asarray(stamps_ms[1:], dtype=np.float64) - float(stamps_ms[0])) / 1000
        outside = np.ones(seconds.size, dtype=bool)
        for start, stop in windows_s:
            outside &= ~((seconds >= start) & (seconds <= stop + 2 * DELAY_S))
        in_order = bool(np.all(np.diff(seconds[outside]) >= 0))
        if not in_order and int(outside.sum()) > MAX_FALSE_CANDIDATES:
            raise ScoringError(f"{int(outside.sum())} detections outside every wake-word window, not in time "
                               f"order; more than {MAX_FALSE_CANDIDATES} such are not scored (a board records "
                               "them in order)")
    return score_detections(stamps_ms, windows_s)
