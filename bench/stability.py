"""Run stability: how much the windows of one run agree, and what the host was doing meanwhile.

A performance run is judged on two things, and the result is *informational*: it never
changes MLPerf Tiny validity.

- **The windows.** Coefficient of variation (sample std ÷ mean) and spread
  ((max − min) ÷ median) of the window throughputs. A run is *unstable* when
  CV > 2 % or spread > 5 % (pyperf warns at a std of 10 % of the mean; a benchmark meant
  to catch 3 % regressions needs a tighter bound).
- **The host during the run** (read from /proc and /sys, see :mod:`tinybench.host_state`):
  CPU time other processes used (and which ones), load average, hypervisor steal,
  CPU frequency changes (sampled once a second), thermal throttling events, governor,
  turbo/boost and whether the process was pinned to CPUs. For a target timed by the host
  clock (host, tflm) a busy or changing host is named as the likely cause; a device timer
  or a simulator is not affected by it, so the host's state is recorded but not blamed.

Thresholds (fractions of one core unless said otherwise) are the constants below.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from tinybench import host_state
from tinybench.host_state import HostPaths

UNSTABLE_CV = 0.02  # window-throughput coefficient of variation
UNSTABLE_SPREAD = 0.05  # (max − min) ÷ median of window throughputs
BUSY_OTHERS = 0.25  # other processes together used at least this many cores
BUSY_PROCESS = 0.10  # a process is named when it used at least this share of one core
EXCESS_LOAD = 0.5  # load average beyond what this run itself explains
STEAL = 0.02  # hypervisor steal share of all CPU time
FREQUENCY_CHANGE = 0.05  # (max − min) ÷ max of the sampled CPU frequencies
MAX_LISTED_PROCESSES = 10
HOST_CLOCKS = ("host-wall-clock",)


def window_spread(throughputs: Sequence[float]) -> tuple[float | None, float | None]:
    """(CV, spread) of window throughputs; None where undefined (fewer than 2 windows)."""
    x = np.asarray(throughputs, dtype=np.float64)
    if x.size < 2 or not np.all(np.isfinite(x)) or np.mean(x) <= 0:
        return None, None
    return float(np.std(x, ddof=1) / np.mean(x)), float((x.max() - x.min()) / np.median(x))


@dataclass
class _Snapshot:
    when: float
    cpu: host_state.CpuTimes | None
    processes: dict[int, host_state.ProcessTime]
    load: host_state.LoadAverage | None
    throttle: int | None


@dataclass
class RunWatch:
    """Watches the host while a measurement runs: `with RunWatch() as watch: …; watch.facts()`.

    Two snapshots (start, end) of every process's CPU time and the machine's; a daemon
    thread samples CPU frequencies every `interval_s` (None: no sampling thread).
    """

    paths: HostPaths = field(default_factory=HostPaths)
    interval_s: float | None = 1.0
    pid: int = field(default_factory=os.getpid)
    _start: _Snapshot | None = None
    _end: _Snapshot | None = None
    _cpus: list[int] = field(default_factory=list)
    _freq_khz: list[int] = field(default_factory=list)
    _freq_instants: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _snapshot(self) -> _Snapshot:
        return _Snapshot(time.monotonic(), host_state.cpu_times(self.paths), host_state.processes(self.paths),
                         host_state.load_average(self.paths), host_state.throttle_events(self.paths, self._cpus))

    def _sample(self) -> None:
        readings = host_state.current_khz(self.paths, self._cpus).values()
        if readings:
            self._freq_khz.extend(readings)
            self._freq_instants += 1

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._sample()

    def __enter__(self) -> RunWatch:
        self._cpus = host_state.affinity() if self.paths.is_live else None
        self._cpus = self._cpus or host_state.online_cpus(self.paths)
        self._sample()
        self._start = self._snapshot()
        if self.interval_s:
            self._thread = threading.Thread(target=self._run, name="tinybench-stability", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._sample()
        self._end = self._snapshot()

    def facts(self) -> dict:
        """What the host did during the watch (see the `stability.host` block of result.json)."""
        start, end = self._start, self._end
        if start is None or end is None:
            raise RuntimeError("RunWatch.facts() before the watch ended")
        paths, tck = self.paths, host_state.clock_ticks_per_s()
        elapsed = max(end.when - start.when, 1e-9)
        online = host_state.online_cpus(paths)
        affinity = host_state.affinity() if paths.is_live else None
        ours = host_state.descendants(end.processes, self.pid)
        own_ticks = sum(_delta(start.processes, end.processes, pid) for pid in ours)
        busy = []
        for pid, record in end.processes.items():
            if pid in ours:
                continue
            cores = _delta(start.processes, end.processes, pid) / tck / elapsed
            if cores >= BUSY_PROCESS:
                busy.append({"pid": pid, "name": record.name, "cpu_cores": round(cores, 3)})
        busy.sort(key=lambda p: -p["cpu_cores"])
        others = steal = None
        if start.cpu is not None and end.cpu is not None and end.cpu.total > start.cpu.total:
            machine = end.cpu.busy - start.cpu.busy
            others = max(machine - own_ticks, 0) / tck / elapsed
            steal = (end.cpu.steal - start.cpu.steal) / (end.cpu.total - start.cpu.total)
        boost = host_state.boost(paths)
        frequencies = self._freq_khz
        return {
            "duration_s": round(elapsed, 3),
            "logical_cores": len(online),
            "affinity": affinity,
            "pinned": affinity is not None and set(affinity) != set(online),
            "isolated_cpus": host_state.isolated_cpus(paths),
            "governors": sorted(set(host_state.governors(paths, self._cpus).values()))[:16],
            "boost": None if boost is None else boost.enabled,
            "virtual_machine": host_state.virtual_machine(paths),
            "load_average_start": start.load.to_json() if start.load else None,
            "load_average_end": end.load.to_json() if end.load else None,
            "own_cpu_cores": round(own_ticks / tck / elapsed, 3),
            "others_cpu_cores": None if others is None else round(others, 3),
            "steal_fraction": None if steal is None else round(max(steal, 0.0), 4),
            "busy_processes": busy[:MAX_LISTED_PROCESSES],
            "frequency_mhz": {"min": min(frequencies) / 1e3, "max": max(frequencies) / 1e3,
                              "samples": self._freq_instants} if frequencies else None,
            "throttle_events": (max(end.throttle - start.throttle, 0)
                                if end.throttle is not None and start.throttle is not None else None),
        }


def _delta(start: dict, end: dict, pid: int) -> int:
    before = start.get(pid)
    after = end.get(pid)
    if after is None:
        return 0
    if before is None or before.name != after.name:  # started during the watch (or a reused pid)
        return after.ticks
    return max(after.ticks - before.ticks, 0)


def host_causes(host: dict) -> list[str]:
    """What in the host's state can disturb a host-clock measurement, in words, worst first."""
    causes = []
    cores = host.get("logical_cores") or 1
    others = host.get("others_cpu_cores")
    if others is not None and others >= BUSY_OTHERS:
        named = ", ".join(f"{p['name']} (pid {p['pid']}) {p['cpu_cores'] * 100:.0f}%"
                          for p in host.get("busy_processes", [])[:3])
        causes.append(f"other processes used {others:.2f} of {cores} cores during the run"
                      + (f": {named}" if named else ""))
    load = host.get("load_average_end")
    own = host.get("own_cpu_cores") or 0.0
    if load is not None and load[0] - own >= EXCESS_LOAD:
        causes.append(f"load average {load[0]:.1f} on {cores} cores during the run "
                      f"(this run accounts for about {own:.1f})")
    steal = host.get("steal_fraction")
    if steal is not None and steal >= STEAL:
        causes.append(f"the hypervisor took {steal * 100:.0f}% of the CPU time (steal)")
    freq = host.get("frequency_mhz")
    if freq and freq["max"] > 0 and (freq["max"] - freq["min"]) / freq["max"] >= FREQUENCY_CHANGE:
        governors = ", ".join(host.get("governors") or []) or "unknown"
        causes.append(f"CPU frequency changed during the run ({freq['min']:.0f}–{freq['max']:.0f} MHz; "
                      f"governor {governors})")
    if host.get("throttle_events"):
        causes.append(f"thermal throttling: {host['throttle_events']} events during the run")
    return causes


