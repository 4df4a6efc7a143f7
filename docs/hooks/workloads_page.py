"""The workloads reference: one facts table per registered workload, from the registry.

Reads `tinybench.workloads.WORKLOADS` (built-ins and installed plugins) and the
built-in models' manifest, so a workload added to the registry appears here with no edit.
"""

from __future__ import annotations

from typing import Any

from schema_page import cell, code


def _tensor(spec: dict | None) -> str:
    if not spec:
        return "—"
    text = "×".join(str(d) for d in spec.get("shape", ())) + f" {spec.get('dtype', '?')}"
    if "scale" in spec:
        text += f" (scale {spec['scale']:.9g}, zero point {spec.get('zero_point')})"
    return cell(text)


def _builtin_rows(entry: dict | None) -> list[tuple[str, str]]:
    if not entry:
        return [("built-in model", "none")]
    ops = ", ".join(f"{op} ×{n}" for op, n in sorted(entry.get("op_counts", {}).items()))
    return [
        ("built-in model", f"{code(entry.get('file', '?'))}, {entry.get('bytes', 0):,} bytes, "
                           f"{'trained' if entry.get('trained') else 'untrained weights (never used for accuracy)'}"),
        ("built-in SHA-256", code(entry.get("sha256", "?"))),
        ("parameters / MACs", f"{entry.get('parameters', 0):,} / {entry.get('macs', 0):,}"),
        ("operators", cell(ops) or "—"),
    ]


def _reference_rows(ref: dict | None) -> list[tuple[str, str]]:
    if not ref:
        return [("reference model", "none: no official MLPerf Tiny model (no closed division)")]
    return [
        ("reference model", f"{code(ref['file'])}, {ref['bytes']:,} bytes — [pinned URL]({ref['url']})"),
        ("reference SHA-256", code(ref["sha256"])),
    ]


def workload_section(workload: Any, builtin: dict | None) -> str:
    s = workload.summary()
    labels = s.get("labels", [])
    facts: list[tuple[str, str]] = [
        ("task", cell(s.get("task", ""))),
        ("model family", cell(s.get("model_family", ""))),
        ("model input (reference quantization)", _tensor(s.get("input"))),
        ("model output", _tensor(s.get("output"))),
    ]
    for extra in s.get("extra_outputs", []) or []:
        facts.append(("further output", _tensor(extra)))
    raw = s.get("raw_input")
    if raw:
        facts.append(("raw sample", cell("×".join(map(str, raw.get("shape", ()))) + f" {raw.get('dtype', '')}: "
                                         f"{raw.get('description', '')}")))
    facts.append((f"labels ({len(labels)})", ", ".join(code(label) for label in labels) or "—"))
    facts.append(("metric", code(s.get("metric", "?"))))
    facts.append(("closed-division quality target", cell(workload.quality_target.describe())))
    datasets = getattr(workload, "datasets", ()) or ()
    facts.append(("dataset formats it reads", ", ".join(code(d) for d in datasets) or "—"))
    facts += _reference_rows(s.get("reference_model"))
    facts += _builtin_rows(builtin)
    known = {"id", "title", "task", "model_family", "input", "output", "raw_input", "labels", "metric",
             "quality_target", "reference_model", "extra_outputs"}
    for key, value in s.items():  # fields a newer workload description adds
        if key not in known:
            facts.append((cell(key.replace("_", " ")), code(value)))
    table = "| fact | value |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in facts)
    return f"## {s['id']}: {cell(s.get('title', ''))} {{#{s['id']}}}\n\n{table}\n"


def render() -> str:
    from tinybench.workloads import WORKLOADS
    from tinybench.workloads.builtin_models import manifest

    built = manifest().get("models", {})
    names = WORKLOADS.names()
    items = [WORKLOADS.get(name) for name in names]
    overview = ["| id | task | input | quality target | official model |", "|---|---|---|---|---|"]
    for w in items:
        s = w.summary()
        overview.append(f"| [{s['id']}](#{s['id']}) | {cell(s.get('title', ''))} | {_tensor(s.get('input'))} | "
                        f"{cell(w.quality_target.describe())} | {'yes' if s.get('reference_model') else 'no'} |")
    sections = [workload_section(w, built.get(w.id)) for w in items]
    return "\n".join(overview) + "\n\n" + "\n".join(sections)
