"""Joulescope JS110/JS220 through the `joulescope` package (the `joulescope` extra).

As MLCommons' `power_manager_js220.py`: raw current and voltage at the full rate,
integrated to 1 kHz energy samples; the DUT's timestamp pin on GPI0, read back through
the `current_lsb` field, marks events on its rising edges. The instrument does not
switch the DUT's supply; the voltage is what it measures.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from tinybench.errors import MissingExtraError
from tinybench.targets.power.contract import MonitorError, MonitorInfo, PowerMonitor, SampleCapture

OUTPUT_RATE_HZ = 1000.0


@dataclass(frozen=True)
class JoulescopeOptions:
    serial: str = ""  # pick one device by serial number (default: the only one)
    raw_rate_hz: int = 1_000_000
    io_voltage: str = "3.3V"


def integrate(current_a: np.ndarray, voltage_v: np.ndarray, gpi: np.ndarray, raw_rate_hz: float,
              first_sample: int = 0, last_gpi: int = 0) -> tuple[np.ndarray, list[int], int]:
    """Raw I, V, GPI0 → (energy per 1-ms sample, raw indices of rising edges, last GPI level).

    Pure arithmetic, shared by the driver and its tests.
    """
    stride = int(raw_rate_hz // OUTPUT_RATE_HZ)
    power = np.nan_to_num(current_a * voltage_v) / raw_rate_hz
    whole = (len(power) // stride) * stride
    samples = power[:whole].reshape(-1, stride).sum(axis=1)
    levels = np.concatenate([[last_gpi], np.asarray(gpi, dtype=np.int8) & 1])
    rising = [first_sample + i for i in np.flatnonzero(np.diff(levels) == 1)]
    return samples, rising, int(levels[-1])


class Joulescope(PowerMonitor):
    name = "joulescope"
    Options = JoulescopeOptions

    def __init__(self, options: JoulescopeOptions, api=None) -> None:  # noqa: ANN001 - the joulescope module
        super().__init__(options)
        self._api = api
        self._device = None
        self._lock = threading.Lock()
        self._samples: list[float] = []
        self._events: list[tuple[int, int]] = []
        self._next = None
        self._gpi = 0
        self._event_count = 0
        self._carry = (np.empty(0), np.empty(0), np.empty(0, dtype=np.int8))

    def _module(self):  # noqa: ANN202
        if self._api is None:
            try:
                import joulescope  # type: ignore[import-not-found]
            except ImportError as exc:
                raise MissingExtraError("the Joulescope monitor", "joulescope", "joulescope") from exc
            self._api = joulescope
        return self._api

    def open(self) -> MonitorInfo:
        api = self._module()
        devices = api.scan(config="off")
        if self.options.serial:
            devices = [d for d in devices if self.options.serial in str(d)]
        if len(devices) != 1:
            raise MonitorError(f"expected one Joulescope, found {len(devices)}"
                               + (f" matching serial {self.options.serial}" if self.options.serial else ""))
        device = devices[0]
        device.open()
        for key, value in (("source", "raw"), ("sensor_power", "on"), ("i_range", "auto"),
                           ("sampling_frequency", self.options.raw_rate_hz), ("io_voltage", self.options.io_voltage),
                           ("current_lsb", "gpi0")):
            device.parameter_set(key, value)
        device.start()
        self._device = device
        return MonitorInfo(instrument=f"Joulescope {device}", sample_rate_hz=OUTPUT_RATE_HZ, supply_voltage_v=None,
                           details={"raw_rate_hz": self.options.raw_rate_hz, "timestamp_input": "gpi0"})

    def poll(self) -> None:
        """Fetch new raw samples from the device's stream buffer and integrate them."""
        start, end = self._device.stream_buffer.sample_id_range
        if self._next is None:
            self._next = end
            return
        if end <= self._next:
            return
        data = self._device.stream_buffer.samples_get(self._next, end, fields=["current", "voltage", "current_lsb"])
        signals = data["signals"]
        current = np.concatenate([self._carry[0], signals["current"]["value"]])
        voltage = np.concatenate([self._carry[1], signals["voltage"]["value"]])
        gpi = np.concatenate([self._carry[2], signals["current_lsb"]["value"].astype(np.int8)])
        stride = int(self.options.raw_rate_hz // OUTPUT_RATE_HZ)
        whole = (len(current) // stride) * stride
        samples, rising, self._gpi = integrate(current[:whole], voltage[:whole], gpi[:whole],
                                               self.options.raw_rate_hz, 0, self._gpi)
        with self._lock:
            base = len(self._samples)
            self._samples.extend(samples.tolist())
            for raw_index in rising:
                self._event_count += 1
                self._events.append((self._event_count, base + raw_index // stride + 1))
        self._carry = (current[whole:], voltage[whole:], gpi[whole:])
        self._next = end

    def begin_window(self) -> None:
        self.poll()
        with self._lock:
            self._samples.clear()
            self._events.clear()

    def end_window(self, expected_events: int = 2, timeout_s: float = 10.0, verify: bool = True) -> SampleCapture:
        deadline = time.monotonic() + timeout_s
        while True:
            self.poll()
            with self._lock:
                done = len(self._events) >= expected_events
            if done or time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        with self._lock:
            problems = [] if len(self._events) >= expected_events else [
                f"{len(self._events)} rising edges on GPI0 within {timeout_s:g} s; expected {expected_events}"]
            return SampleCapture(np.asarray(self._samples), list(self._events), OUTPUT_RATE_HZ, problems)

    def close(self) -> None:
        if self._device is not None:
            try:
                self._device.stop()
            finally:
                self._device.close()
                self._device = None
