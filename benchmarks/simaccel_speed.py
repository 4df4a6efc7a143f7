"""How long the accelerator model takes to simulate a whole model (target: < 50 ms).

    python benchmarks/simaccel_speed.py [--repeat 50]

For each workload's built-in model (same operators as the official ones) and each preset:
the median over repeats of `simulate(graph, accelerator)`, which maps every operator and
costs it (cycles, traffic, stalls, energy). Every repeat starts cold: the memo of layer
simulations (repeated layers within one model are simulated once) is cleared first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from tinybench.targets.simaccel.accelerator import load_accelerator, presets
from tinybench.targets.simaccel.scratchpad import simulate_memory
from tinybench.targets.simaccel.simulator import simulate
from tinybench.workloads import WORKLOADS, get_workload
from tinybench.workloads.builtin_models import builtin_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    print("load average (1, 5, 15 min) before: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"{'workload':8} {'preset':9} {'operators':>9} {'median ms':>10} {'max ms':>8}  {'latency':>10} {'energy':>10}")
    for workload_id in WORKLOADS.names():
        graph = builtin_model(get_workload(workload_id)).graph
        for preset in presets():
            acc = load_accelerator(preset)
            times = []
            for _ in range(args.repeat):
                simulate_memory.cache_clear()
                t0 = time.perf_counter()
                sim = simulate(graph, acc)
                times.append(time.perf_counter() - t0)
            print(f"{workload_id:8} {preset:9} {len(graph.operators):9d} {statistics.median(times) * 1e3:10.3f} "
                  f"{max(times) * 1e3:8.3f}  {sim.latency_s * 1e3:8.3f} ms {sim.energy_j * 1e6:7.2f} µJ", flush=True)
    print("load average (1, 5, 15 min) after: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
