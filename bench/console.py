"""Terminal output: progress bars on stderr and the run summary table."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, Progress as RichProgress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from tinybench.runner import WorkloadResult
from tinybench.stability import console_lines as stability_lines

stderr = Console(stderr=True)


class _RichTask:
    def __init__(self, progress: RichProgress, task_id: int) -> None:
        self._progress = progress
        self._id = task_id

    def advance(self, amount: float = 1.0) -> None:
        self._progress.advance(self._id, amount)

    def describe(self, text: str) -> None:
        self._progress.update(self._id, description=text)

    def finish(self) -> None:
        self._progress.remove_task(self._id)


class RichProgressReporter:
    """Progress bars with elapsed time on stderr (silent when stderr is not a terminal)."""

    def __init__(self) -> None:
        self._progress = RichProgress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
            console=stderr, transient=True,
        )

    def __enter__(self) -> RichProgressReporter:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def task(self, description: str, total: float | None = None) -> _RichTask:
        return _RichTask(self._progress, self._progress.add_task(description, total=total))

    def note(self, text: str) -> None:
        self._progress.console.print(f"[bold]▶[/bold] {text}")


def _fmt(value: float, unit: str) -> str:
    if value >= 100:
        return f"{value:,.0f} {unit}"
    if value >= 1:
        return f"{value:.3g} {unit}" if value < 10 else f"{value:.1f} {unit}"
    return f"{value:.3g} {unit}"


def mode_summary(mode: str, block: dict) -> str:
    """One human line for a mode's result."""
    if block["status"] != "measured":
        return f"{block['status'].replace('_', ' ')}: {block['reason']}"
    m = block["metrics"]
    if mode == "performance":
        text = (f"latency {_fmt(m['latency_median']['value'], 'ms')}, "
                f"{_fmt(m['throughput_median']['value'], 'inf/s')} ({len(block['windows'])} windows)")
        per = block.get("per_inference_latency")
        if per:
            text += f"; p99 {_fmt(per['p99'], 'ms')}"
        return text
    if mode == "spinup":
        parts = [f"{kind} {_fmt(m[f'spinup_{kind}_median']['value'], 'ms')}"
                 for kind in ("cold", "warm") if f"spinup_{kind}_median" in m]
        return ", ".join(parts)
    if mode == "accuracy":
        target = block["quality_target"]
        name, value = next(iter(m.items()))
        shown = {"top1": f"top-1 {value['value']:.2%}", "auc": f"AUC {value['value']:.4f}"}.get(
            name, f"Car AP|R40 (moderate) {value['value']:.2%}")
        verdict = "meets" if target["met"] else "misses"
        unread = f", {block['unreadable']} unreadable" if block["unreadable"] else ""
        return f"{shown} over {block['samples']} samples{unread} ({verdict} the {target['minimum']:g} target)"
    return ", ".join(f"{k} {_fmt(v['value'], v['unit'])}" for k, v in m.items())


def print_summary(results: list[WorkloadResult], console: Console) -> None:
    """A table (workload × mode) followed by one verdict line per workload."""
    table = Table(title="tinybench results", expand=False)
    table.add_column("workload")
    table.add_column("mode")
    table.add_column("result", overflow="fold")
    table.add_column("valid")
    for res in results:
        for mode, block in res.result["modes"].items():
            failed = [c["rule"] for c in block["checks"] if not c["passed"]]
            valid = "yes" if block["valid_for_submission"] else ("no: " + ", ".join(failed) if failed else "no")
            table.add_row(res.workload, mode, mode_summary(mode, block), valid)
    console.print(table)
    for res in results:
        model = res.result["model"]
        verdict = "yes" if res.result["valid_for_submission"] else "no"
        untrained = ", untrained weights" if not model["trained"] else ""
        console.print(f"{res.workload}: valid for submission: {verdict} "
                      f"({model['division']} division, {model['source']} model{untrained})")
        reasons = [f"{mode}: {c['detail']}" for mode, block in res.result["modes"].items()
                   for c in block["checks"] if not c["passed"]]
        for reason in reasons:
            console.print(f"    ✗ {reason}")
        for line in stability_lines(res.result):
            console.print(line, markup=False, highlight=False, soft_wrap=True)
        console.print(f"    bundle: {res.bundle}", soft_wrap=True)
