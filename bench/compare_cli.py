"""`tinybench compare A B`: the command line of :mod:`tinybench.compare`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from tinybench.errors import TinybenchError

EXIT_REGRESSION = 1


def parse_threshold(text: str) -> float:
    """'2%', '2' (both percent) or '0.5%' → a fraction; refuses negatives and ≥ 100 %."""
    raw = text.strip().removesuffix("%").strip()
    try:
        value = float(raw) / 100.0
    except ValueError:
        raise TinybenchError(f"--threshold expects a percentage such as 2%, got '{text}'") from None
    if not 0.0 <= value < 1.0:
        raise TinybenchError(f"--threshold must be between 0% and 100%, got '{text}'")
    return value


@click.command("compare")
@click.argument("a", type=click.Path(path_type=Path))
@click.argument("b", type=click.Path(path_type=Path))
@click.option("--threshold", default="2%", show_default=True,
              help="Smallest change reported as faster/slower (and more/less energy), in percent.")
@click.option("--accuracy-threshold", type=float, default=0.0, show_default=True,
              help="Smallest accuracy change reported as better/worse, in percentage points.")
@click.option("--confidence", type=float, default=0.95, show_default=True, help="Confidence level of the intervals.")
@click.option("--fail-on-regression", is_flag=True,
              help="Exit with code 1 when any workload is slower, uses more energy or is less accurate.")
@click.option("--metric", "metrics", multiple=True, metavar="NAME",
              help="Compare (and fail on) only these metrics; repeatable. Names: latency, latency_p50, "
                   "latency_floor, energy, spinup_cold, spinup_warm, accuracy (default: all).")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON (schema tinybench.compare/1).")
def compare_command(a: Path, b: Path, threshold: str, accuracy_threshold: float, confidence: float,
                    fail_on_regression: bool, metrics: tuple[str, ...], as_json: bool) -> None:
    """Compare result bundles B against A (the reference): per workload and metric, the ratio of
    medians B ÷ A with a confidence interval and a verdict (faster, slower, no significant difference).

    A and B are each a bundle, a folder of bundles (searched recursively) or a `report export`
    file (.json, .csv, .parquet). Latency intervals come from a bootstrap over runs and windows
    (the timed inferences too, for runs of under 3 windows); where every inference was timed, the
    median inference is compared as well. Deterministic clocks (simulators, emulated devices) are
    compared exactly. Accuracy: B − A in points with an exact binomial interval. On a busy or
    shared host, put several runs in each folder: the bootstrap then resamples runs, which is
    where most of the run-to-run noise lies.

    The fastest inference (latency_floor: each window's fastest, median over windows) moves with
    the code's own cost and little with a virtual host's drifting speed: on an otherwise idle CI
    host, gate on it with `--metric latency_floor --fail-on-regression`. Another busy process
    moves it too: keep benchmark hosts idle.

    Exit codes: 0 compared; 1 a regression with --fail-on-regression; 2 bad input or nothing compared.
    """
    from tinybench.compare import compare, format_text
    from tinybench.compare_inputs import load

    from tinybench.compare import METRIC_NAMES

    fraction = parse_threshold(threshold)
    unknown = sorted(set(metrics) - set(METRIC_NAMES))
    if unknown:
        raise TinybenchError(f"--metric: unknown metric {', '.join(unknown)}; known: {', '.join(METRIC_NAMES)}")
    if not 0.5 <= confidence < 1.0:
        raise TinybenchError(f"--confidence must be in [0.5, 1), got {confidence}")
    if accuracy_threshold < 0:
        raise TinybenchError("--accuracy-threshold must not be negative")
    sides = []
    for label, path in (("A", a), ("B", b)):
        if not path.exists():
            raise TinybenchError(f"{label}: no such bundle, folder or export: {path}")
        loaded = load([path])
        if not loaded.runs:
            reason = f" ({loaded.skipped[0]})" if loaded.skipped else ""
            raise TinybenchError(f"{label}: no readable result in {path}{reason}",
                                 hint="give a result bundle, a folder of bundles or a `tinybench report export` file")
        sides.append(loaded)
    report = compare(sides[0], sides[1], fraction, accuracy_threshold, confidence, metrics=set(metrics) or None)
    if as_json:
        click.echo(json.dumps(report.to_json([str(a)], [str(b)]), indent=2, ensure_ascii=False, allow_nan=False))
    else:
        click.echo(format_text(report))
    if not report.comparisons:  # a CI gate that compared nothing must not pass in silence
        raise TinybenchError("nothing was compared (see above)",
                             hint="check that both sides measured the same workloads and the chosen --metric")
    if fail_on_regression and report.regressions:
        sys.exit(EXIT_REGRESSION)
