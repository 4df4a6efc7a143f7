"""Energy of one window from a power monitor's raw capture (MLPerf Tiny's rules).

Sample streams (`main.py:print_energy_results`): the events must be consecutive
integers; the **last two** events delimit the timed region; E = Σ samples[i0:i1],
t = (i1 − i0) / rate, E/inference = E / N, P = E / t; no idle subtraction. Energy
counters (RAPL): E = end − start per counter (adding the counter's range once when it
wrapped), over the time between the two reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tinybench.targets.power.contract import CounterCapture, SampleCapture


@dataclass
class WindowEnergy:
    energy_j: float | None  # None when the capture cannot give a trustworthy number
    duration_s: float | None
    problems: list[str] = field(default_factory=list)
    first_sample: int | None = None  # i0, i1 in the capture (sample streams)
    last_sample: int | None = None

    @property
    def valid(self) -> bool:
        return self.energy_j is not None and not self.problems


def sample_window_energy(capture: SampleCapture) -> WindowEnergy:
    problems = list(capture.problems)
    events = capture.events
    if len(events) < 2:
        problems.append(f"{len(events)} timestamp event(s) in the window; two are needed")
        return WindowEnergy(None, None, problems)
    numbers = [n for n, _ in events]
    gaps = [(a, b) for a, b in zip(numbers, numbers[1:]) if b != a + 1]
    if gaps:
        problems.append(f"timestamp events are not consecutive: {gaps[0][0]} then {gaps[0][1]}")
        return WindowEnergy(None, None, problems)
    (_, i0), (_, i1) = events[-2], events[-1]
    if not 0 <= i0 <= i1 <= len(capture.samples_j):
        problems.append(f"event sample indices {i0}..{i1} fall outside the {len(capture.samples_j)} samples received")
        return WindowEnergy(None, None, problems)
    window = capture.samples_j[i0:i1]
    if not np.all(np.isfinite(window)):
        problems.append("the window contains unreadable samples")
        return WindowEnergy(None, None, problems)
    return WindowEnergy(float(window.sum()), (i1 - i0) / capture.sample_rate_hz, problems, i0, i1)


def counter_window_energy(capture: CounterCapture, duration_s: float) -> WindowEnergy:
    total_uj = 0
    problems: list[str] = []
    for start, end, top, name in zip(capture.start_uj, capture.end_uj, capture.max_range_uj, capture.domains):
        delta = end - start
        if delta < 0:
            delta += top + 1  # the counter wrapped once (a window is far shorter than a full range)
        if delta < 0:
            problems.append(f"{name}: counter went from {start} to {end}, beyond one wrap of {top}")
        total_uj += delta
    # The counter covers the time between its two reads: power is averaged over that, not over the
    # target's shorter timed region.
    return WindowEnergy(total_uj / 1e6 if not problems else None, capture.elapsed_s or duration_s, problems)
