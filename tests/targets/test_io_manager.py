"""The energy-mode link: the interface board's passthrough, over a real pty, emulator in another process."""

import subprocess
import sys

import numpy as np
import pytest
import serial

from tinybench.targets.dut_session import DutSession, Timeouts
from tinybench.targets.eembc_protocol import ProtocolError
from tinybench.targets.io_manager import InterfaceBoardTransport
from tinybench.targets.serial_link import DeviceReset, LineLink


@pytest.fixture
def board(cli_env):
    proc = subprocess.Popen([sys.executable, "-m", "tinybench", "emulate", "dut", "-w", "kws01", "--mode", "energy",
                             "--interface-board", "--time-scale", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=cli_env)
    port = proc.stdout.readline().split(": ", 1)[1].strip()
    link = LineLink(serial.Serial(port, 115200, timeout=0.05), port)
    link.drain(0.1)
    transport = InterfaceBoardTransport(link)
    transport.set_baud(transport.check_baud())  # as the official runner: the board resets, its queue is empty
    yield transport, link
    proc.terminate()
    proc.wait(timeout=10)


def test_board_commands(board):
    transport, link = board
    assert transport.name() == "tinyML Enhanced Interface Board"
    assert transport.check_baud() == 9600
    assert transport.set_baud(115200) == 115200 and transport.check_baud() == 115200
    assert link.command("something-else", 2) == []  # unknown: a bare m-ready


def test_passthrough_handshake_upload_and_energy_mode_infer(board):
    transport, link = board
    session = DutSession(transport, Timeouts(command_s=3))
    identity = session.handshake()
    assert (identity.device, identity.model) == ("dut", "kws01")
    data = np.arange(490, dtype=np.int16).astype(np.int8).tobytes()
    assert session.upload(data) == 1 + -(-490 // 26)  # the runner's 26-byte chunks through the board
    reply = session.infer(10, 0, want_timestamps=False)
    assert reply.timestamps_us == () and len(reply.results) == 12  # energy build: GPIO pulses, no m-lap-us
    with pytest.raises(ProtocolError, match="built for energy mode"):
        session.infer(1, 0)  # a performance run on an energy-mode firmware is named as such


def test_raw_transcript_matches_the_documented_framing(board):
    _, link = board
    assert link.command("dut profile", 2) == ["m-dut-passthrough(profile)"]
    assert link.collect("dut profile", 2, end="[dut]: m-ready") == [
        "[dut]: m-profile-[ULPMark for tinyML Firmware V0.0.1]", "[dut]: m-model-[kws01]"]


def test_a_dut_banner_queued_in_the_board_answers_the_next_passthrough(cli_env):
    """As the board's firmware: DUT output waits in its UART queue until a passthrough reads it."""
    proc = subprocess.Popen([sys.executable, "-m", "tinybench", "emulate", "dut", "-w", "kws01", "--mode", "energy",
                             "--interface-board", "--time-scale", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=cli_env)
    try:
        port = proc.stdout.readline().split(": ", 1)[1].strip()
        link = LineLink(serial.Serial(port, 115200, timeout=0.05), port)
        transport = InterfaceBoardTransport(link)
        with pytest.raises(DeviceReset, match="m-timestamp-mode-energy"):  # the banner, not the reply to name
            transport.command("name", 2)
        assert transport.command("profile", 2) == ["m-name-dut-[tinybench-emulator]"]  # one command late
        transport.resync()  # setbaud: the board resets and forgets what it had queued
        assert transport.command("name", 2) == ["m-name-dut-[tinybench-emulator]"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
