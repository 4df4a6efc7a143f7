"""Leaderboard rows: one per (system, workload, division), newest measured figure of each mode.

Rows are ordered by latency (missing last), then system name, system and division, so the order is
total and the same however the rows were computed; a board of more than `ROWS_PER_PAGE` rows is
split into pages (`<workload>.html`, `<workload>.p2.html`, …) so that no page grows past ~1 MB.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from tinybench.reports.formatting import NOT_MEASURED, number, percent, slug
from tinybench.reports.results_store import system_id

# (column key, heading, unit, how to get the value from a result)
COLUMNS = [
    ("latency", "Latency", "ms", ("performance", "latency_median")),
    ("throughput", "Throughput", "inf/s", ("performance", "throughput_median")),
    ("energy", "Energy", "µJ/inf", ("energy", "energy_per_inference_median")),
    ("power", "Power", "mW", ("energy", "power_average")),
    ("accuracy", "Accuracy", "", ("accuracy", None)),
    ("spinup", "Spin-up (cold)", "ms", ("spinup", "spinup_cold_median")),
    ("model", "Model", "bytes", None),
    ("arena", "Arena", "bytes", None),
]


@dataclass
class Cell:
    value: float | None
    text: str  # (None only while `leaderboard` runs)
    run_id: str | None = None
    note: str = ""  # why it is missing, or whether it meets the target
    ok: bool | None = None


@dataclass
class Row:
    system: str
    system_slug: str
    target: str
    division: str
    model_source: str
    created: str
    origin: str = "tinybench"
    basis: str = "verified"  # division: "verified" (model file hashed) or "declared" by the submitter
    cells: dict[str, Cell] = field(default_factory=dict)
    valid: bool = False
    runs: list[str] = field(default_factory=list)


def _accuracy_cell(block: dict, run_id: str) -> Cell:
    metrics = block.get("metrics", {})
    target = block.get("quality_target") or {}
    if target.get("metric") == "auc" and "auc" in metrics:  # the workload's own metric first (ad01 prints a top-1 too)
        value = metrics["auc"]["value"]
        text = f"AUC {value:.4f}"
    elif "top1" in metrics:
        value = metrics["top1"]["value"]
        text = percent(value)
    elif "car_ap_r40_moderate" in metrics:
        value = metrics["car_ap_r40_moderate"]["value"]
        text = f"Car AP {percent(value)}"
    else:
        value = metrics["auc"]["value"]
        text = f"AUC {value:.4f}"
    met = target.get("met")
    note = f"target {target.get('minimum')}: {'met' if met else 'not met'}" if target else ""
    return Cell(value, text, run_id, note, met)


def leaderboard(results: list[dict], workload: str) -> list[Row]:
    rows: dict[tuple[str, str], Row] = {}
    for result in sorted((r for r in results if r["workload"]["id"] == workload), key=lambda r: r["created_utc"]):
        key = (system_id(result), result["model"]["division"])
        system = result["target"]["system"].get("name", "")
        row = rows.get(key)
        if row is None:
            row = rows[key] = Row(system, slug(key[0]), result["target"]["adapter"], result["model"]["division"],
                                  result["model"]["source"], result["created_utc"])
            for column, *_ in COLUMNS:
                row.cells[column] = Cell(None, NOT_MEASURED, note="no run measured it")
        row.created = result["created_utc"]
        row.origin = result.get("origin", "tinybench")
        row.basis = result["model"].get("division_basis", "verified")
        row.runs.append(result["run_id"])
        for column, _, unit, source in COLUMNS:
            if source is None:
                continue
            mode, metric = source
            block = result["modes"].get(mode)
            if block is None:
                continue
            if block["status"] != "measured":
                if row.cells[column].value is None:
                    row.cells[column] = Cell(None, NOT_MEASURED, result["run_id"], block.get("reason") or "")
                continue
            if column == "accuracy":
                row.cells[column] = _accuracy_cell(block, result["run_id"])
            elif metric in block["metrics"]:
                row.cells[column] = Cell(block["metrics"][metric]["value"], None, result["run_id"])  # text: below
        memory = result.get("memory_bytes", {})
        row.cells["model"] = Cell(result["model"]["bytes"], None, result["run_id"])
        if memory.get("arena_used") is not None:
            row.cells["arena"] = Cell(memory["arena_used"], None, result["run_id"])
        row.valid = bool(result.get("valid_for_submission"))
    for row in rows.values():  # numbers formatted once, for the runs that stay (not for each older run)
        for key, cell in row.cells.items():
            if cell.text is None:
                cell.text = number(cell.value, 6 if key in ("model", "arena") else 4)
    return sorted(rows.values(), key=order)


ROWS_PER_PAGE = 1000  # ≈ 1.1 kB of HTML a row: a page stays near 1 MB


def order(row: Row) -> tuple:
    latency = row.cells["latency"].value
    return latency is None, latency or 0, row.system.lower(), row.system, row.system_slug, row.division


def row_to_json(row: Row) -> dict:
    return asdict(row)


def row_from_json(data: dict) -> Row:
    return Row(**dict(data, cells={k: Cell(**c) for k, c in data["cells"].items()}))


def page_names(workload: str, rows: int, per_page: int = ROWS_PER_PAGE) -> list[str]:
    """The page names of a board of `rows` rows: `workload`, then `workload.p2`, … (ids have no dots)."""
    count = max(1, -(-rows // per_page))
    return [workload] + [f"{workload}.p{i}" for i in range(2, count + 1)]
