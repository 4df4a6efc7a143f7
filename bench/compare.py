"""`tinybench compare A B`: per workload and metric, how B differs from A, and whether it matters.

Runs are matched by workload; when a side holds several systems for one workload, by system.
Several runs of the same (system, workload) on one side are pooled (the bootstrap then
resamples runs too). Metrics: latency (from the window throughputs; where every inference
was timed, also the median and the fastest inference per window), energy per inference,
cold and warm spin-up (ratios of medians, B ÷ A: above 1 means B costs more) and accuracy
(B − A in percentage points). The statistics are in :mod:`tinybench.compare_stats`; the JSON
document is described in docs/reference/compare-json.md.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field

import numpy as np

from tinybench import compare_stats as cs
from tinybench.compare_inputs import AccuracyFacts, Loaded, MetricSamples, RunRecord

SCHEMA = "tinybench.compare/1"
DEFAULT_THRESHOLD = 0.02
RATIO_METRICS = {  # metric → (title, words for costs more / costs less)
    "latency": ("latency", ("slower", "faster")),
    "latency_p50": ("median inference", ("slower", "faster")),
    "latency_floor": ("fastest inference", ("slower", "faster")),
    "energy": ("energy per inference", ("more energy", "less energy")),
    "spinup_cold": ("cold spin-up", ("slower", "faster")),
    "spinup_warm": ("warm spin-up", ("slower", "faster")),
}
METRIC_NAMES = (*RATIO_METRICS, "accuracy")  # what `--metric` accepts ("accuracy": any accuracy metric)
REGRESSIONS = ("slower", "more energy", "worse")
NOT_TESTED = "not tested"


@dataclass
class Comparison:
    """One metric of one workload, A against B (see the README for every field)."""

    workload: str
    metric: str
    unit: str
    system_a: str
    system_b: str
    a: float
    b: float
    kind: str  # ratio (B ÷ A) | difference (B − A, percentage points)
    estimate: float
    low: float | None
    high: float | None
    method: str
    verdict: str
    runs_a: int
    runs_b: int
    repetitions_a: int
    repetitions_b: int
    note: str = ""
    warnings: list[str] = field(default_factory=list)  # latency: the runs' own stability warnings

    @property
    def regression(self) -> bool:
        return self.verdict in REGRESSIONS

    def to_json(self) -> dict:
        return dict(asdict(self), regression=self.regression)


@dataclass
class CompareReport:
    threshold: float
    accuracy_threshold_points: float
    confidence: float
    comparisons: list[Comparison] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    metrics: list[str] | None = None  # `--metric`: the only metrics kept (None: all)

    @property
    def regressions(self) -> list[Comparison]:
        return [c for c in self.comparisons if c.regression]

    def to_json(self, sources_a: list[str], sources_b: list[str]) -> dict:
        return {"schema": SCHEMA, "a": sources_a, "b": sources_b, "threshold": self.threshold,
                "accuracy_threshold_points": self.accuracy_threshold_points, "confidence": self.confidence,
                "comparisons": [c.to_json() for c in self.comparisons], "regressions": len(self.regressions),
                "unmatched": self.unmatched, "skipped": self.skipped, "metrics": self.metrics}


def compare(a: Loaded, b: Loaded, threshold: float = DEFAULT_THRESHOLD, accuracy_threshold: float = 0.0,
            confidence: float = 0.95, metrics: set[str] | None = None) -> CompareReport:
    """Every workload both sides measured; `metrics` (names of METRIC_NAMES) keeps only those comparisons."""
    report = CompareReport(threshold, accuracy_threshold, confidence, skipped=a.skipped + b.skipped)
    side_a, side_b = _by_workload(a.runs), _by_workload(b.runs)
    for workload in sorted(set(side_a) | set(side_b)):
        if workload not in side_a or workload not in side_b:
            report.unmatched.append(f"{workload}: only in {'A' if workload in side_a else 'B'}")
            continue
        for runs_a, runs_b in _pairs(workload, side_a[workload], side_b[workload], report.unmatched):
            report.comparisons += compare_runs(runs_a, runs_b, threshold, accuracy_threshold, confidence,
                                               report.unmatched)
    if metrics is not None:
        report.metrics = sorted(metrics)
        report.comparisons = [c for c in report.comparisons
                              if c.metric in metrics or ("accuracy" in metrics and c.metric.startswith("accuracy_"))]
    return report


def _by_workload(runs: list[RunRecord]) -> dict[str, dict[str, list[RunRecord]]]:
    grouped: dict[str, dict[str, list[RunRecord]]] = defaultdict(lambda: defaultdict(list))
    for run in runs:
        grouped[run.workload][run.system_key].append(run)
    return grouped


def _pairs(workload: str, a: dict, b: dict, unmatched: list[str]) -> list[tuple[list, list]]:
    """One system per side: compare them whatever their names. Several: pair equal systems."""
    if len(a) == 1 and len(b) == 1:
        return [(next(iter(a.values())), next(iter(b.values())))]
    pairs = [(a[key], b[key]) for key in sorted(set(a) & set(b))]
    for key in sorted(set(a) ^ set(b)):
        runs = a.get(key) or b.get(key)
        unmatched.append(f"{workload} on {runs[0].system}: only in {'A' if key in a else 'B'}")
    return pairs


def compare_runs(runs_a: list[RunRecord], runs_b: list[RunRecord], threshold: float,
                 accuracy_threshold: float = 0.0, confidence: float = 0.95,
                 unmatched: list[str] | None = None) -> list[Comparison]:
    """Every metric both sides measured, for one workload on one pair of systems."""
    unmatched = unmatched if unmatched is not None else []
    workload = runs_a[0].workload
    out = []
    for metric in RATIO_METRICS:
        samples_a = [r.metrics[metric] for r in runs_a if metric in r.metrics]
        samples_b = [r.metrics[metric] for r in runs_b if metric in r.metrics]
        if samples_a and samples_b:
            out.append(_ratio(workload, metric, runs_a, runs_b, samples_a, samples_b, threshold, confidence))
        elif samples_a or samples_b:
            unmatched.append(f"{workload} {metric}: measured only in {'A' if samples_a else 'B'}")
    acc_a = [r.accuracy for r in runs_a if r.accuracy is not None]
    acc_b = [r.accuracy for r in runs_b if r.accuracy is not None]
    if acc_a and acc_b and acc_a[0].metric == acc_b[0].metric:
        out.append(_accuracy(workload, runs_a, runs_b, acc_a, acc_b, accuracy_threshold, confidence))
    elif acc_a or acc_b:
        unmatched.append(f"{workload} accuracy: measured only in {'A' if acc_a else 'B'}"
                         if not (acc_a and acc_b) else f"{workload} accuracy: different metrics")
    return out


def _ratio(workload: str, metric: str, runs_a: list[RunRecord], runs_b: list[RunRecord],
           samples_a: list[MetricSamples], samples_b: list[MetricSamples], threshold: float,
           confidence: float) -> Comparison:
    words = RATIO_METRICS[metric][1]
    rates = samples_a[0].rates
    note = ""
    if all(s.reps is not None and s.rates == rates for s in samples_a + samples_b):
        reps_a, reps_b = [s.reps for s in samples_a], [s.reps for s in samples_b]
        estimate = cs.ratio_of_medians(reps_a, reps_b, confidence, higher_is_faster=rates)
        a_value, b_value = (_figure(reps_a, rates, samples_a[0].value),
                            _figure(reps_b, rates, samples_b[0].value))
        counts = (sum(r.values.size for r in reps_a), sum(r.values.size for r in reps_b))
        verdict = cs.ratio_verdict(estimate, threshold, words)
        if any(r.inner is not None and r.values.size < cs.INNER_BELOW_WINDOWS for r in reps_a + reps_b) \
                and estimate.method == "bootstrap":
            note = "bootstrap over windows and per-inference times"
    else:
        figures_a = np.array([s.value for s in samples_a])
        figures_b = np.array([s.value for s in samples_b])
        a_value, b_value = float(np.median(figures_a)), float(np.median(figures_b))
        counts = (figures_a.size, figures_b.size)
        if figures_a.size >= 2 and figures_b.size >= 2:
            estimate = cs.ratio_of_medians([cs.Repetitions(figures_a)], [cs.Repetitions(figures_b)], confidence)
            estimate = cs.Estimate(estimate.value, estimate.low, estimate.high, f"{estimate.method} over runs")
            verdict = cs.ratio_verdict(estimate, threshold, words)
            note = "only each run's figure is known: the runs are the repetitions"
        else:
            estimate = cs.Estimate(b_value / a_value, float("nan"), float("nan"), "medians-only")
            verdict = NOT_TESTED
            note = "one figure per side and no repetitions: a difference cannot be told from noise"
    warnings = [f"{side} {run.run_id}: {text}" for side, runs in (("A", runs_a), ("B", runs_b)) for run in runs
                for text in run.stability] if metric.startswith("latency") else []
    return Comparison(
        workload=workload, metric=metric, unit=samples_a[0].unit, system_a=runs_a[0].system,
        system_b=runs_b[0].system, a=a_value, b=b_value, kind="ratio", estimate=estimate.value,
        low=_finite(estimate.low), high=_finite(estimate.high), method=estimate.method, verdict=verdict,
        runs_a=len(samples_a), runs_b=len(samples_b), repetitions_a=counts[0], repetitions_b=counts[1], note=note,
        warnings=warnings[:20])


def _figure(reps: list[cs.Repetitions], rates: bool, published: float) -> float:
    """The pooled figure of one side: 1000 ÷ median throughput (ms) for rates, else the median."""
    if len(reps) == 1:
        return published
    median = cs.pooled_median(reps)
    return 1e3 / median if rates else median


def _finite(value: float) -> float | None:
    return value if np.isfinite(value) else None


def _accuracy(workload: str, runs_a: list[RunRecord], runs_b: list[RunRecord], acc_a: list[AccuracyFacts],
              acc_b: list[AccuracyFacts], threshold_points: float, confidence: float) -> Comparison:
    metric = acc_a[0].metric
    value_a = float(np.median([f.value for f in acc_a]))
    value_b = float(np.median([f.value for f in acc_b]))
    note = ""
    first_a, first_b = acc_a[0], acc_b[0]
    if (metric == "top1" and len(acc_a) == 1 and len(acc_b) == 1 and first_a.per_sample and first_b.per_sample
            and first_a.per_sample.keys() == first_b.per_sample.keys()):
        ids = sorted(first_a.per_sample)
        estimate = cs.paired_accuracy_difference(np.array([first_a.per_sample[i] for i in ids]),
                                                 np.array([first_b.per_sample[i] for i in ids]), confidence)
        note = f"paired over the same {len(ids)} samples"
    elif metric == "top1" and all(f.samples > 0 for f in acc_a + acc_b):
        k_a = sum(round(f.value * f.samples) for f in acc_a)
        k_b = sum(round(f.value * f.samples) for f in acc_b)
        n_a, n_b = sum(f.samples for f in acc_a), sum(f.samples for f in acc_b)
        estimate = cs.unpaired_accuracy_difference(k_a, n_a, k_b, n_b, confidence)
        note = f"unpaired: {k_a}/{n_a} against {k_b}/{n_b} correct"
    else:
        estimate = cs.Estimate((value_b - value_a) * (100.0 if metric != "auc" else 1.0), float("nan"),
                               float("nan"), "difference-only")
        note = ("no exact interval for AUC" if metric == "auc" else
                "no exact interval for detection AP" if metric != "top1" else "sample counts unknown")
    verdict = cs.difference_verdict(estimate, threshold_points) if estimate.method != "difference-only" else NOT_TESTED
    unit = "AUC" if metric == "auc" else "points"
    return Comparison(
        workload=workload, metric=f"accuracy_{metric}", unit=unit, system_a=runs_a[0].system,
        system_b=runs_b[0].system, a=value_a, b=value_b, kind="difference", estimate=estimate.value,
        low=_finite(estimate.low), high=_finite(estimate.high), method=estimate.method, verdict=verdict,
        runs_a=len(acc_a), runs_b=len(acc_b), repetitions_a=sum(f.samples for f in acc_a),
        repetitions_b=sum(f.samples for f in acc_b), note=note)


def format_text(report: CompareReport) -> str:
    """A human table: one line per workload and metric, then what could not be compared."""
    lines = []
    level = f"{report.confidence * 100:g}%"
    warned: set[tuple[str, str, str]] = set()
    for c in report.comparisons:
        if c.kind == "ratio":
            change = f"{c.estimate:.4f}x"
            interval = f"[{c.low:.4f}, {c.high:.4f}]" if c.low is not None else "(no interval)"
            figures = f"{_num(c.a)} → {_num(c.b)} {c.unit}"
        else:
            scale = 1.0 if c.unit == "AUC" else 100.0
            change = f"{c.estimate:+.2f} {c.unit}"
            interval = f"[{c.low:+.2f}, {c.high:+.2f}]" if c.low is not None else "(no interval)"
            figures = f"{_num(c.a * scale)} → {_num(c.b * scale)}{' %' if c.unit == 'points' else ''}"
        mark = "✗ " if c.regression else "  "
        lines.append(f"{mark}{c.workload:7} {RATIO_METRICS.get(c.metric, (c.metric,))[0]:21} {figures:28} "
                     f"{change:>11} {level} {interval:22} {c.verdict} ({c.method})")
        if c.system_a != c.system_b:
            lines.append(f"      A: {c.system_a} · B: {c.system_b}")
        if c.warnings and (c.workload, c.system_a, c.system_b) not in warned:  # once per pair, latency metrics
            warned.add((c.workload, c.system_a, c.system_b))
            lines.append(f"      ⚠ measured on an unstable or busy host, so the verdict is less reliable: "
                         f"{c.warnings[0]}" + (f" (+{len(c.warnings) - 1} more)" if len(c.warnings) > 1 else ""))
    if not report.comparisons:
        lines.append(f"nothing to compare: none of the chosen metrics ({', '.join(report.metrics)}) was measured on "
                     "both sides" if report.metrics else "nothing to compare: no workload was measured on both sides")
    lines += [f"not compared: {u}" for u in report.unmatched]
    lines += [f"skipped: {s}" for s in report.skipped]
    n = len(report.regressions)
    lines.append(f"{n} regression{'s' if n != 1 else ''} (threshold {report.threshold * 100:g}%, "
                 f"accuracy {report.accuracy_threshold_points:g} points, {level} confidence)")
    return "\n".join(lines)


def _num(value: float) -> str:
    if value == 0 or not np.isfinite(value):
        return f"{value:g}"
    digits = max(0, 4 - 1 - int(np.floor(np.log10(abs(value)))))
    return f"{value:,.{digits}f}"
