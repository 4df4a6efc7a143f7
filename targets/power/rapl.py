"""RAPL through Linux powercap sysfs: package energy counters around a window (host target).

Reads `<root>/intel-rapl:N/energy_uj` for every top-level package zone (AMD processors
expose the same interface), before and after the window; the counters wrap at
`max_energy_range_uj`. Where powercap is absent or unreadable (non-root since
CVE-2020-8694, VMs, containers) energy is reported as not measured, with that reason.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from tinybench.targets.power.contract import CounterCapture, MonitorInfo, MonitorUnavailable, PowerMonitor

DEFAULT_ROOT = "/sys/class/powercap"
ENV_ROOT = "TINYBENCH_POWERCAP_ROOT"  # tests point this at a generated sysfs tree
_PACKAGE_ZONE = re.compile(r"^intel-rapl:\d+$")


@dataclass(frozen=True)
class RaplOptions:
    root: str = ""  # default: $TINYBENCH_POWERCAP_ROOT or /sys/class/powercap


class Rapl(PowerMonitor):
    name = "rapl"
    Options = RaplOptions
    uses_timestamp_events = False

    def __init__(self, options: RaplOptions) -> None:
        super().__init__(options)
        self.root = Path(options.root or os.environ.get(ENV_ROOT) or DEFAULT_ROOT)
        self.zones: list[Path] = []
        self._start: list[int] = []
        self._t0 = 0.0

    def open(self) -> MonitorInfo:
        if not self.root.is_dir():
            raise MonitorUnavailable(f"no RAPL energy counters: {self.root} does not exist "
                                     "(no powercap driver on this machine, e.g. a VM or a non-Intel/AMD CPU)")
        self.zones = sorted(p for p in self.root.iterdir() if _PACKAGE_ZONE.match(p.name))
        if not self.zones:
            raise MonitorUnavailable(f"no RAPL package zone (intel-rapl:N) under {self.root}")
        self._read()  # permission problems surface now
        names = [self._text(z / "name") or z.name for z in self.zones]
        return MonitorInfo(instrument="RAPL (Linux powercap)", sample_rate_hz=None, supply_voltage_v=None,
                           details={"domains": names, "root": str(self.root)})

    def _text(self, path: Path) -> str:
        try:
            return path.read_text().strip()
        except OSError:
            return ""

    def _read(self) -> list[int]:
        values = []
        for zone in self.zones:
            path = zone / "energy_uj"
            try:
                values.append(int(path.read_text().strip()))
            except PermissionError as exc:
                raise MonitorUnavailable(f"RAPL counter {path} is not readable by this user "
                                         "(since Linux 5.10 only root may read it)") from exc
            except (OSError, ValueError) as exc:
                raise MonitorUnavailable(f"cannot read RAPL counter {path}: {exc}") from exc
        return values

    def _ranges(self) -> list[int]:
        ranges = []
        for zone in self.zones:
            text = self._text(zone / "max_energy_range_uj")
            ranges.append(int(text) if text.isdigit() else 2**32)
        return ranges

    def begin_window(self) -> None:
        self._start = self._read()
        self._t0 = time.monotonic()

    def end_window(self, expected_events: int = 2, timeout_s: float = 10.0, verify: bool = True) -> CounterCapture:
        end = self._read()
        elapsed = time.monotonic() - self._t0
        return CounterCapture(self._start, end, self._ranges(), [z.name for z in self.zones], elapsed)
