"""`tinybench system show | tune | reset`, in the spirit of `pyperf system`.

- **show** lists what hurts stable timing on this host: CPU governor and frequency range, turbo/boost,
  isolated and nohz_full CPUs, a hypervisor, running on battery, temperatures, the load average and
  the processes busy right now, perf sampling rate — each with advice.
- **tune** writes what can be tuned here: governor → `performance`, minimum frequency → the maximum,
  turbo/boost off, `perf_event_max_sample_rate` → 1 (as pyperf). Before writing anything it saves each
  setting's current value in a state file, so **reset** restores exactly what was there (pyperf's reset
  writes fixed defaults instead). Writing /sys and /proc/sys needs root: the commands say so.

Kernel files are found under a configurable root (:class:`tinybench.host_state.HostPaths`), which is
how the tests run every command on generated trees.
"""

from __future__ import annotations

import errno
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from tinybench import host_state
from tinybench.bundle import atomic_write_bytes
from tinybench.errors import TinybenchError
from tinybench.host_state import HostPaths

STATE_VERSION = 1
MAX_STATE_BYTES = 1024 * 1024
ROOT_ERRNOS = (errno.EACCES, errno.EPERM, errno.EROFS)


def default_state_file() -> Path:
    base = os.environ.get("TINYBENCH_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "tinybench")
    return Path(base) / "system-tune-state.json"


@dataclass(frozen=True)
class Setting:
    """One kernel file that `tune` changes: its current value and the value for benchmarking."""

    name: str
    path: Path
    current: str
    tuned: str
    why: str


@dataclass
class Fact:
    """A line of `system show`: a fact and, when it hurts stability, what to do."""

    name: str
    state: str
    ok: bool | None  # None: informational
    advice: str = ""

    def line(self) -> str:
        mark = {True: "ok  ", False: "WARN", None: "    "}[self.ok]
        return f"{mark} {self.name}: {self.state}" + (f" — {self.advice}" if self.advice else "")


@dataclass
class TuneReport:
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    needs_root: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    state_file: Path | None = None


def tunables(paths: HostPaths) -> list[Setting]:
    """Every setting `tune` would write on this host (settings already tuned included)."""
    settings: list[Setting] = []
    cpus = host_state.online_cpus(paths)
    for cpu in cpus:
        governor = host_state.cpufreq_value(paths, cpu, "scaling_governor")
        available = (host_state.cpufreq_value(paths, cpu, "scaling_available_governors") or "").split()
        if governor and "performance" in available:
            settings.append(Setting(f"CPU {cpu} governor", host_state.cpufreq_dir(paths, cpu) / "scaling_governor",
                                    governor, "performance", "a fixed, high frequency instead of load-driven scaling"))
        low = host_state.cpufreq_value(paths, cpu, "scaling_min_freq")
        high = host_state.cpufreq_value(paths, cpu, "cpuinfo_max_freq")
        if low and high and low.isdigit() and high.isdigit():
            settings.append(Setting(f"CPU {cpu} minimum frequency (kHz)",
                                    host_state.cpufreq_dir(paths, cpu) / "scaling_min_freq", low, high,
                                    "the frequency cannot drop between inferences"))
    boost = host_state.boost(paths)
    if boost is not None:
        settings.append(Setting("turbo/boost", boost.path, boost.value_for(boost.enabled), boost.value_for(False),
                                "turbo frequencies depend on temperature and on the other cores' load"))
    rate = host_state.read_text(paths.proc / "sys" / "kernel" / "perf_event_max_sample_rate")
    if rate and rate.isdigit():
        settings.append(Setting("perf_event_max_sample_rate", paths.proc / "sys" / "kernel" /
                                "perf_event_max_sample_rate", rate, "1", "fewer perf sampling interrupts"))
    return settings


def show(paths: HostPaths, sample_s: float = 0.5) -> list[Fact]:
    """What `tinybench system show` prints (samples the processes for `sample_s` seconds)."""
    facts: list[Fact] = []
    cpus = host_state.online_cpus(paths)
    isolated, nohz = host_state.isolated_cpus(paths), host_state.nohz_full_cpus(paths)
    facts.append(Fact("CPUs", f"{len(cpus)} online ({_cpus(cpus)}); isolated: {_cpus(isolated) or 'none'}; "
                      f"nohz_full: {_cpus(nohz) or 'none'}", None,
                      f"pin runs with --cpu {isolated[0]}" if isolated else
                      "pin runs with --cpu N; isolcpus=N on the kernel command line keeps other tasks off it"))
    if host_state.virtual_machine(paths):
        facts.append(Fact("hypervisor", "this is a virtual machine", False,
                          "frequency, turbo and other guests are the host's business: steal time and noisy "
                          "neighbours show up as spread; benchmark on bare metal for the tightest figures"))
    governors = host_state.governors(paths, cpus)
    if governors:
        names = sorted(set(governors.values()))
        driver = host_state.cpufreq_value(paths, cpus[0], "scaling_driver") or "unknown driver"
        facts.append(Fact("CPU governor", f"{', '.join(names)} ({driver})", names == ["performance"],
                          "" if names == ["performance"] else "tinybench system tune sets 'performance'"))
        khz = host_state.current_khz(paths, cpus)
        low = host_state.cpufreq_value(paths, cpus[0], "scaling_min_freq")
        high = host_state.cpufreq_value(paths, cpus[0], "cpuinfo_max_freq")
        if khz:
            facts.append(Fact("CPU frequency", f"{min(khz.values()) / 1e3:.0f}–{max(khz.values()) / 1e3:.0f} MHz now; "
                              f"allowed {_mhz(low)}–{_mhz(high)} MHz", low == high if low and high else None,
                              "" if low == high else "tune raises the minimum to the maximum"))
    else:
        facts.append(Fact("CPU governor", "no cpufreq interface (fixed frequency, or set by a hypervisor)", None))
    boost = host_state.boost(paths)
    if boost is not None:
        facts.append(Fact("turbo/boost", "enabled" if boost.enabled else "disabled", not boost.enabled,
                          "tinybench system tune disables it" if boost.enabled else ""))
    battery = host_state.on_battery(paths)
    if battery:
        facts.append(Fact("power", "running on battery", False, "plug in: the CPU may slow down on battery"))
    zones = host_state.thermal_zones(paths)
    if zones:
        hottest = max(zones.items(), key=lambda kv: kv[1])
        facts.append(Fact("temperature", f"{hottest[1]:.0f} °C ({hottest[0]})", hottest[1] < 85,
                          "" if hottest[1] < 85 else "hot: throttling is likely"))
    facts += _activity(paths, len(cpus), sample_s)
    rate = host_state.read_text(paths.proc / "sys" / "kernel" / "perf_event_max_sample_rate")
    if rate and rate.isdigit():
        facts.append(Fact("perf_event_max_sample_rate", rate, int(rate) <= 1,
                          "" if int(rate) <= 1 else "tune sets 1 (fewer sampling interrupts)"))
    return facts


def _activity(paths: HostPaths, cores: int, sample_s: float) -> list[Fact]:
    load = host_state.load_average(paths)
    facts = []
    if load is not None:
        facts.append(Fact("load average", f"{load.one:.2f} {load.five:.2f} {load.fifteen:.2f} on {cores} cores",
                          load.one < 0.5 * cores, "" if load.one < 0.5 * cores else
                          "other work is running: expect spread in host timings"))
    before = host_state.processes(paths)
    time.sleep(sample_s)
    after = host_state.processes(paths)
    tck = host_state.clock_ticks_per_s()
    busy = []
    for pid, record in after.items():
        if pid == os.getpid() or pid not in before or before[pid].name != record.name:
            continue
        share = (record.ticks - before[pid].ticks) / tck / max(sample_s, 1e-3)
        if share >= 0.10:
            busy.append((share, f"{record.name} (pid {pid}) {share * 100:.0f}%"))
    if sample_s > 0:
        busy.sort(reverse=True)
        facts.append(Fact("busy processes", ", ".join(b[1] for b in busy[:5]) or "none", not busy,
                          "stop them, or pin runs to another CPU with --cpu N" if busy else ""))
    return facts


def _cpus(cpus: list[int]) -> str:
    return ",".join(map(str, cpus))


def _mhz(khz: str | None) -> str:
    return f"{int(khz) / 1e3:.0f}" if khz and khz.isdigit() else "?"


def tune(paths: HostPaths, state_file: Path, euid: int | None = None) -> TuneReport:
    """Save the current values, then write the tuned ones; what needs root is listed, not raised."""
    euid = os.geteuid() if euid is None else euid
    settings = tunables(paths)
    report = TuneReport(state_file=state_file)
    if paths.is_live and euid != 0 and any(s.current != s.tuned for s in settings):
        report.needs_root = [s.name for s in settings if s.current != s.tuned]
        return report
    pending = [s for s in settings if s.current != s.tuned]
    report.unchanged = [f"{s.name}: {s.current}" for s in settings if s.current == s.tuned]
    if not pending:
        return report
    saved = read_state(state_file, paths) if state_file.exists() else {}
    for setting in pending:
        saved.setdefault(str(setting.path), setting.current)  # a second tune keeps the first original
    _save_state(state_file, paths, saved)
    for setting in pending:
        try:
            _write(setting.path, setting.tuned)
        except PermissionError:
            report.needs_root.append(setting.name)
        except OSError as exc:
            (report.needs_root if exc.errno in ROOT_ERRNOS else report.failed).append(
                setting.name if exc.errno in ROOT_ERRNOS else f"{setting.name}: {exc.strerror or exc}")
        else:
            report.changed.append(f"{setting.name}: {setting.current} → {setting.tuned} ({setting.why})")
    return report


def reset(paths: HostPaths, state_file: Path) -> TuneReport:
    """Write back every value `tune` saved; the state file is removed once all are restored."""
    report = TuneReport(state_file=state_file)
    if not state_file.exists():
        return report
    saved = read_state(state_file, paths)
    left = {}
    for path, original in saved.items():
        current = host_state.read_text(Path(path))
        if current == original:
            report.unchanged.append(f"{path}: {original}")
            continue
        try:
            _write(Path(path), original)
        except OSError as exc:
            left[path] = original
            if exc.errno in ROOT_ERRNOS:
                report.needs_root.append(path)
            else:
                report.failed.append(f"{path}: {exc.strerror or exc}")
        else:
            report.changed.append(f"{path}: {current} → {original}")
    if left:
        _save_state(state_file, paths, left)
    else:
        state_file.unlink()
    return report


def _write(path: Path, value: str) -> None:
    with open(path, "w", encoding="ascii") as fh:  # kernel attributes take one write, no temp file
        fh.write(value)


def _save_state(state_file: Path, paths: HostPaths, saved: dict[str, str]) -> None:
    document = {"version": STATE_VERSION, "proc": str(paths.proc), "sys": str(paths.sys), "original": saved}
    try:
        state_file.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(state_file, json.dumps(document, indent=1).encode("utf-8"))
    except OSError as exc:
        raise TinybenchError(f"cannot save the tuning state to {state_file}: {exc.strerror or exc}",
                             hint="nothing was changed; choose --state-file elsewhere") from exc


def read_state(state_file: Path, paths: HostPaths) -> dict[str, str]:
    """The saved originals; refuses a state file for other roots or naming files outside /proc and /sys."""
    from tinybench.reports.safe_json import Refusal, load_untrusted

    try:
        document = load_untrusted(state_file, max_bytes=MAX_STATE_BYTES)
    except (Refusal, OSError) as exc:
        raise TinybenchError(f"unreadable tuning state: {exc}", hint=f"delete {state_file} if it is stale") from exc
    original = document.get("original") if isinstance(document, dict) else None
    if (not isinstance(original, dict) or document.get("proc") != str(paths.proc)
            or document.get("sys") != str(paths.sys)):
        raise TinybenchError(f"{state_file} is not a tuning state for {paths.proc} and {paths.sys}",
                             hint="pass the same --root as for tune, or delete the file")
    roots = (paths.proc.resolve(), paths.sys.resolve())
    for path, value in original.items():
        resolved = Path(path).resolve()
        if not isinstance(value, str) or len(value) > 256 or not any(resolved.is_relative_to(r) for r in roots):
            raise TinybenchError(f"{state_file} names {path!r}, which tune never writes", hint="delete the file")
    return original
