"""The Joulescope driver, tested at the `joulescope` package's API boundary.

There is no Joulescope attached here (and none can be), so these tests hand the driver
a stand-in for the `joulescope` module that implements the calls the driver makes
(`scan`, `open`, `parameter_set`, `start`, `stream_buffer.sample_id_range`,
`stream_buffer.samples_get`, `stop`, `close`) with generated raw samples. What they
check is the driver's own arithmetic and bookkeeping, not the instrument.
"""

import numpy as np
import pytest

from tinybench.energy_accounting import sample_window_energy
from tinybench.targets.power.contract import MonitorError
from tinybench.targets.power.joulescope_monitor import Joulescope, JoulescopeOptions, integrate


class StandInStreamBuffer:
    def __init__(self, current, voltage, gpi):
        self.current, self.voltage, self.gpi = current, voltage, gpi
        self.available = 0

    @property
    def sample_id_range(self):
        return 0, self.available

    def samples_get(self, start, stop, fields):
        values = {"current": self.current, "voltage": self.voltage, "current_lsb": self.gpi}
        return {"signals": {f: {"value": values[f][start:stop]} for f in fields}}


class StandInDevice:
    def __init__(self, buffer):
        self.stream_buffer = buffer
        self.parameters = {}
        self.calls = []

    def open(self):
        self.calls.append("open")

    def parameter_set(self, key, value):
        self.parameters[key] = value

    def start(self):
        self.calls.append("start")

    def stop(self):
        self.calls.append("stop")

    def close(self):
        self.calls.append("close")

    def __str__(self):
        return "JS220-000415"


class StandInModule:
    def __init__(self, devices):
        self.devices = devices

    def scan(self, config):
        assert config == "off"
        return self.devices


def test_integration_is_energy_per_millisecond_and_rising_edges():
    rate = 10_000  # raw samples per second → 10 per output sample
    current = np.full(100, 0.002)
    voltage = np.full(100, 3.0)
    gpi = np.zeros(100, dtype=np.int8)
    gpi[25:60] = 1
    samples, rising, last = integrate(current, voltage, gpi, rate)
    assert len(samples) == 10 and samples[0] == pytest.approx(0.006 * 1e-3)  # 6 mW × 1 ms
    assert rising == [25] and last == 0


def test_driver_streams_a_window_between_gpi_edges():
    rate = 10_000
    n = 3 * rate  # 3 s of raw data
    current = np.where(np.arange(n) < rate, 0.001, 0.010)  # 1 mA for 1 s, then 10 mA
    voltage = np.full(n, 1.8)
    gpi = np.zeros(n, dtype=np.int8)
    gpi[rate:rate + 50] = 1  # T0 at 1.0 s
    gpi[2 * rate:2 * rate + 50] = 1  # T1 at 2.0 s
    buffer = StandInStreamBuffer(current, voltage, gpi)
    device = StandInDevice(buffer)
    monitor = Joulescope(JoulescopeOptions(raw_rate_hz=rate), api=StandInModule([device]))
    info = monitor.open()
    assert device.parameters["current_lsb"] == "gpi0" and device.parameters["sampling_frequency"] == rate
    assert info.sample_rate_hz == 1000.0
    monitor.begin_window()  # the stream starts now
    buffer.available = n
    capture = monitor.end_window(expected_events=2, timeout_s=1)
    window = sample_window_energy(capture)
    assert [number for number, _ in capture.events] == [1, 2]
    assert window.duration_s == pytest.approx(1.0, abs=2e-3)
    assert window.energy_j == pytest.approx(1.8 * 0.010 * 1.0, rel=5e-3)
    monitor.close()
    assert device.calls[-2:] == ["stop", "close"]


def test_no_or_several_devices():
    with pytest.raises(MonitorError, match="found 0"):
        Joulescope(JoulescopeOptions(), api=StandInModule([])).open()


def test_missing_package_names_the_extra():
    import importlib.util

    if importlib.util.find_spec("joulescope") is not None:
        pytest.skip("the joulescope package is installed here")
    from tinybench.errors import MissingExtraError

    with pytest.raises(MissingExtraError, match=r"tinybench\[joulescope\]"):
        Joulescope(JoulescopeOptions()).open()
