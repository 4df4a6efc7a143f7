"""Emulators as separate processes: `tinybench emulate dut|lpm01a …` on real pseudo-terminals."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

HEADER_KEYS = {"dut": 2, "lpm01a": 3}  # pty, pid (and dut-socket)


class EmulatorProcess:
    """One emulator: `.header` (pty, pid, dut-socket), `.port`, `.pid`, and its later stdout lines."""

    def __init__(self, env: dict, kind: str, *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "tinybench", "emulate", kind, *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.header: dict[str, str] = {}
        while len(self.header) < HEADER_KEYS[kind]:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"the {kind} emulator did not start: {self.proc.stderr.read()}")
            key, _, value = line.partition(": ")
            self.header[key] = value.strip()
        self.port, self.pid = self.header["pty"], int(self.header["pid"])

    def wait_for_line(self, wanted: str, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.strip() == wanted:
                return
            if not line:
                break
        raise AssertionError(f"the emulator never printed {wanted!r}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture
def start_emulator():
    """start(env, "dut"|"lpm01a", *args) → EmulatorProcess; all are stopped after the test."""
    started: list[EmulatorProcess] = []

    def start(env: dict, kind: str, *args: str) -> EmulatorProcess:
        emulator = EmulatorProcess(env, kind, *args)
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()
