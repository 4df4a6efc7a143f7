"""tinybench's per-inference overhead on the host target vs a bare LiteRT invoke() loop.

Both loops drive the *same* interpreter object (the one the host target loaded), so
the only difference is the loop: tinybench's (a clock read and a store per inference)
or a bare `for _ in range(n): invoke()`. Two separate interpreter instances of the
same model differ by several per cent on their own (memory placement), which would
drown the quantity measured here. Rounds are interleaved (ABBA order, so drift and
thermal effects cancel).
A round is one timed loop of N inferences, N calibrated so a round lasts --round-s.
Per-inference time of a round = loop time / N; the script prints the median over
rounds for each side and their ratio (tinybench ÷ bare; 1.00 = no overhead).

    python benchmarks/host_overhead.py [--workloads kws01,vww01] [--rounds 20] [--round-s 0.5]
"""

from __future__ import annotations

import argparse
import statistics
import time

from tinybench.calibration import iterations_for
from tinybench.targets import create_target
from tinybench.workloads import get_workload
from tinybench.workloads.builtin_models import builtin_model
from tinybench.workloads.synthetic import SyntheticDataset


def bare_loop(interpreter, n: int) -> float:
    """Seconds per inference of n back-to-back invoke() calls, as a user would write it."""
    invoke = interpreter.invoke
    t0 = time.perf_counter_ns()
    for _ in range(n):
        invoke()
    return (time.perf_counter_ns() - t0) / 1e9 / n


def measure(workload_id: str, rounds: int, round_s: float, threads: int) -> tuple[float, float]:
    workload = get_workload(workload_id)
    model = builtin_model(workload)
    tensor = workload.to_model_input(next(iter(SyntheticDataset(workload, 1))).raw, model.input)

    target = create_target("host", {"threads": threads})
    target.load(model)
    target.infer(tensor, 50, 0)  # sets the input tensor and warms up
    interpreter = target._interpreter  # the same interpreter, so only the loops differ
    n = iterations_for(bare_loop(interpreter, 200), round_s, 1.0)

    def ours() -> float:
        return target.infer(tensor, n, warmup=0).window_s / n

    def bare() -> float:
        return bare_loop(interpreter, n)

    bare_times, our_times = [], []
    for r in range(rounds):
        order = (bare, ours) if r % 2 == 0 else (ours, bare)  # ABBA
        for fn in order:
            (bare_times if fn is bare else our_times).append(fn())
    return statistics.median(bare_times), statistics.median(our_times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", default="kws01,vww01")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--round-s", type=float, default=0.25)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    print(f"{'workload':8} {'bare LiteRT µs':>15} {'tinybench µs':>13} {'ratio':>7}  (median of {args.rounds} rounds each)")
    for workload_id in args.workloads.split(","):
        bare, ours = measure(workload_id.strip(), args.rounds, args.round_s, args.threads)
        print(f"{workload_id:8} {bare * 1e6:15.2f} {ours * 1e6:13.2f} {ours / bare:7.4f}")


if __name__ == "__main__":
    main()
