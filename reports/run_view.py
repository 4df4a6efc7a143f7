"""What a run page shows, prepared from one result.json (no other file is read)."""

from __future__ import annotations

from tinybench.reports import html_fragments, svg_charts
from tinybench.reports.formatting import NOT_MEASURED, number, percent, slug
from tinybench.reports.results_store import system_id


def _metrics(block: dict) -> list[tuple[str, str, float]]:
    return [(name.replace("_", " "), f"{number(q['value'])} {q['unit']}", q["value"])
            for name, q in block.get("metrics", {}).items()]


def performance(block: dict) -> dict:
    view = {"windows_html": html_fragments.windows(block.get("windows", [])),
            "per": block.get("per_inference_latency"), "clock": block.get("clock_source"), "chart": ""}
    hist = (view["per"] or {}).get("histogram_ms")
    if hist:
        view["chart"] = svg_charts.histogram(hist["edges"], hist["counts"], "latency per inference (ms)",
                                             "latency distribution")
        view["above"] = hist.get("above", 0)
    return view


def energy(block: dict) -> dict:
    charts = []
    for preview in block.get("trace_preview", []):
        charts.append(svg_charts.line(preview["t_s"], preview["power_mw"], "time (s)", "power (mW)",
                                      f"energy window {preview['window'] + 1}", (preview["t0_s"], preview["t1_s"])))
    return {"windows": block.get("windows", []), "instrument": block.get("instrument", {}), "charts": charts}


def accuracy(block: dict, labels: list[str]) -> dict:
    matrix = block.get("confusion_matrix")
    per_class = block.get("per_class") or {}
    return {
        "samples": block.get("samples"), "unreadable": block.get("unreadable", 0),
        "unreadable_samples": block.get("unreadable_samples", []),
        "target": block.get("quality_target") or {},
        "per_class": [(name, info["samples"], percent(info["accuracy"]) if info["accuracy"] is not None
                       else NOT_MEASURED) for name, info in per_class.items()],
        "labels": block.get("labels") or labels, "matrix": matrix,
        "ap_table": block.get("ap_table"), "ap_method": block.get("ap_method"),
    }


def run_view(result: dict) -> dict:
    target, model = result["target"], result["model"]
    notes = result.get("_notes", {})  # per mode: what the site could not recompute (never from the bundle)
    modes = []
    for name, block in result["modes"].items():
        section = {"name": name, "status": block["status"], "reason": block.get("reason"),
                   "metrics_html": html_fragments.metrics(_metrics(block)),
                   "checks_html": html_fragments.checks(block.get("checks", [])),
                   "valid": block.get("valid_for_submission", False), "notes": notes.get(name, [])}
        if block["status"] in ("measured", "failed"):
            if name == "performance":
                section["performance"] = performance(block)
            elif name == "energy":
                section["energy"] = energy(block)
            elif name == "accuracy" and block["status"] == "measured":
                section["accuracy"] = accuracy(block, result["workload"].get("labels", []))
            elif name == "spinup":
                section["spinup"] = html_fragments.phases(block.get("phases_median_ms", {}))
            elif name == "stream":
                from tinybench.reports.sww_views import stream_view

                section["stream"] = stream_view(block)
        modes.append(section)
    return {
        "result": result, "run_id": result["run_id"], "system": target["system"].get("name", ""),
        "system_slug": slug(system_id(result)), "workload": result["workload"]["id"], "target": target,
        "model": model, "modes": modes, "valid": result.get("valid_for_submission", False),
        "rules": result.get("rules", {}), "dataset": result.get("dataset", {}),
        "memory": result.get("memory_bytes", {}), "errors": result.get("errors", []),
        "environment": result.get("environment", {}),
        "simulation": result.get("simulation"),
    }
