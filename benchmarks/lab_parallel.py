"""A lab of N emulated boards: one `lab run` against the same runs one after another,
and the input-upload rate through a lab (RFC 2217 via ser2net) against a local pty.

    python benchmarks/lab_parallel.py [--boards 4] [--windows 5] [--min-window-s 10]

The boards run in real time (`--time-scale 1`: an inference takes the device's time), so the
boards do the work, not the host; the target is a wall-time speed-up ≥ 0.8 × N. Both sides use
the same places through the same coordinator and exporters: one after another with
`tinybench run --target serial --place boardI`, in parallel with one `tinybench lab run`.
Needs the lab extra, tflm and Debian's ser2net. Prints the machine's load: it is shared.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tinybench.targets.dut_session import DutSession
from tinybench.targets.io_manager import DirectTransport
from tinybench.targets.lab.emulated_lab import BoardSpec, EmulatedLab
from tinybench.targets.lab.place import acquire_place
from tinybench.targets.serial_link import LineLink
from tinybench.workloads import get_workload

BAUD = 115200  # the reference firmwares' UART rate
ACCURACY_SET = {"kws01": 1000, "vww01": 1000, "ic01": 200}  # inputs in MLPerf Tiny's accuracy runs


def tinybench(*args: str) -> float:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "tinybench", *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"failed: tinybench {' '.join(args)}\n{proc.stderr[-2000:]}")
    return time.perf_counter() - started


def machine() -> str:
    import serial.rfc2217 as rfc

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    fork = "labgrid's fork" if "timeout" in rfc.Serial.__dict__ else "upstream pyserial 3.5"
    return f"{os.cpu_count()} cores, load average {load}; RFC 2217 client: {fork}"


def parallel_vs_sequential(lab: EmulatedLab, places: list[str], rules: list[str], out: Path) -> tuple[float, float]:
    sequential = sum(tinybench("run", "--target", "serial", "--place", place, "--coordinator", lab.address,
                               "-w", "kws01", "-m", "performance", *rules, "--out", str(out / "sequential"))
                     for place in places)
    parallel = tinybench("lab", "run", "--lab", str(lab.workdir / "lab.toml"), "--places", ",".join(places),
                         "-w", "kws01", "-m", "performance", *rules, "--out", str(out / "parallel"))
    return sequential, parallel


def link_figures(port, rounds: int = 100) -> tuple[float, dict[str, float]]:  # noqa: ANN001
    """Median `name` round trip (ms), and upload rate (bytes/s) of one input per workload."""
    link = LineLink(port, "bench")
    link.drain(quiet_s=0.2)
    trips = []
    for _ in range(rounds):
        started = time.perf_counter()
        link.command("name", 5.0)
        trips.append((time.perf_counter() - started) * 1e3)
    session = DutSession(DirectTransport(link))
    rates = {}
    for workload_id in ACCURACY_SET:
        w = get_workload(workload_id)
        data = np.ascontiguousarray(w.synthetic_raw(np.random.default_rng(0))).tobytes()
        started = time.perf_counter()
        try:
            session.upload(data)
        except Exception as exc:  # noqa: BLE001 - a firmware for another workload refuses large inputs
            rates[workload_id] = float("nan")
            print(f"  upload {workload_id}: {exc}")
            continue
        rates[workload_id] = len(data) / (time.perf_counter() - started)
    return statistics.median(trips), rates


def local_figures(line_rate: int) -> tuple[float, dict[str, float]]:
    import serial

    emulator = subprocess.Popen([sys.executable, "-m", "tinybench", "emulate", "dut", "-w", "vww01",
                                 "--line-rate", str(line_rate)], stdout=subprocess.PIPE, text=True)
    try:
        pty = emulator.stdout.readline().split(": ", 1)[1].strip()
        with serial.Serial(pty, 115200, timeout=0.05) as port:
            return link_figures(port)
    finally:
        emulator.terminate()
        emulator.wait(10)


def upload_rates(lab: EmulatedLab, place: str) -> None:
    import serial

    unpaced, paced = local_figures(0), local_figures(BAUD)
    subprocess.run(lab.running[place].flash_command.format(workload="vww01").split(), check=True, capture_output=True)
    with acquire_place(place, lab.address) as lease:
        port = serial.serial_for_url(lease.endpoint("dut").url, BAUD, timeout=0.05)
        try:
            remote = link_figures(port)
        finally:
            port.close()
    print(f"\n'name' round trip: local pty {unpaced[0]:.3f} ms (unpaced), {paced[0]:.2f} ms (UART paced at {BAUD} "
          f"baud); through the lab (RFC 2217, ser2net, same UART pacing) {remote[0]:.2f} ms")
    print(f"input upload, and what it means for an accuracy run's uploads (boards paced at {BAUD} baud):")
    for workload_id, count in ACCURACY_SET.items():
        size = int(np.prod(get_workload(workload_id).raw_input.shape))
        lab_rate, local_rate, fast = remote[1][workload_id], paced[1][workload_id], unpaced[1][workload_id]
        print(f"  {workload_id}: {size:6d} B/input  local UART {local_rate / 1e3:5.2f} kB/s  lab {lab_rate / 1e3:5.2f} kB/s "
              f"({local_rate / lab_rate:.2f}× slower; unpaced pty {fast / 1e3:5.0f} kB/s)  → {count} inputs: "
              f"{count * size / lab_rate / 60:5.1f} min uploading in a lab vs {count * size / local_rate / 60:5.1f} min "
              f"on a local UART")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--boards", type=int, default=4)
    parser.add_argument("--windows", type=int, default=5)
    parser.add_argument("--min-window-s", type=float, default=10.0)
    args = parser.parse_args()
    rules = ["--windows", str(args.windows), "--min-window-s", str(args.min_window_s)]
    boards = [BoardSpec(f"board{i + 1}", f"host{i % 2 + 1}", "kws01", ("--time-scale", "1", "--line-rate", str(BAUD)))
              for i in range(args.boards)]
    work = Path(tempfile.mkdtemp(prefix="tinybench-lab-bench-"))
    print(f"machine: {machine()}")
    with EmulatedLab(work / "lab", boards) as lab:
        (lab.workdir / "lab.toml").write_text(lab.lab_toml(["kws01"], flash=False))  # as the sequential runs: no flashing
        places = [b.place for b in boards]
        sequential, parallel = parallel_vs_sequential(lab, places, rules, work)
        speedup = sequential / parallel
        print(f"{args.boards} real-time boards, kws01 performance ({args.windows} windows ≥ {args.min_window_s:g} s): "
              f"one after another {sequential:.1f} s, one lab run {parallel:.1f} s → speed-up {speedup:.2f}× "
              f"(target ≥ {0.8 * args.boards:.1f}×: {'met' if speedup >= 0.8 * args.boards else 'NOT met'})")
        upload_rates(lab, places[0])
    print(f"machine after: {machine()}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
