"""Byte-level conformance: `tinybench emulate dut` over a real pty, in real time, against a transcript
of the MLPerf Tiny reference firmware (how the transcript was derived: conformance/README.md)."""

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import serial

from tinybench.targets.emulators.cycle_model import CycleModel
from tinybench.workloads import get_workload
from tinybench.workloads.builtin_models import builtin_model

TRANSCRIPT = Path(__file__).parent / "conformance" / "kws01_transcript.json"
PLACEHOLDERS = {"{lap}": r"(\d+)", "{results}": r"(?:0\.\d{3},){11}0\.\d{3}"}


def pattern(expected: str) -> re.Pattern:
    """The expected bytes as a regex: literal everywhere except the placeholders."""
    parts = re.split(r"(\{lap\}|\{results\})", expected)
    return re.compile("".join(PLACEHOLDERS.get(p, re.escape(p)) for p in parts), re.DOTALL)


def read_reply(port, timeout_s=10.0) -> str:
    data = b""
    deadline = time.monotonic() + timeout_s
    while not data.endswith(b"m-ready\r\n"):
        if time.monotonic() > deadline:
            raise AssertionError(f"no complete reply within {timeout_s} s: {data!r}")
        data += port.read(port.in_waiting or 1)
    return data.decode("latin-1")


@pytest.fixture
def dut(cli_env):
    proc = subprocess.Popen([sys.executable, "-m", "tinybench", "emulate", "dut", "-w", "kws01", "--vendor",
                             "unspecified"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env)
    path = proc.stdout.readline().split(": ", 1)[1].strip()
    port = serial.Serial(path, 115200, timeout=0.05)
    yield port
    port.close()
    proc.terminate()
    proc.wait(timeout=10)


def test_every_command_and_error_path_matches_the_reference_firmware_byte_for_byte(dut):
    transcript = json.loads(TRANSCRIPT.read_text())
    laps: dict[str, list[list[int]]] = {}
    for entry in transcript["entries"]:
        if entry["send"] is not None:
            dut.write(entry["send"].encode("latin-1") + b"%")
        reply = read_reply(dut)
        match = pattern(entry["reply"]).fullmatch(reply)
        assert match, f"after {entry['send']!r}:\nexpected {entry['reply']!r}\ngot      {reply!r}"
        laps.setdefault(entry["send"], []).append([int(g) for g in match.groups()])
    # real time by default: the device timer runs between commands (no m-lap-us-0 forever)
    (first,), (second,) = laps["timestamp"]
    assert second > first
    # the timed region is the cycle model's N × t_inference exactly, however the host was scheduled
    model = builtin_model(get_workload("kws01"))
    t_inf = CycleModel().inference_us(model.graph.macs, len(model.graph.operators))
    (t0, t1), = laps["infer 3 1"]
    assert abs((t1 - t0) - 3 * t_inf) <= 1
