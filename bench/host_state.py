"""The host's state as Linux exposes it in /proc and /sys, read from a configurable root.

Every reader takes a :class:`HostPaths`, so tests point it at a generated tree and a
container can point it elsewhere. A fact that cannot be read is `None` (or empty), never
a guess. Files are read with a size limit: they are small kernel files, and a generated
or hostile tree must not make a reader allocate without bound.

Units: frequencies in kHz as the kernel gives them (``scaling_cur_freq``), CPU times in
clock ticks (``SC_CLK_TCK`` per second), temperatures in m°C.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

MAX_SMALL_FILE = 64 * 1024  # a sysfs attribute or /proc/<pid>/stat
MAX_PROC_STAT = 4 * 1024 * 1024  # /proc/stat grows with the CPU count
MAX_CPUS = 4096
MAX_PROCESSES = 100_000


@dataclass(frozen=True)
class HostPaths:
    """Where /proc and /sys are (the real ones by default)."""

    proc: Path = Path("/proc")
    sys: Path = Path("/sys")

    @classmethod
    def under(cls, root: Path) -> HostPaths:
        """`root/proc` and `root/sys` (a generated tree, or a host's root mounted elsewhere)."""
        return cls(Path(root) / "proc", Path(root) / "sys")

    @property
    def is_live(self) -> bool:
        """True for this machine's own /proc and /sys."""
        return self.proc == Path("/proc") and self.sys == Path("/sys")

    @property
    def cpu_dir(self) -> Path:
        return self.sys / "devices" / "system" / "cpu"


def read_text(path: Path, limit: int = MAX_SMALL_FILE) -> str | None:
    """A kernel file's text (stripped), or None if it cannot be read or exceeds `limit` bytes."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError:
        return None
    if len(data) > limit:
        return None
    return data.decode("utf-8", errors="replace").strip()


def read_int(path: Path) -> int | None:
    text = read_text(path)
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def parse_cpu_list(text: str | None) -> list[int]:
    """'0-3,6' → [0, 1, 2, 3, 6]; malformed or absurd lists give []."""
    if not text:
        return []
    cpus: set[int] = set()
    for part in text.replace("\n", ",").split(","):
        part = part.strip()
        if not part:
            continue
        low, sep, high = part.partition("-")
        try:
            first, last = int(low), int(high) if sep else int(low)
        except ValueError:
            return []
        if first < 0 or last < first or last >= MAX_CPUS:
            return []
        cpus.update(range(first, last + 1))
    return sorted(cpus)


def online_cpus(paths: HostPaths) -> list[int]:
    cpus = parse_cpu_list(read_text(paths.cpu_dir / "online"))
    return cpus or list(range(os.cpu_count() or 1))


def isolated_cpus(paths: HostPaths) -> list[int]:
    return parse_cpu_list(read_text(paths.cpu_dir / "isolated"))


def nohz_full_cpus(paths: HostPaths) -> list[int]:
    return parse_cpu_list(read_text(paths.cpu_dir / "nohz_full"))


def cpufreq_dir(paths: HostPaths, cpu: int) -> Path:
    return paths.cpu_dir / f"cpu{cpu}" / "cpufreq"


def cpufreq_value(paths: HostPaths, cpu: int, name: str) -> str | None:
    """One cpufreq attribute of `cpu` (scaling_governor, scaling_driver, scaling_cur_freq, …)."""
    return read_text(cpufreq_dir(paths, cpu) / name)


def governors(paths: HostPaths, cpus: list[int]) -> dict[int, str]:
    found = {cpu: cpufreq_value(paths, cpu, "scaling_governor") for cpu in cpus}
    return {cpu: g for cpu, g in found.items() if g}


def current_khz(paths: HostPaths, cpus: list[int]) -> dict[int, int]:
    """Each CPU's current frequency (kHz) where cpufreq exposes it."""
    found = {cpu: read_int(cpufreq_dir(paths, cpu) / "scaling_cur_freq") for cpu in cpus}
    return {cpu: f for cpu, f in found.items() if f is not None and f > 0}


@dataclass(frozen=True)
class Boost:
    """Turbo/boost state and the file that controls it."""

    enabled: bool
    path: Path
    inverted: bool  # intel_pstate/no_turbo: 1 means boost OFF

    def value_for(self, enabled: bool) -> str:
        return "0" if enabled == self.inverted else "1"


def boost(paths: HostPaths) -> Boost | None:
    """Turbo Boost / Precision Boost state: intel_pstate's no_turbo, else cpufreq's global boost."""
    for path, inverted in ((paths.cpu_dir / "intel_pstate" / "no_turbo", True),
                           (paths.cpu_dir / "cpufreq" / "boost", False)):
        value = read_int(path)
        if value in (0, 1):
            return Boost(enabled=bool(value) != inverted, path=path, inverted=inverted)
    return None


@dataclass(frozen=True)
class LoadAverage:
    one: float
    five: float
    fifteen: float
    runnable: int | None  # scheduling entities runnable now (the 4th field's numerator)

    def to_json(self) -> list[float]:
        return [self.one, self.five, self.fifteen]


def load_average(paths: HostPaths) -> LoadAverage | None:
    fields = (read_text(paths.proc / "loadavg") or "").split()
    try:
        one, five, fifteen = (float(v) for v in fields[:3])
    except ValueError:
        return None
    runnable = None
    if len(fields) > 3 and "/" in fields[3]:
        try:
            runnable = int(fields[3].split("/", 1)[0])
        except ValueError:
            runnable = None
    if min(one, five, fifteen) < 0:
        return None
    return LoadAverage(one, five, fifteen, runnable)


@dataclass(frozen=True)
class CpuTimes:
    """The machine's aggregate CPU time (the `cpu` line of /proc/stat), in clock ticks."""

    busy: int  # user + nice + system + irq + softirq + steal (guest time is inside user)
    total: int  # busy + idle + iowait
    steal: int


def cpu_times(paths: HostPaths) -> CpuTimes | None:
    text = read_text(paths.proc / "stat", MAX_PROC_STAT) or ""
    for line in text.splitlines():
        if line.startswith("cpu "):
            try:
                values = [int(v) for v in line.split()[1:]]
            except ValueError:
                return None
            values += [0] * (8 - len(values))
            user, nice, system, idle, iowait, irq, softirq, steal = values[:8]
            busy = user + nice + system + irq + softirq + steal
            return CpuTimes(busy=busy, total=busy + idle + iowait, steal=steal)
    return None


@dataclass(frozen=True)
class ProcessTime:
    pid: int
    ppid: int
    name: str  # the kernel's `comm` (at most 15 characters + what a generated tree puts there)
    ticks: int  # utime + stime of all its threads


def parse_process_stat(text: str) -> ProcessTime | None:
    """/proc/<pid>/stat: `pid (comm) state ppid … utime stime …` (comm may hold spaces and parentheses)."""
    open_, close = text.find("("), text.rfind(")")
    if open_ < 0 or close < open_:
        return None
    try:
        pid = int(text[:open_])
        rest = text[close + 1:].split()
        ppid, utime, stime = int(rest[1]), int(rest[11]), int(rest[12])
    except (ValueError, IndexError):
        return None
    name = text[open_ + 1:close][:64]
    return ProcessTime(pid=pid, ppid=ppid, name=name, ticks=utime + stime)


def processes(paths: HostPaths) -> dict[int, ProcessTime]:
    """Every process's CPU time so far (processes that vanish while being read are skipped)."""
    found: dict[int, ProcessTime] = {}
    try:
        entries = os.scandir(paths.proc)
    except OSError:
        return found
    with entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            if len(found) >= MAX_PROCESSES:
                break
            text = read_text(Path(entry.path) / "stat")
            record = parse_process_stat(text) if text else None
            if record is not None:
                found[record.pid] = record
    return found


def descendants(table: dict[int, ProcessTime], root: int) -> set[int]:
    """`root` and every process below it in the parent tree."""
    children: dict[int, list[int]] = {}
    for record in table.values():
        children.setdefault(record.ppid, []).append(record.pid)
    seen, stack = {root}, [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def throttle_events(paths: HostPaths, cpus: list[int]) -> int | None:
    """Thermal throttling events so far (core + package counters), where the kernel counts them."""
    total, readable = 0, False
    for cpu in cpus:
        folder = paths.cpu_dir / f"cpu{cpu}" / "thermal_throttle"
        for name in ("core_throttle_count", "package_throttle_count"):
            value = read_int(folder / name)
            if value is not None and value >= 0:
                total += value
                readable = True
    return total if readable else None


def thermal_zones(paths: HostPaths, limit: int = 32) -> dict[str, float]:
    """Temperature (°C) of each thermal zone, by type (e.g. x86_pkg_temp)."""
    zones: dict[str, float] = {}
    folder = paths.sys / "class" / "thermal"
    try:
        names = sorted(p.name for p in folder.iterdir() if p.name.startswith("thermal_zone"))[:limit]
    except OSError:
        return zones
    for name in names:
        kind = read_text(folder / name / "type") or name
        millideg = read_int(folder / name / "temp")
        if millideg is not None:
            zones[kind[:64]] = millideg / 1000.0
    return zones


def on_battery(paths: HostPaths) -> bool | None:
    """True if a mains adapter exists and is offline; None where there is no power-supply class."""
    folder = paths.sys / "class" / "power_supply"
    try:
        supplies = sorted(folder.iterdir())[:32]
    except OSError:
        return None
    mains = [read_int(s / "online") for s in supplies if read_text(s / "type") == "Mains"]
    mains = [m for m in mains if m is not None]
    return (not any(mains)) if mains else None


def virtual_machine(paths: HostPaths) -> bool:
    """The CPU flags say a hypervisor runs this machine (frequency is then the host's business)."""
    text = read_text(paths.proc / "cpuinfo", MAX_PROC_STAT) or ""
    for line in text.splitlines():
        if line.startswith("flags"):
            return "hypervisor" in line.split()
    return False


def clock_ticks_per_s() -> int:
    try:
        return int(os.sysconf("SC_CLK_TCK"))
    except (ValueError, OSError, AttributeError):
        return 100


def affinity() -> list[int] | None:
    """The CPUs this process may run on (None where the OS does not say)."""
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None
