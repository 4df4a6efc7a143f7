"""The parts of a place that need no lab: addresses, what the coordinator says about ports
(untrusted until checked), port roles, serial-target options, and the pty relay."""

from __future__ import annotations

import os
import select
import time

import pytest

from tinybench.errors import TargetError
from tinybench.targets import create_target
from tinybench.targets.lab.coordinator import CoordinatorError, PlaceView, ResourceView, coordinator_address
from tinybench.targets.lab.place import PlaceLease, check_place_name


def serial(name, host="127.0.0.1", port=4001, speed=115200, exporter="host1", **extra):
    params = {"host": host, "port": port, "speed": speed, "extra": extra}
    return ResourceView(exporter, "g", "NetworkSerialPort", name, params, True)


def lease(*resources):
    return PlaceLease("p1", client=None, view=PlaceView("p1", resources=tuple(resources)))


def test_coordinator_addresses(monkeypatch):
    monkeypatch.delenv("LG_COORDINATOR", raising=False)
    assert coordinator_address("lab.example.com") == "lab.example.com:20408"
    assert coordinator_address("10.0.0.2:1234") == "10.0.0.2:1234"
    monkeypatch.setenv("LG_COORDINATOR", "127.0.0.1:5555")
    assert coordinator_address(None) == "127.0.0.1:5555"
    monkeypatch.delenv("LG_COORDINATOR")
    with pytest.raises(CoordinatorError, match="no labgrid coordinator"):
        coordinator_address(None)
    for bad in ("host:99999", "a b:1", "x" * 300, "host;rm:1"):
        with pytest.raises(CoordinatorError):
            coordinator_address(bad)
    with pytest.raises(TargetError, match="not a place name"):
        check_place_name("../etc")


def test_ports_by_role_and_their_rfc2217_urls():
    single = lease(serial("RawSerialPort", port=4001))
    assert single.endpoint("dut").url == "rfc2217://127.0.0.1:4001?ign_set_control"
    energy = lease(serial("interface", port=4002), serial("monitor", port=4003, speed=3686400))
    assert set(energy.serial_ports()) == {"interface", "monitor"} and not energy.has_port("dut")
    assert energy.endpoint("monitor").speed == 3686400
    with pytest.raises(TargetError, match="has no 'dut' serial port .*interface"):
        energy.endpoint("dut")
    assert lease(serial("x", host="::1")).endpoint("dut").url == "rfc2217://[::1]:4001?ign_set_control"


@pytest.mark.parametrize(("resource", "message"), [
    (serial("dut", host="evil host;"), "invalid host"),
    (serial("dut", host=None), "invalid host"),
    (serial("dut", port=0), "invalid port"),
    (serial("dut", port="4001"), "invalid port"),
    (serial("dut", speed=-1), "invalid speed"),
    (serial("dut", proxy_required=True), "SSH proxy"),
])
def test_what_the_coordinator_says_is_checked(resource, message):
    with pytest.raises(TargetError, match=message):
        lease(resource).endpoint("dut")


def test_serial_target_options_for_places():
    with pytest.raises(TargetError, match="either a place .* or ports"):
        create_target("serial", {"place": "p1", "port": "/dev/ttyACM0"})
    with pytest.raises(TargetError, match="reset=place needs a labgrid place"):
        create_target("serial", {"port": "/dev/ttyACM0", "reset": "place"})
    with pytest.raises(TargetError, match="or a labgrid place"):
        create_target("serial", {})


def test_a_remote_port_seen_as_a_local_pty():
    """pyserial's loop:// URL echoes what is written: bytes go out through the relay and come back."""
    pytest.importorskip("serial")
    from tinybench.targets.lab.port_relay import PortRelay

    relay = PortRelay("loop://", 115200, "loop")
    try:
        fd = os.open(relay.path, os.O_RDWR | os.O_NOCTTY)
        os.write(fd, b"name%\r\n" * 100)
        received = b""
        deadline = time.monotonic() + 5
        while len(received) < 700 and time.monotonic() < deadline:
            if select.select([fd], [], [], 0.1)[0]:
                received += os.read(fd, 4096)
        os.close(fd)
        assert received == b"name%\r\n" * 100 and relay.error is None
    finally:
        relay.close()
    with pytest.raises(TargetError, match="cannot open place x"):
        PortRelay("rfc2217://127.0.0.1:1?ign_set_control", 115200, "place x")


def test_tinybench_does_not_import_labgrid_until_a_place_is_used():
    import subprocess
    import sys

    code = ("import sys, tinybench.cli, tinybench.runner, tinybench.lab_run, tinybench.targets.serial_target, "
            "tinybench.targets.lab.place; print(sorted(m for m in sys.modules if m.startswith(('labgrid', 'grpc'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
