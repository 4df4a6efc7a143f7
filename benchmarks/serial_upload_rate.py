"""Input-upload rate over an emulated UART against the protocol's bound.

The DUT emulator runs in its own process on a pty with `--line-rate BAUD`: every byte in
either direction takes 10 bit-times (8N1) before the other side sees it. The protocol is
strictly request/response, so the bound for an upload is

    bytes ÷ (all characters exchanged × 10 / baud)

counting each `db …%` command and each reply (`m-ready\\r\\n`, and `m-[Expecting N bytes]`,
`m-load-done`). With the largest chunk the 80-character limit allows (38 bytes) that is
38 bytes per 89 characters of line time. The script uploads the same input with
tinybench's 38-byte chunks and with the official MLCommons runner's 31-byte chunks
(the same request/response loop, only the chunk size differs — the runner's own code is
not run here), and prints both rates against the bound.

    python benchmarks/serial_upload_rate.py [--baud 115200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import numpy as np
import serial

from tinybench.targets.dut_session import DutSession
from tinybench.targets.eembc_protocol import DB_CHUNK_BYTES, OFFICIAL_RUNNER_CHUNK_BYTES, db_commands
from tinybench.targets.io_manager import DirectTransport
from tinybench.targets.serial_link import LineLink

READY = len("m-ready\r\n")


def line_chars(size: int, chunk: int) -> int:
    """Characters that cross the line for one upload of `size` bytes in `chunk`-byte commands."""
    commands = db_commands(bytes(size), chunk)
    out = sum(len(c) + 1 for c in commands)  # each with its '%'
    back = READY * len(commands) + len(f"m-[Expecting {size} bytes]\r\n") + len("m-load-done\r\n")
    return out + back


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baud", type=int, default=115200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"line rate {args.baud} baud (8N1: {args.baud / 10:.0f} characters/s); median of {args.repeat} uploads")
    print(f"{'workload':8} {'bytes':>6} {'bound B/s':>10} {'tinybench B/s':>14} {'% of bound':>10} "
          f"{'runner-31 B/s':>14} {'% of bound':>10}")
    for workload, size in (("ic01", 3072), ("vww01", 27648)):
        proc = subprocess.Popen([sys.executable, "-m", "tinybench", "emulate", "dut", "-w", workload,
                                 "--line-rate", str(args.baud)], stdout=subprocess.PIPE, text=True)
        port = proc.stdout.readline().split(": ", 1)[1].strip()
        try:
            link = LineLink(serial.Serial(port, args.baud, timeout=0.05), port)
            link.drain(0.3)
            session = DutSession(DirectTransport(link))
            session.handshake()
            data = np.random.default_rng(0).integers(0, 256, size, dtype=np.uint8).tobytes()
            bound = size / (line_chars(size, DB_CHUNK_BYTES) * 10 / args.baud)
            rates = {}
            for chunk in (DB_CHUNK_BYTES, OFFICIAL_RUNNER_CHUNK_BYTES):
                times = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    session.upload(data, chunk)
                    times.append(time.perf_counter() - t0)
                rates[chunk] = size / float(np.median(times))
            ours, runner = rates[DB_CHUNK_BYTES], rates[OFFICIAL_RUNNER_CHUNK_BYTES]
            print(f"{workload:8} {size:6d} {bound:10.0f} {ours:14.0f} {ours / bound:10.1%} {runner:14.0f} "
                  f"{runner / bound:10.1%}")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
