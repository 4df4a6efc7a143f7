"""The environment a run happened in, recorded in every bundle."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata

from tinybench import __version__
from tinybench.targets.host_system import cpu_max_hz, cpu_model, logical_cores, os_description

PACKAGES = ("numpy", "pandas", "ai-edge-litert", "tflite-runtime", "tensorflow", "tensorflow-cpu",
            "tflite-micro", "pyserial")


def capture() -> dict:
    """Python, OS, CPU, load and package versions (only those installed)."""
    versions = {}
    for dist in PACKAGES:
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    try:
        load = list(os.getloadavg())
    except (OSError, AttributeError):
        load = None
    return {
        "tinybench": __version__,
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "executable": sys.executable,
        "os": os_description(),
        "cpu": cpu_model(),
        "cpu_max_hz": cpu_max_hz(),
        "logical_cores": logical_cores(),
        "load_average_1_5_15": load,
        "cpu_governor": _governor(),
        "packages": versions,
    }


def _governor() -> str | None:
    try:
        with open("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", encoding="ascii") as fh:
            return fh.read().strip()
    except OSError:
        return None