def assess(throughputs: Sequence[float], clock_source: str, host: dict | None) -> dict:
    """The `stability` block of a performance result: spread, verdict and warnings naming the likely cause."""
    cv, spread = window_spread(throughputs)
    unstable = (cv is not None and cv > UNSTABLE_CV) or (spread is not None and spread > UNSTABLE_SPREAD)
    host_clock = clock_source in HOST_CLOCKS
    causes = host_causes(host) if host and host_clock else []
    warnings = []
    if unstable:
        line = (f"window throughputs vary by {spread * 100:.1f}% (CV {cv * 100:.1f}%; "
                f"stable runs stay under {UNSTABLE_SPREAD * 100:.0f}% and {UNSTABLE_CV * 100:.0f}%)")
        if causes:
            line += f"; likely cause: {causes[0]}"
        elif host_clock:
            line += "; no cause found in the host's state: try `tinybench system tune` and --cpu N"
        warnings.append(line)
        warnings += [f"also: {c}" for c in causes[1:]]
    else:
        warnings += [f"busy host: {c}" for c in causes]
    return {
        "windows": len(throughputs),
        "throughput_cv": cv,
        "throughput_spread": spread,
        "stable": not unstable,
        "quiet_host": not causes,
        "clock_source": clock_source,
        "warnings": [w[:500] for w in warnings[:20]],
        "host": host,
    }


def console_lines(result: dict) -> list[str]:
    """The stability warnings of one result, for the terminal (empty when there are none)."""
    block = result.get("modes", {}).get("performance", {}).get("stability")
    if not block or not block.get("warnings"):
        return []
    title = "unstable measurement" if not block["stable"] else "measured on a busy host"
    lines = [f"⚠ {result['workload']['id']}: {title} (informational; validity unchanged)"]
    return lines + [f"    • {w}" for w in block["warnings"]]


def attach(outcome, watch: RunWatch):  # noqa: ANN001, ANN201 - a ModeOutcome of performance mode
    """Add the `stability` block to a performance outcome (measured or failed with windows kept)."""
    windows = outcome.details.get("windows") or []
    if windows:
        outcome.details["stability"] = assess([w["throughput_inf_s"] for w in windows],
                                              outcome.details.get("clock_source", ""), watch.facts())
    return outcome
