"""A labgrid lab on this machine, to try `tinybench lab run` without hardware.

Starts a labgrid coordinator on 127.0.0.1, two exporters acting as two hosts (host1, host2),
and emulated boards behind ser2net — each with a stable serial port, a flashable firmware
and a power switch exported as a NetworkPowerPort; with --energy one more place whose DUT
sits behind an interface board, powered by an emulated LPM01A exported as its `monitor`
port. Writes lab.toml, prints what to run, and cleans everything up on Ctrl-C.

    python scripts/lab_tryout.py [--boards 4] [--real-time] [--energy] [--dir DIR]

Needs the lab extra (pip install -e '.[lab,tflm]') and Debian's ser2net.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
from pathlib import Path

from tinybench.targets.lab.emulated_lab import BoardSpec, EmulatedLab

WORKLOADS = ["kws01", "ic01"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--boards", type=int, default=4, help="emulated boards, spread over two hosts (1-16)")
    parser.add_argument("--real-time", action="store_true",
                        help="inferences take real time (--time-scale 1); default: virtual time")
    parser.add_argument("--energy", action="store_true", help="add an energy place (interface board + LPM01A)")
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a new temporary one)")
    args = parser.parse_args()
    if not 1 <= args.boards <= 16:
        parser.error("--boards must be 1..16")
    scale = ("--time-scale", "1" if args.real_time else "0")
    boards = [BoardSpec(f"board{i + 1}", f"host{i % 2 + 1}", WORKLOADS[i % 2], scale) for i in range(args.boards)]
    if args.energy:
        boards.append(BoardSpec("energy1", "host1", "kws01", scale, energy=True))
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="tinybench-lab-"))
    lab = EmulatedLab(workdir, boards)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    print(f"starting {len(boards)} emulated boards, a coordinator and two exporters in {workdir} …", flush=True)
    with lab:
        toml = workdir / "lab.toml"
        toml.write_text(lab.lab_toml(WORKLOADS))
        places = ",".join(b.place for b in boards if not b.energy)
        print(f"""
lab ready — coordinator {lab.address}
  places: {', '.join(f"{b.place} ({b.host}, {'energy' if b.energy else b.workload})" for b in boards)}

try (in another shell, same venv):
  export LG_COORDINATOR={lab.address}
  tinybench lab places
  tinybench lab run --lab {toml} --places {places} -w kws01,ic01 -m performance,spinup --quick --out lab-results
  tinybench lab run --lab {toml} --tag host=host2 -w kws01 --quick --out lab-results
  tinybench run --target serial --place board1 -w kws01 --quick        # one place, like a local board
  labgrid-client -p board1 acquire     # then the run above says who holds it (add --wait 30 to wait)
{f"  tinybench lab run --lab {toml} --places energy1 -w kws01 -m energy --quick --out lab-results" if args.energy else ""}
logs: {workdir}/*.log — Ctrl-C stops the lab.""", flush=True)
        try:
            while not stop:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        print("\nstopping the lab …", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
