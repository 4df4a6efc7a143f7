"""sww01 scoring, exactly as MLPerf Tiny's runner computes it.

Detections (`runner/streaming_ww_utils.py:calc_detection_stats`, defaults
`false_pos_suppresion_delay_sec = 1.0`, `debounce_time_sec = 1.0`):

1. an empty list is an error (the first timestamp marks the start of the run);
2. the first timestamp t0 is the sync pulse: it is dropped and the others become
   d = t − t0 (ms, integers);
3. for each truth window [t_start, t_stop] (s) in file order, the code adds the delay to
   t_stop and then adds it again in the comparison, so a detection matches when
   t_start ≤ d/1000 ≤ (t_stop + 1.0) + 1.0 — an effective **2-second** tolerance after the
   word (both ends inclusive, float64 arithmetic in that order). A window with a match
   is a true positive and **every** matching detection is removed; otherwise it is a false
   negative;
4. what remains are false positives, debounced greedily from left to right: each
   surviving detection removes every other one in (d, d + 1000] ms — strictly later and
   at most 1 s later (an identical timestamp is *not* removed) — so a false trigger that
   lasts 5 s counts about 5 times.

The runner's README says the window ends **1 s** after the word ("2.60 s would count …,
2.8 s … false positive"); the code, which produced every published result, uses 2 s.
tinybench follows the code (`tolerance_s` reproduces the README's reading if set to 1).

Duty cycle (`process_dutycycle`): on-time = stop − start per frame, period = mean of the
differences of consecutive starts, duty cycle = mean(on-time) / period, throughput =
1 / mean(on-time) (inferences per second of processing, independent of the period); the
runner warns when (max − min) / mean of the periods exceeds 2 %.

Closed division (`submission_checker.py`): TP + FN must be 50 (the long stream), and the
result is valid only with at most 8 false positives and at most 8 false negatives;
the reported accuracy is F1 = 2·TP / (2·TP + FP + FN).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

DELAY_S = 1.0  # false_pos_suppresion_delay_sec (added twice: see step 3)
DEBOUNCE_MS = 1000  # int(debounce_time_sec * 1000)
CLOSED_WAKE_WORDS = 50
CLOSED_MAX_FP = 8
CLOSED_MAX_FN = 8
PERIOD_VARIATION_LIMIT = 0.02


class ScoringError(ValueError):
    """Detections that cannot be scored (no sync pulse)."""


@dataclass(frozen=True)
class DetectionScore:
    """True positives and false negatives as their windows' start times (s); false positives (s)."""

    true_positives_s: list[float]
    false_negatives_s: list[float]
    false_positives_s: list[float]
    outcome: list[str] = field(default_factory=list)  # per input timestamp: sync, tp:<window>, fp, fp-debounced

    @property
    def tp(self) -> int:
        return len(self.true_positives_s)

    @property
    def fn(self) -> int:
        return len(self.false_negatives_s)

    @property
    def fp(self) -> int:
        return len(self.false_positives_s)

    @property
    def f1(self) -> float | None:
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else None

    def closed_checks(self) -> dict[str, bool]:
        return {"fifty_wake_words": self.tp + self.fn == CLOSED_WAKE_WORDS,
                "false_positives": self.fp <= CLOSED_MAX_FP, "false_negatives": self.fn <= CLOSED_MAX_FN}


