"""Facts about the host machine: CPU model, clock, cores, OS."""

from __future__ import annotations

import os
import platform
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def cpu_model() -> str:
    """The CPU's marketing name from /proc/cpuinfo, else what `platform` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Hardware", "cpu model") and value.strip():
                return " ".join(value.split())
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


@lru_cache(maxsize=1)
def cpu_max_hz() -> float | None:
    """Maximum CPU clock in Hz from cpufreq, else the current MHz in /proc/cpuinfo, else None."""
    try:
        return float(Path("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq").read_text()) * 1e3
    except (OSError, ValueError):
        pass
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "cpu MHz":
                return float(value) * 1e6
    except (OSError, ValueError):
        pass
    return None


def logical_cores() -> int:
    return os.cpu_count() or 1


def os_description() -> str:
    return f"{platform.system()} {platform.release()} ({platform.machine()})"
