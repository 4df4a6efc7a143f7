"""Energy a target computes itself (a simulator's model), presented as a power monitor.

The numbers are modelled, not measured: the energy mode marks them as such.
"""

from __future__ import annotations

from tinybench.targets.power.contract import CounterCapture, MonitorInfo, PowerMonitor


class TargetModelEnergy(PowerMonitor):
    name = "target-model"
    Options = dict
    uses_timestamp_events = False

    def __init__(self, target) -> None:  # noqa: ANN001 - a Target with last_energy_j
        super().__init__({})
        self.target = target

    def options_json(self) -> dict:
        return {}

    def open(self) -> MonitorInfo:
        return MonitorInfo(instrument=f"{self.target.name} energy model", sample_rate_hz=None, supply_voltage_v=None,
                           details={"kind": "model"})

    def begin_window(self) -> None:
        self.target.last_energy_j = 0.0

    def end_window(self, expected_events: int = 2, timeout_s: float = 10.0, verify: bool = True) -> CounterCapture:
        energy_uj = self.target.last_energy_j * 1e6
        return CounterCapture([0], [energy_uj], [float("inf")], ["model"])
