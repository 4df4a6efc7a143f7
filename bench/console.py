"""Terminal output of `tinybench run`: the run summary table (progress bars: `progress_bars`).

Every text that can come from outside (sample ids, file names, device replies, reasons) is
shown with control characters escaped and without Rich markup interpretation, so it cannot
repaint or restyle the terminal.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from tinybench.progress_bars import RichProgressReporter, safe, stderr  # noqa: F401 - re-exported for the CLI
from tinybench.reports.safe_text import for_terminal
from tinybench.runner import WorkloadResult
from tinybench.stability import console_lines as stability_lines

MLPERF_NAMES = {"kws01": "kws", "vww01": "vww", "ic01": "ic", "ic02": "ic2", "ad01": "ad",
                "sww01": "sww"}  # submittable workloads (MLPerf Tiny's model folder names)
REQUIRED_MODES = {"sww01": (("stream", "-m stream --model reference on the official 20-minute stream: "
                                       "--data sww_long_test.json"),)}
DEFAULT_REQUIRED = (("performance", "-m performance under the full rules"),
                    ("accuracy", "-m accuracy --data DIR with a trained model"))


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
    if mode == "stream":
        scores = (f"{m['true_positives']['value']:.0f} TP / {m['false_negatives']['value']:.0f} FN / "
                  f"{m['false_positives']['value']:.0f} FP; " if "true_positives" in m else "not scored (untrained); ")
        power = f"; {_fmt(m['power_average']['value'], 'mW')}" if "power_average" in m else ""
        return (f"{scores}duty cycle {m['duty_cycle']['value']:.4g} ({_fmt(m['processing_time_mean']['value'], 'ms')} "
                f"per {m['period_mean']['value']:.3g}-ms frame), {_fmt(m['throughput']['value'], 'inf/s')}; "
                f"real-time factor {m['real_time_factor']['value']:.3g}{power}")
    return ", ".join(f"{k} {_fmt(v['value'], v['unit'])}" for k, v in m.items())


def submission_needs(result: dict) -> list[str]:
    """What a submission of this workload would still need (empty: nothing; the checker has the last word).

    MLPerf Tiny requires performance and accuracy for every model but sww, which is one stream
    run (detections, duty cycle, throughput and power together); accuracy needs a trained
    model; every measured mode must follow the full rules; the closed division needs the
    reference model and its quality target.
    """
    workload = result["workload"]["id"]
    if workload not in MLPERF_NAMES:
        return [f"{workload} has no MLPerf Tiny submission category"]
    modes, model, needs = result["modes"], result["model"], []
    for mode, how in REQUIRED_MODES.get(workload, DEFAULT_REQUIRED):
        block = modes.get(mode)
        if block is None or block["status"] != "measured":
            needs.append(f"a measured {mode} result ({how}; it may come from another run)")
    if not model["trained"]:
        needs.append("a trained model: the built-in one has untrained weights, so its accuracy is not accepted "
                     "(--model reference or your own .tflite)")
    for mode, block in modes.items():
        if block["status"] == "measured":
            needs += [f"{mode}: {c['detail']}" for c in block["checks"]
                      if not c["passed"] and not (c["rule"] == "quality_target" and model["division"] == "open")]
    return needs


def print_summary(results: list[WorkloadResult], console: Console) -> None:
    """A table (workload × mode) followed, per workload, by what a submission would still need."""
    table = Table(title="tinybench results", expand=False)
    table.add_column("workload")
    table.add_column("mode")
    table.add_column("result", overflow="fold")
    table.add_column("rules met")
    for res in results:
        for mode, block in res.result["modes"].items():
            failed = [c["rule"] for c in block["checks"] if not c["passed"]]
            valid = "yes" if block["valid_for_submission"] else ("no: " + ", ".join(failed) if failed else "no")
            table.add_row(*(Text(for_terminal(cell)) for cell in (res.workload, mode, mode_summary(mode, block), valid)))
    console.print(table)
    for res in results:
        model = res.result["model"]
        needs = submission_needs(res.result)
        untrained = ", untrained weights" if not model["trained"] else ""
        basis = ", declared by the submitter" if model.get("division_basis") == "declared" else ""
        facts = f"({model['division']} division{basis}, {model['source']} model{untrained})"
        if needs:
            console.print(Text(for_terminal(f"{res.workload}: ready for submission: no {facts}; still needed:")))
            for need in needs:
                console.print(Text(for_terminal(f"    ✗ {need}")))
        else:
            console.print(Text(for_terminal(f"{res.workload}: ready for submission: yes {facts} — "
                                            "check the packed archive with `tinybench submit check`")))
        for line in stability_lines(res.result):
            console.print(line, markup=False, highlight=False, soft_wrap=True)
        console.print(Text(for_terminal(f"    bundle: {res.bundle}")), soft_wrap=True)
