"""A hostile interface board (tests/targets/hostile_sww_board.py, its own process on a real pty) against the
sww01 board session: every fault ends in a clear error, in bounded time and memory, well before the command's
deadline when a bound (not the clock) is what was crossed."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import serial

from tinybench.targets.eembc_protocol import ProtocolError
from tinybench.targets.io_manager import InterfaceBoardTransport
from tinybench.targets.serial_link import LineLink
from tinybench.targets.sww_serial import SwwBoardSession, SwwTimeouts

DEVICE = Path(__file__).with_name("hostile_sww_board.py")
DEADLINE_S = 4.0


@pytest.fixture
def hostile_board():
    """hostile_board(scenario) → a SwwBoardSession on the pty of a board process playing `scenario`."""
    started = []

    def start(scenario: str) -> SwwBoardSession:
        proc = subprocess.Popen([sys.executable, str(DEVICE), scenario], stdout=subprocess.PIPE, text=True)
        started.append(proc)
        path = proc.stdout.readline().partition(": ")[2].strip()
        port = serial.Serial(path, 115200, timeout=0.05)
        started.append(port)
        board = InterfaceBoardTransport(LineLink(port, f"hostile board ({scenario})"))
        return SwwBoardSession(board, SwwTimeouts(command_s=DEADLINE_S, play_margin_s=1.0, print_s=DEADLINE_S))

    yield start
    for thing in reversed(started):
        if isinstance(thing, subprocess.Popen):
            thing.kill()
            thing.wait(timeout=10)
        else:
            thing.close()


def failure(call) -> tuple[str, float]:  # noqa: ANN001
    started = time.monotonic()
    with pytest.raises(ProtocolError) as caught:
        call()
    return str(caught.value), time.monotonic() - started


def test_a_line_that_never_ends_is_refused_by_its_length_not_the_clock(hostile_board):
    session = hostile_board("endless-line")
    message, took = failure(session.print_detections)
    assert "without an end of line" in message and "hostile board" in message, message
    assert took < DEADLINE_S / 2


def test_a_relayed_reply_that_floods_is_refused_by_its_line_count(hostile_board):
    session = hostile_board("flooding-dut")
    message, took = failure(lambda: session.dut("stop", DEADLINE_S))
    assert "more than" in message and "lines" in message and "'dut stop'" in message, message
    assert took < DEADLINE_S / 2


def test_detections_that_go_back_in_time_are_a_corrupt_reply(hostile_board):
    """10 000 reversed timestamps would cost the runner's O(n²) debounce (tens of seconds) if scored."""
    message, took = failure(hostile_board("backwards-detections").print_detections)
    assert "go back in time" in message and "detection 3: 19998000 after 20000000" in message, message
    assert took < DEADLINE_S / 2


def test_processing_edges_that_go_back_in_time_are_a_corrupt_reply(hostile_board):
    message, _ = failure(hostile_board("backwards-edges").print_dutycycle)
    assert "go back in time" in message and "rising" in message, message


def test_a_banner_that_floods_is_refused_by_its_line_count(hostile_board):
    session = hostile_board("flooding-boot")
    session.link.write(b"\n")
    message, took = failure(lambda: session.link.wait_for("m-init-done", DEADLINE_S, "the reset"))
    assert "more than" in message and "m-init-done" in message, message
    assert took < DEADLINE_S / 2


@pytest.mark.needs_reference
def test_the_run_keeps_its_bundle_and_names_the_fault(reference_dir, cli_env, tinybench_cmd, tmp_path):
    """Through `tinybench run`: the stream mode fails with the bound's message, the bundle is written, no traceback."""
    import json

    device = subprocess.Popen([sys.executable, str(DEVICE), "flooding-dut"], stdout=subprocess.PIPE, text=True)
    try:
        port = device.stdout.readline().partition(": ")[2].strip()
        truth = reference_dir / "sww" / "sww_short_test.json"
        proc = subprocess.run([*tinybench_cmd, "run", "-w", "sww01", "--model", "reference", "-m", "stream", "--out",
                               str(tmp_path), "--json", "--target", "serial", "-O", f"interface_port={port}",
                               "-O", "command_timeout_s=2", "--data", str(truth)], capture_output=True, text=True,
                              env=dict(cli_env, TINYBENCH_REFERENCE_DIR=str(reference_dir)), timeout=120)
    finally:
        device.kill()
        device.wait(timeout=10)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    (printed,) = json.loads(proc.stdout)
    stream = json.loads((Path(printed["bundle"]) / "result.json").read_text())["modes"]["stream"]
    assert stream["status"] == "failed" and "more than 20000 lines" in stream["reason"], stream


def test_a_dut_rate_that_would_stretch_the_deadlines_is_refused(hostile_board):
    """At the 1 baud a board reported, `dut stop` would wait 2 × 312 frames × 60 bits / 1 s ≈ 10 h for the
    activation list of a 10-s stream."""
    session = hostile_board("one-baud")
    session.dut_baud = session.board.set_baud(115200)
    message, took = failure(lambda: session.run_stream("s.wav", 10.0))
    assert "1 baud" in message and "interface board" in message, message
    assert took < 1.0