def score_detections(timestamps_ms: Sequence[int], windows_s: Sequence[Sequence[float]],
                     delay_s: float = DELAY_S, debounce_ms: int = DEBOUNCE_MS,
                     tolerance_s: float | None = None) -> DetectionScore:
    """Score board timestamps (ms, the sync pulse first) against truth windows (s).

    `tolerance_s` replaces the code's effective tolerance (delay added twice) with a single
    one, e.g. 1.0 for the runner README's description; leave it None to match the code.
    """
    if len(timestamps_ms) == 0:
        raise ScoringError("no detections captured; there should be at least one (the sync pulse) "
                           "marking the beginning of the run")
    stamps = np.asarray(timestamps_ms, dtype=np.int64)
    relative = stamps[1:] - stamps[0]
    alive = np.ones(relative.size, dtype=bool)
    outcome = ["sync"] + [""] * relative.size
    seconds = relative / 1000
    true_positives: list[float] = []
    false_negatives: list[float] = []
    for number, (t_start, t_stop) in enumerate(windows_s):
        if tolerance_s is None:
            t_stop = t_stop + delay_s
            limit = t_stop + delay_s
        else:
            limit = t_stop + tolerance_s
        matches = alive & (seconds >= t_start) & (seconds <= limit)
        if matches.any():
            true_positives.append(t_start)
            alive &= ~matches
            for i in np.flatnonzero(matches):
                outcome[i + 1] = f"tp:{number}"
        else:
            false_negatives.append(t_start)
    remaining = _debounce(relative, list(np.flatnonzero(alive)), debounce_ms)
    for j in set(np.flatnonzero(alive)) - set(remaining):
        outcome[j + 1] = "fp-debounced"
    for j in remaining:
        outcome[j + 1] = "fp"
    return DetectionScore(true_positives, false_negatives, [float(relative[j] / 1000) for j in remaining], outcome)


def _debounce(relative: np.ndarray, remaining: list[int], debounce_ms: int) -> list[int]:
    """The runner's left-to-right debounce of the false positives: the indices that survive.

    The runner walks its list and, at each survivor d, deletes every other entry in (d, d + debounce].
    On times in order (what a board records) that is one pass: a survivor deletes the entries after
    it up to d + debounce, keeps its ties (equal times are not deleted), and the next survivor is the
    first entry past that — O(n). Times out of order (hand-made or hostile lists) take the runner's
    own walk, O(n²), which callers bound.
    """
    times = relative[remaining]
    if np.all(np.diff(times) >= 0):
        kept, k = [], 0
        while k < len(remaining):
            current = times[k]
            while k < len(remaining) and times[k] == current:  # the survivor and its ties
                kept.append(remaining[k])
                k += 1
            while k < len(remaining) and times[k] <= current + debounce_ms:
                k += 1
        return kept
    i = 0
    while i < len(remaining):  # the runner deletes from the array it walks
        current = relative[remaining[i]]
        remaining = [j for j in remaining if not current < relative[j] <= current + debounce_ms]
        i += 1
    return remaining


@dataclass(frozen=True)
class DutyCycle:
    """The runner's duty-cycle figures from Processing-pin start/stop times (s)."""

    frames: int
    duty_cycle: float
    period_s: float
    processing_time_s: float
    throughput_inf_s: float
    period_variation: float  # (max − min) / mean of the periods

    @property
    def period_within_limit(self) -> bool:
        return self.period_variation <= PERIOD_VARIATION_LIMIT


def duty_cycle(start_s: Sequence[float], stop_s: Sequence[float]) -> DutyCycle:
    """`process_dutycycle`: both lists cut to the shorter; needs at least two frames."""
    n = min(len(start_s), len(stop_s))
    if n < 2:
        raise ScoringError(f"a duty cycle needs at least two processing intervals, got {n}")
    start = np.asarray(start_s[:n], dtype=np.float64)
    stop = np.asarray(stop_s[:n], dtype=np.float64)
    on = stop - start
    periods = np.diff(start)
    period = float(np.mean(periods))
    on_mean = float(np.mean(on))
    if period <= 0 or on_mean <= 0:
        raise ScoringError(f"processing intervals are not increasing (period {period} s, on-time {on_mean} s)")
    return DutyCycle(frames=n, duty_cycle=on_mean / period, period_s=period, processing_time_s=on_mean,
                     throughput_inf_s=1.0 / on_mean,
                     period_variation=float((np.max(periods) - np.min(periods)) / period))
