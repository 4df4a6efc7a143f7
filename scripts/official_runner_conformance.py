#!/usr/bin/env python3
"""Run the official MLCommons Tiny runner and tinybench against the same emulators; print both figures.

    python scripts/official_runner_conformance.py RUNNER_DIR [--workload kws01] [--modes p,a,e]
        [--runner-python PY] [--data EEMBC_DIR] [--files 24] [--work DIR]

RUNNER_DIR is a local checkout of `benchmark/runner` from mlcommons/tiny (tinybench pins commit
1afd2c9820f795965a6134facd0b4dfae41ef23f). Nothing of it is copied or changed: this script starts
the emulators on pseudo-terminals (`tinybench emulate dut`, behind `--interface-board` with
`tinybench emulate lpm01a` for energy), then runs the runner's own `main.py` with its own
`devices_kws_ic_vww.yaml` and test scripts in a child process. The only thing patched, in that
process, is port discovery: the runner matches USB VID/PID, which a pty has none of, so
`serial.tools.list_ports.comports` reports the ptys with the VID/PID the runner's device file
expects, and `usb.core.find` (JS220 discovery) finds nothing. Then tinybench measures the same
emulators (`tinybench run --target serial`), and both figures are printed side by side with
their ratio. Exit status 0 when every pair agrees within 1 %.

`--runner-python` is an interpreter with the runner's dependencies (pyyaml, numpy, scikit-learn,
matplotlib, pyserial, pyusb, scipy), e.g. a scratch venv. The emulators run the official
reference model (`--model reference`: TINYBENCH_REFERENCE_DIR or the tinybench cache must hold it).
Without `--data`, a synthetic EEMBC dataset is written (labels are arbitrary, so top-1 is not
meaningful as accuracy, but both tools must agree on it).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODES = {"p": "performance", "a": "accuracy", "e": "energy"}
# USB IDs the runner's devices_kws_ic_vww.yaml associates with each device type
USB_IDS = {"dut": (0x0483, 0x374B), "interface": (0x0483, 0x374E), "power": (0x0483, 0x5740)}
TOLERANCE = 0.01

BOOTSTRAP = r"""
import os, runpy, sys
runner_dir, ports = sys.argv[1], dict(p.split("=", 1) for p in sys.argv[2].split(",") if p)
sys.path.insert(0, runner_dir)
import serial.tools.list_ports as list_ports
from serial.tools.list_ports_common import ListPortInfo
import usb.core

def comports(include_links=False):
    found = []
    for ids, device in ports.items():
        info = ListPortInfo(device, skip_link_detection=True)
        info.vid, info.pid = (int(x, 16) for x in ids.split(":"))
        info.description = "tinybench emulator"
        found.append(info)
    return found

list_ports.comports = comports
usb.core.find = lambda *args, **kwargs: []
sys.argv = [os.path.join(runner_dir, "main.py"), *sys.argv[3:]]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def tinybench(*args: str) -> list[str]:
    return [sys.executable, "-m", "tinybench", *args]


