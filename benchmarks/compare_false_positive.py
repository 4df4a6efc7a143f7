"""How often `tinybench compare` cries wolf, and the smallest slowdown it reliably catches, on this host.

A/A: pairs of identical host runs (the same model, target and options, run back to back).
Every pair that compare calls anything but "no significant difference" is a false positive;
the target is ≤ 5 % at the default threshold (2 %).

Detection: a busy loop is injected after every interpreter call (`invoke()` then spin on
`time.perf_counter_ns` for s × the baseline's median inference time), for each slowdown s;
each slowed run is compared with a baseline run of the same round. "Detected reliably" means
compare says "slower" in at least 90 % of the pairs; the target is 3 %.

Baseline runs go through the same wrapper with a zero delay, so the only difference is the
busy time. Runs are interleaved by round (baseline X, baseline Y, then the slowed runs in a
rotating order) so drift affects every arm alike. Every run is a real `tinybench run`
(performance mode, custom windows) through the runner, written as a bundle, and compared
with the same code as `tinybench compare` (both latency and the median-inference metric).

The machine's conditions are part of the result: the script watches the host for the whole
benchmark (load average, other processes' CPU, steal, frequency) and prints them with the rates.
Rates come with their exact (Clopper–Pearson) 95 % intervals: 20 pairs cannot pin a rate down.

    python benchmarks/compare_false_positive.py [--pairs 20] [--detect-pairs 10] [--slowdowns 1,2,3,5]
        [--workload kws01] [--windows 5] [--min-window-s 1.0] [--threshold 2%] [--runs-per-side 1]
        [--cpu N] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from tinybench import stability
from tinybench.compare import compare_runs
from tinybench.compare_cli import parse_threshold
from tinybench.compare_inputs import read_bundle
from tinybench.compare_stats import clopper_pearson
from tinybench.rules import resolve_profile
from tinybench.runner import RunPlan, execute
from tinybench.targets import host as host_module

METRICS = ("latency", "latency_p50", "latency_floor")
RELIABLE = 0.90


@contextmanager
def busy_after_invoke(delay_ns: int):
    """Every invoke() of the host target is followed by `delay_ns` of busy-waiting (0: the wrapper alone)."""
    original = host_module.timed_invocations
    clock = time.perf_counter_ns

    def timed(invoke, iterations, warmup):  # noqa: ANN001, ANN202
        def slowed() -> None:
            invoke()
            end = clock() + delay_ns
            while clock() < end:
                pass

        return original(slowed, iterations, warmup)

    host_module.timed_invocations = timed
    try:
        yield
    finally:
        host_module.timed_invocations = original


def one_run(args: argparse.Namespace, out: Path, delay_ns: int, label: str) -> Path:
    options = {"cpu": args.cpu} if args.cpu is not None else {}
    plan = RunPlan(target="host", workloads=(args.workload,), modes=("performance",), model="builtin", out_dir=out,
                   rules=resolve_profile(False, args.windows, args.min_window_s), target_options=options)
    started = time.perf_counter()
    with busy_after_invoke(delay_ns):
        (result,) = execute(plan)
    block = result.result["modes"]["performance"]
    print(f"  {label:14} {block['metrics']['latency_median']['value']:.4f} ms "
          f"({time.perf_counter() - started:.1f} s){'' if block['stability']['quiet_host'] else ' busy host'}",
          file=sys.stderr, flush=True)
    return result.bundle


def verdicts(a: list[Path], b: list[Path], threshold: float) -> dict[str, tuple[str, float]]:
    """metric → (verdict, ratio B ÷ A) as `tinybench compare` gives them (several runs per side are pooled)."""
    comparisons = compare_runs([read_bundle(p) for p in a], [read_bundle(p) for p in b], threshold)
    return {c.metric: (c.verdict, c.estimate) for c in comparisons if c.metric in METRICS}


def verdict(pair: dict, metric: str) -> str:
    return pair.get(metric, ("no significant difference", 1.0))[0]


def rate(hits: int, n: int) -> str:
    low, high = clopper_pearson(hits, n)
    return f"{hits}/{n} = {hits / n * 100:4.1f}% (95% CI {low * 100:.1f}–{high * 100:.1f}%)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=20, help="A/A pairs (default 20)")
    parser.add_argument("--detect-pairs", type=int, default=10, help="pairs per injected slowdown (default 10)")
    parser.add_argument("--slowdowns", default="1,2,3,5", help="injected slowdowns in percent")
    parser.add_argument("--workload", default="kws01")
    parser.add_argument("--windows", type=int, default=5)
    parser.add_argument("--min-window-s", type=float, default=1.0)
    parser.add_argument("--threshold", default="2%")
    parser.add_argument("--runs-per-side", type=int, default=1,
                        help="runs pooled on each side of a comparison (compare then resamples runs too)")
    parser.add_argument("--cpu", default=None, help="pin the runs to these CPUs")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    args = parser.parse_args()
    threshold = parse_threshold(args.threshold)
    slowdowns = sorted(float(s) for s in args.slowdowns.split(",") if s.strip())
    out = Path(tempfile.mkdtemp(prefix="tinybench-aa-"))
    print(f"bundles in {out}", file=sys.stderr)

    with stability.RunWatch(interval_s=5.0) as watch:
        calibration = read_bundle(one_run(args, out, 0, "calibration"))
        per_inference_s = calibration.metrics["latency_p50"].value / 1e3
        aa: list[dict] = []
        detected: dict[float, list[dict]] = {s: [] for s in slowdowns}
        for i in range(args.pairs):
            print(f"round {i + 1}/{args.pairs}", file=sys.stderr)
            x, y = [], []
            for k in range(args.runs_per_side):  # X and Y alternate, so drift touches both alike
                x.append(one_run(args, out, 0, f"baseline X{k + 1}"))
                y.append(one_run(args, out, 0, f"baseline Y{k + 1}"))
            aa.append(verdicts(x, y, threshold))
            if i < args.detect_pairs:
                order = slowdowns[i % len(slowdowns):] + slowdowns[:i % len(slowdowns)]
                for s in order:
                    slowed = [one_run(args, out, int(per_inference_s * s / 100 * 1e9), f"slowed {s:g}% {k + 1}")
                              for k in range(args.runs_per_side)]
                    detected[s].append(verdicts(x if i % 2 == 0 else y, slowed, threshold))
    host = watch.facts()

    print("\n== conditions ==")
    load_start, load_end = host["load_average_start"], host["load_average_end"]
    print(f"{host['logical_cores']} logical cores, virtual machine: {host['virtual_machine']}, "
          f"governors: {', '.join(host['governors']) or 'not exposed'}, pinned: {args.cpu or 'no'}")
    print(f"load average at start {load_start}, at end {load_end}; other processes used "
          f"{host['others_cpu_cores']} cores on average over {host['duration_s']:.0f} s; steal {host['steal_fraction']}")
    print(f"busiest other processes: {', '.join(p['name'] + ' ' + format(p['cpu_cores'], '.2f') for p in host['busy_processes'][:5]) or 'none'}")
    print(f"runs: {args.workload}, {args.windows} windows of ≥ {args.min_window_s} s, {args.runs_per_side} run(s) "
          f"per side, baseline median inference "
          f"{per_inference_s * 1e6:.1f} µs, threshold {threshold * 100:g}%")

    print("\n== A/A false positives (anything but 'no significant difference') ==")
    figures: dict = {"conditions": host, "threshold": threshold, "pairs": args.pairs, "false_positives": {},
                     "detection": {}, "settings": vars(args) | {"json": str(args.json)}}
    for metric in METRICS:
        hits = sum(verdict(v, metric) != "no significant difference" for v in aa)
        ratios = [v[metric][1] for v in aa if metric in v]
        figures["false_positives"][metric] = hits / len(aa)
        print(f"{metric:13} {rate(hits, len(aa))}; A/A ratios {min(ratios):.4f}–{max(ratios):.4f}")
    any_regression = sum(any(verdict(v, m) == "slower" for m in METRICS) for v in aa)
    print(f"{'any slower':13} {rate(any_regression, len(aa))}   (what --fail-on-regression would fail on)")

    print(f"\n== injected slowdowns: detected as 'slower' (reliable = ≥ {RELIABLE * 100:.0f}% of pairs) ==")
    reliable: dict[str, list[float]] = {m: [] for m in METRICS}
    for s in slowdowns:
        figures["detection"][s] = {}
        for metric in METRICS:
            hits = sum(verdict(v, metric) == "slower" for v in detected[s])
            n = len(detected[s])
            ratios = sorted(v[metric][1] for v in detected[s] if metric in v)
            figures["detection"][s][metric] = {"rate": hits / n if n else None,
                                               "median_ratio": ratios[len(ratios) // 2] if ratios else None}
            shown = f"; measured ratio median {ratios[len(ratios) // 2]:.4f}" if ratios else ""
            print(f"{s:4g}%  {metric:13} {rate(hits, n) if n else 'no pairs'}{shown}")
            reliable[metric].append(bool(n) and hits / n >= RELIABLE)
    smallest: dict[str, float | None] = {}
    for metric in METRICS:  # the smallest slowdown from which every larger one tried is caught too
        flags = reliable[metric]
        found = next((s for k, s in enumerate(slowdowns) if all(flags[k:])), None)
        smallest[metric] = found
        print(f"smallest slowdown detected reliably by {metric}: "
              f"{f'{found:g}%' if found is not None else 'none of those tried'}")
    figures["smallest_reliable"] = smallest
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=float))
        print(f"wrote {args.json}")
    print(f"\n(bundles kept in {out}; these figures hold for the conditions above only: rerun on a quiet machine)")


if __name__ == "__main__":
    main()
