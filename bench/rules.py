"""Rules profiles: how many windows, how long, how many repetitions — and the checks.

`mlperf-tiny` is the MLPerf Tiny single-stream rule (5 windows, one input each, every
window ≥ 10 s). `quick` shortens everything for smoke runs and is never valid for
submission. A custom profile (explicit windows / minimum window time) is valid only
if it is at least as strict as `mlperf-tiny`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from tinybench.errors import TinybenchError


@dataclass(frozen=True)
class RulesProfile:
    name: str
    windows: int  # performance windows, one input each
    min_window_s: float  # every window must last at least this long (s)
    warmup_per_window: int  # untimed inferences before each window's timer starts
    probe_s: float  # length of the calibration probe (s)
    margin: float  # the calibrated window aims at min_window_s × margin
    spinup_repetitions: int  # repetitions of each spin-up kind (cold, warm)
    submission: bool  # results under this profile may be submitted

    def to_json(self) -> dict:
        return asdict(self)


MLPERF_TINY = RulesProfile(
    name="mlperf-tiny", windows=5, min_window_s=10.0, warmup_per_window=10, probe_s=1.0, margin=1.1,
    spinup_repetitions=5, submission=True,
)
QUICK = RulesProfile(
    name="quick", windows=5, min_window_s=0.2, warmup_per_window=2, probe_s=0.05, margin=1.2,
    spinup_repetitions=3, submission=False,
)
PROFILES = {p.name: p for p in (MLPERF_TINY, QUICK)}


def resolve_profile(quick: bool, windows: int | None = None, min_window_s: float | None = None) -> RulesProfile:
    """The profile for CLI flags: `quick` or `mlperf-tiny`, optionally customised."""
    base = QUICK if quick else MLPERF_TINY
    if windows is None and min_window_s is None:
        return base
    windows = base.windows if windows is None else windows
    min_window_s = base.min_window_s if min_window_s is None else min_window_s
    if windows < 1:
        raise TinybenchError(f"--windows must be at least 1, got {windows}")
    if min_window_s <= 0:
        raise TinybenchError(f"--min-window-s must be positive, got {min_window_s}")
    strict = (not quick) and windows >= MLPERF_TINY.windows and min_window_s >= MLPERF_TINY.min_window_s
    return replace(base, name="custom", windows=windows, min_window_s=min_window_s, submission=strict)


@dataclass(frozen=True)
class RuleCheck:
    """One rule and whether the run met it, with the reason in words."""

    rule: str
    passed: bool
    detail: str

    def to_json(self) -> dict:
        return asdict(self)


def all_passed(checks: list[RuleCheck]) -> bool:
    return bool(checks) and all(c.passed for c in checks)
