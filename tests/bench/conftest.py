"""A generated /proc and /sys tree for the host-state readers, stability watch and `system` commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from tinybench.host_state import HostPaths


class FakeHost:
    """Writes the kernel files tinybench reads; every setter can be called again to change state."""

    def __init__(self, root: Path, cpus: int = 2) -> None:
        self.root = root
        self.paths = HostPaths.under(root)
        self.cpus = cpus
        cpu_dir = self.paths.cpu_dir
        cpu_dir.mkdir(parents=True)
        self.paths.proc.mkdir(parents=True)
        self.write(cpu_dir / "online", f"0-{cpus - 1}")
        self.write(cpu_dir / "isolated", "")
        self.write(self.paths.proc / "cpuinfo", "processor\t: 0\nflags\t\t: fpu sse2 avx2\n")
        self.set_loadavg(0.1, 0.2, 0.3, runnable=1)
        self.set_cpu_times(busy=1000, idle=100000)
        self.ticks: dict[int, tuple[str, int, int]] = {}

    @staticmethod
    def write(path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")

    def cpufreq(self, governor: str = "powersave", khz: int = 2_000_000, min_khz: int = 800_000,
                max_khz: int = 3_500_000, driver: str = "intel_pstate") -> None:
        for cpu in range(self.cpus):
            folder = self.paths.cpu_dir / f"cpu{cpu}" / "cpufreq"
            for name, value in (("scaling_governor", governor), ("scaling_cur_freq", khz),
                                ("scaling_min_freq", min_khz), ("scaling_max_freq", max_khz),
                                ("cpuinfo_min_freq", min_khz), ("cpuinfo_max_freq", max_khz),
                                ("scaling_driver", driver),
                                ("scaling_available_governors", "performance powersave")):
                self.write(folder / name, str(value))

    def set_freq(self, khz: int) -> None:
        for cpu in range(self.cpus):
            self.write(self.paths.cpu_dir / f"cpu{cpu}" / "cpufreq" / "scaling_cur_freq", str(khz))

    def set_no_turbo(self, value: int) -> None:
        self.write(self.paths.cpu_dir / "intel_pstate" / "no_turbo", str(value))

    def set_throttle(self, count: int) -> None:
        for cpu in range(self.cpus):
            self.write(self.paths.cpu_dir / f"cpu{cpu}" / "thermal_throttle" / "core_throttle_count", str(count))

    def set_loadavg(self, one: float, five: float, fifteen: float, runnable: int = 1) -> None:
        self.write(self.paths.proc / "loadavg", f"{one:.2f} {five:.2f} {fifteen:.2f} {runnable}/300 4242")

    def set_cpu_times(self, busy: int, idle: int, steal: int = 0) -> None:
        user = busy - steal
        lines = [f"cpu  {user} 0 0 {idle} 0 0 0 {steal} 0 0"]
        lines += [f"cpu{i} {user // self.cpus} 0 0 {idle // self.cpus} 0 0 0 0 0 0" for i in range(self.cpus)]
        self.write(self.paths.proc / "stat", "\n".join(lines + ["procs_running 2"]))

    def set_process(self, pid: int, name: str, ticks: int, ppid: int = 1) -> None:
        """A process whose utime + stime is `ticks` (split 3:1)."""
        utime, stime = ticks * 3 // 4, ticks - ticks * 3 // 4
        fields = ["S", str(ppid)] + ["0"] * 9 + [str(utime), str(stime)] + ["0"] * 39
        self.write(self.paths.proc / str(pid) / "stat", f"{pid} ({name}) {' '.join(fields)}")


@pytest.fixture
def fake_host(tmp_path) -> FakeHost:
    return FakeHost(tmp_path / "host")


@pytest.fixture
def fake_host_at():
    """FakeHost(root, cpus=2) for a tree somewhere else than tmp_path."""
    return FakeHost