class Emulator:
    def __init__(self, *args: str, env: dict) -> None:
        self.proc = subprocess.Popen(tinybench("emulate", *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=env)
        self.header: dict[str, str] = {}
        while "pid" not in self.header or (args[0] == "lpm01a" and "dut-socket" not in self.header):
            line = self.proc.stdout.readline()
            if not line:
                raise SystemExit(f"emulator {args[0]} failed: {self.proc.stderr.read()}")
            key, _, value = line.partition(": ")
            self.header[key] = value.strip()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def drain(port: str) -> None:
    """Read what the emulator printed before anyone opened the port (a board's USB port drops it)."""
    import serial

    with serial.Serial(port, 115200, timeout=0.3) as link:
        while link.read(4096):
            pass


def write_dataset(folder: Path, workload_id: str, count: int) -> None:
    import numpy as np

    from tinybench.workloads import get_workload

    workload = get_workload(workload_id)
    rng = np.random.default_rng(8108)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(count):
        name = f"sample_{i:03d}.bin"
        if workload.metric == "auc":
            (folder / name).write_bytes(rng.normal(-30, 10, (200, 128)).astype("<f4").tobytes())
            rows.append([name, 2, i % 2, 2560, 512])
        else:
            (folder / name).write_bytes(workload.synthetic_raw(rng).tobytes())
            rows.append([name, len(workload.labels), i % len(workload.labels)])
    with (folder / "y_labels.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)


def run_official(args: argparse.Namespace, mode: str, ports: dict[str, str], work: Path, env: dict) -> dict:
    """The runner's figure for `mode`, from its results.txt."""
    mapping = ",".join(f"{USB_IDS[kind][0]:04x}:{USB_IDS[kind][1]:04x}={port}" for kind, port in ports.items())
    runner = Path(args.runner_dir).resolve()
    command = [args.runner_python, "-c", BOOTSTRAP, str(runner), mapping, "-d", str(runner / "devices_kws_ic_vww.yaml"),
               "-m", mode, "-s", str(work / "datasets"), "-t", str(runner / f"tests_{MODES[mode]}.yaml")]
    before = set((work / "sessions").glob("*")) if (work / "sessions").exists() else set()
    started = time.monotonic()
    with (work / f"runner-{MODES[mode]}.log").open("w") as log:
        proc = subprocess.run(command, cwd=work, stdout=log, stderr=subprocess.STDOUT, env=dict(env, MPLBACKEND="Agg"),
                              timeout=args.timeout)
    sessions = sorted(set((work / "sessions").glob("*")) - before)
    results = sessions[-1] / "results.txt" if sessions else None
    text = results.read_text() if results and results.exists() else ""
    patterns = {"p": r"Median throughput is\s+([\d.]+) inf\./sec\.", "a": r"Top 1% = ([\d.]+)",
                "e": r"Median energy cost is\s*([\d.]+) uJ/inf\."}
    match = re.findall(patterns[mode], text)
    return {"value": float(match[-1]) if match else None, "exit": proc.returncode, "seconds": time.monotonic() - started,
            "session": str(sessions[-1]) if sessions else None,
            "errors": [line for line in text.splitlines() if "ERROR" in line]}


def run_tinybench(args: argparse.Namespace, mode: str, ports: dict[str, str], work: Path, env: dict) -> dict:
    target = ["--port", ports["dut"]] if mode != "e" else [
        "-O", f"interface_port={ports['interface']}", "-O", "baud=energy=9600", "--power", "lpm01a",
        "-P", f"port={ports['power']}", "-P", "voltage_v=1.8"]
    rules = [] if mode == "a" else ["--windows", "5", "--min-window-s", str(args.min_window_s)]
    command = tinybench("run", "--target", "serial", *target, "-w", args.workload, "-m", MODES[mode],
                        "--model", "reference", "--data", str(work / "datasets" / args.workload), *rules,
                        "--out", str(work / "tinybench"), "--json")
    started = time.monotonic()
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=args.timeout)
    (work / f"tinybench-{MODES[mode]}.log").write_text(proc.stderr)
    try:
        outcome = json.loads(proc.stdout)[0]["modes"][MODES[mode]]
    except (ValueError, LookupError):
        return {"value": None, "exit": proc.returncode, "seconds": time.monotonic() - started,
                "errors": proc.stderr.strip().splitlines()[-1:]}
    metrics = outcome.get("metrics", {})
    value = {"p": lambda: metrics["throughput_median"]["value"], "a": lambda: 100 * metrics["top1"]["value"],
             "e": lambda: metrics["energy_per_inference_median"]["value"]}[mode]
    try:
        figure = value()
    except KeyError:
        figure = None
    return {"value": figure, "exit": proc.returncode, "seconds": time.monotonic() - started,
            "bundle": json.loads(proc.stdout)[0].get("bundle"),
            "errors": [] if figure is not None else [outcome.get("reason", "")]}


def prediction_agreement(official: dict, ours: dict) -> tuple[int, int]:
    """Accuracy: (files given the same class by both tools, files the runner scored)."""
    import numpy as np
    import pandas as pd

    try:
        runs = json.loads((Path(official["session"]) / "results.json").read_text())
        theirs = {r["file"]: int(np.argmax(r["infer"]["results"])) for r in runs if "infer" in r and "file" in r}
        table = pd.read_csv(Path(ours["bundle"]) / "accuracy_predictions.csv")
    except (OSError, ValueError, KeyError, TypeError):
        return 0, -1
    mine = dict(zip(table["sample_id"], table["predicted"].astype(int)))
    return sum(1 for name, cls in theirs.items() if mine.get(name) == cls), len(theirs)


def measure(args: argparse.Namespace, mode: str, work: Path, env: dict) -> tuple[dict, dict]:
    emulators: list[Emulator] = []
    try:
        dut_args = ["-w", args.workload, "--model", "reference"]
        if mode == "e":
            lpm = Emulator("lpm01a", env=env)
            emulators.append(lpm)
            board = Emulator("dut", *dut_args, "--mode", "energy", "--interface-board", "--monitor-socket",
                             lpm.header["dut-socket"], env=env)
            emulators.append(board)
            ports = {"interface": board.header["pty"], "power": lpm.header["pty"]}
        else:
            dut = Emulator("dut", *dut_args, "--line-rate", "115200", env=env)
            emulators.append(dut)
            ports = {"dut": dut.header["pty"]}
            drain(ports["dut"])
        official = run_official(args, mode, ports, work, env)
        ours = run_tinybench(args, mode, ports, work, env)
        return official, ours
    finally:
        for emulator in emulators:
            emulator.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runner_dir", help="a checkout of mlcommons/tiny benchmark/runner")
    parser.add_argument("--workload", default="kws01", choices=["kws01", "ic01", "vww01", "ad01"])
    parser.add_argument("--modes", default="p,a,e", help="runner mode letters: p (performance), a (accuracy), e (energy)")
    parser.add_argument("--runner-python", default=sys.executable, help="python with the runner's dependencies")
    parser.add_argument("--data", type=Path, default=None, help="an EEMBC folder (y_labels.csv + .bin) to use")
    parser.add_argument("--files", type=int, default=24, help="synthetic dataset size when --data is not given")
    parser.add_argument("--min-window-s", type=float, default=10.0, help="tinybench's window length (s)")
    parser.add_argument("--work", type=Path, default=None, help="working folder (default: a new temporary one)")
    parser.add_argument("--timeout", type=float, default=3600.0)
    args = parser.parse_args()
    if not (Path(args.runner_dir) / "main.py").is_file():
        parser.error(f"{args.runner_dir} has no main.py: give the benchmark/runner folder of a mlcommons/tiny checkout")
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if any(m not in MODES for m in modes):
        parser.error("--modes takes p, a and e")
    work = (args.work or Path(tempfile.mkdtemp(prefix="tinybench-official-runner-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    data = work / "datasets" / args.workload
    if args.data:
        data.parent.mkdir(parents=True, exist_ok=True)
        if not data.exists():
            data.symlink_to(args.data.resolve())
    elif not data.exists():
        write_dataset(data, args.workload, args.files)
    env = dict(os.environ)
    print(f"working folder: {work}", flush=True)
    rows, agree = [], True
    for mode in modes:
        print(f"{MODES[mode]}: official runner, then tinybench …", flush=True)
        official, ours = measure(args, mode, work, env)
        ratio = ours["value"] / official["value"] if official["value"] and ours["value"] is not None else None
        ok = ratio is not None and abs(ratio - 1) <= TOLERANCE
        if mode == "a" and ratio is not None:  # the runner prints top-1 with one decimal ("%2.1f")
            same, files = prediction_agreement(official, ours)
            ok = abs(ours["value"] - official["value"]) <= 0.05 + 1e-9 and same == files
            ours["errors"].insert(0, f"per-file predictions: {same} of {files} files agree")
        agree &= ok
        rows.append((MODES[mode], official, ours, ratio, ok))
    unit = {"performance": "inf/s", "accuracy": "top-1 %", "energy": "uJ/inf"}
    print(f"\n{'mode':<12} {'official runner':>18} {'tinybench':>14} {'ratio':>8}  unit")
    for name, official, ours, ratio, ok in rows:
        fmt = lambda v: "—" if v is None else f"{v:.4f}"  # noqa: E731
        print(f"{name:<12} {fmt(official['value']):>18} {fmt(ours['value']):>14} "
              f"{'—' if ratio is None else f'{ratio:.5f}':>8}  {unit[name]}{'' if ok else '   MISMATCH'}")
        for who, result in (("runner", official), ("tinybench", ours)):
            for note in result["errors"]:
                print(f"    {who}: {note}")
    print("(accuracy: the runner prints top-1 with one decimal; equal means within 0.05 and the same class for "
          "every file)")
    print(f"\nlogs and sessions: {work}")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
