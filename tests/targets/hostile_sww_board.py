"""A hostile interface board on a real pseudo-terminal, for the sww01 session's attack tests.

`python hostile_sww_board.py SCENARIO` prints `pty: <path>` and answers like a correct board
(`dut start|stop` passthroughs, `record_detections`, `play`, `print_detections`,
`print_dutycycle`) except where SCENARIO says otherwise. It runs in its own process: the
host reads it over the pty exactly as it reads a real board.
"""

from __future__ import annotations

import itertools
import os
import sys
import tty

CRLF = b"\r\n"


def lines(*texts: str) -> bytes:
    return b"".join(t.encode() + CRLF for t in texts)


def passthrough(command: str, *dut_lines: str) -> bytes:
    return lines(f"m-dut-passthrough({command})", "m-ready", *(f"[dut]: {t}" for t in (*dut_lines, "m-ready")))


NORMAL = {
    "name": lines("MLPerf Tiny interface board (hostile)", "m-ready"),
    "checkbaud": lines("baud is: 115200", "m-ready"),
    "setbaud 115200": lines("set baud to: 115200", "m-ready"),
    "dut name": passthrough("name", "m-name-dut-[hostile]"),
    "dut profile": passthrough("profile", "m-profile-[ULPMark for tinyML Firmware V0.0.1]", "m-model-[sww01]"),
    "dut stop": passthrough("stop", "Streaming stopped."),
    "dut start": passthrough("start", "Streaming started."),
    "record_detections": lines("Now recording detections", "m-ready"),
    "play": lines("Attempting to play s.wav", "succeeded.", "m-ready"),
    "print_detections": lines("Detection Timestamps (ms)", "85,", "1500,", "m-ready"),
    "print_dutycycle": lines("Duty cycle start times (s)", "0, 3200, 6400, ", "Duty cycle stop times (s)")
    + b"1000, 4200, 7400, m-ready" + CRLF,
}


def forever(chunk: bytes, head: bytes = b""):
    yield head
    yield from itertools.repeat(chunk)


SCENARIOS = {
    # a line that never ends: the board prints bytes and never a newline
    "endless-line": {"print_detections": lambda: forever(b"7" * 4096, lines("Detection Timestamps (ms)"))},
    # a relayed DUT reply that never reaches `[dut]: m-ready`: valid lines, forever
    "flooding-dut": {"dut stop": lambda: forever(b"[dut]: 1,\r\n" * 512, lines(
        "m-dut-passthrough(stop)", "m-ready", "[dut]: target activations:", "[dut]: ["))},
    # 10 000 detections 2 s apart, in reverse time order (a board's timer only counts up)
    "backwards-detections": {"print_detections": lambda: iter([lines("Detection Timestamps (ms)", "1,", *(
        f"{20_000_000 - 2000 * i}," for i in range(9_999)), "m-ready")])},
    # Processing-pin edges that go back in time
    "backwards-edges": {"print_dutycycle": lambda: iter([lines(
        "Duty cycle start times (s)", "6400, 3200, 0, ", "Duty cycle stop times (s)", "7400, 4200, 1000, m-ready")])},
    # after the first byte from the host, lines forever and never the banner's end
    "flooding-boot": {"boot": lambda: forever(b"m-timestamp-mode-energy\r\n" * 512)},
    # a board that reports a DUT rate of 1 baud (the deadline of `dut stop`'s activation list scales with it)
    "one-baud": {"setbaud 115200": lambda: iter([lines("set baud to: 1", "m-ready")])},
    # board commands answered with empty lines forever
    "blank-flood": {"print_detections": lambda: forever(CRLF * 2048)},
}


def main(scenario: str) -> None:
    faults = SCENARIOS.get(scenario, {})
    master, slave = os.openpty()
    tty.setraw(slave)
    print(f"pty: {os.ttyname(slave)}", flush=True)
    if "boot" in faults:  # output before any command (a reset's banner that never ends)
        os.read(master, 1)
        for chunk in faults["boot"]():
            os.write(master, chunk)
    pending = b""
    while True:
        data = os.read(master, 4096)
        if not data:
            return
        pending += data
        while b"%" in pending:
            raw, _, pending = pending.partition(b"%")
            command = raw.decode("ascii", "replace").strip()
            key = "play" if command.startswith("play ") else command
            if key in faults:
                for chunk in faults[key]():
                    os.write(master, chunk)
            else:
                os.write(master, NORMAL.get(key, lines(f"unknown command {command}", "m-ready")))


if __name__ == "__main__":
    main(sys.argv[1])
