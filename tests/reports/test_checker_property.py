"""Property: whatever is changed in a valid submission's raw files or figures, the checker never accepts
a figure that differs from the one recomputed (here, independently, with numpy) from the raw data."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tinybench.reports.submission_check import check_submission

from .conftest import mode_folder, refresh_manifest

pytestmark = [pytest.mark.needs_reference, pytest.mark.slow]
REL = 1e-6
FACTORS = st.sampled_from([1.0, 1.0 + 1e-12, 1.0 + 1e-7, 1.0001, 1.01, 0.5, 2.0, 0.0, -1.0])


def _rewrite_csv(path: Path, row: int, column: str, change) -> None:  # noqa: ANN001
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    rows[row % len(rows)][column] = change(rows[row % len(rows)][column])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue())


def _scale(factor: float):  # noqa: ANN202
    def change(text: str) -> str:
        value = float(text) * factor
        return str(int(value)) if text.lstrip("-").isdigit() else repr(value)
    return change


def _edit_figure(path: Path, keys: tuple, factor: float) -> None:
    data = json.loads(path.read_text())
    target = data
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = target[keys[-1]] * factor if isinstance(target[keys[-1]], float) else target[keys[-1]]
    path.write_text(json.dumps(data))


MUTATIONS = [
    ("windows-elapsed", lambda root, row, f: _rewrite_csv(mode_folder(root, "performance") / "performance_windows.csv",
                                                         row, "elapsed_s", _scale(f))),
    ("windows-iterations", lambda root, row, f: _rewrite_csv(
        mode_folder(root, "performance") / "performance_windows.csv", row, "iterations", _scale(f))),
    ("latency-sample", lambda root, row, f: _scale_parquet(mode_folder(root, "performance")
                                                           / "performance_inferences.parquet", row, f)),
    ("prediction", lambda root, row, f: _rewrite_csv(mode_folder(root, "accuracy") / "accuracy_predictions.csv",
                                                     row, "predicted", lambda t: str(int(abs(f * 7)) % 12))),
    ("spinup-total", lambda root, row, f: _rewrite_csv(mode_folder(root, "spinup") / "spinup.csv", row, "total_ms",
                                                       _scale(f))),
    ("throughput", lambda root, row, f: _edit_figure(mode_folder(root, "performance") / "result.json",
                                                     ("modes", "performance", "metrics", "throughput_median", "value"), f)),
    ("p90", lambda root, row, f: _edit_figure(mode_folder(root, "performance") / "result.json",
                                              ("modes", "performance", "per_inference_latency", "p90"), f)),
    ("top1", lambda root, row, f: _edit_figure(mode_folder(root, "accuracy") / "result.json",
                                               ("modes", "accuracy", "metrics", "top1", "value"), f)),
    ("cold-median", lambda root, row, f: _edit_figure(mode_folder(root, "spinup") / "result.json",
                                                      ("modes", "spinup", "metrics", "spinup_cold_median", "value"), f)),
]


def _scale_parquet(path: Path, row: int, factor: float) -> None:
    table = pd.read_parquet(path)
    column = table["latency_ns"].astype(np.int64).to_numpy().copy()
    column[row % len(column)] = int(column[row % len(column)] * factor)
    table["latency_ns"] = column
    table.to_parquet(path, index=False)


def _independent(root: Path) -> dict[str, float]:
    """The figures, recomputed here from the (mutated) raw files with plain numpy/pandas."""
    perf = mode_folder(root, "performance")
    windows = pd.read_csv(perf / "performance_windows.csv")
    samples = pd.read_parquet(perf / "performance_inferences.parquet")
    elapsed = samples.groupby("window")["latency_ns"].sum().to_numpy() / 1e9
    throughput = float(np.median(windows["iterations"].to_numpy() / elapsed))
    latency_ms = samples["latency_ns"].to_numpy() / 1e6
    predictions = pd.read_csv(mode_folder(root, "accuracy") / "accuracy_predictions.csv")
    spinup = pd.read_csv(mode_folder(root, "spinup") / "spinup.csv")
    return {"throughput_median": throughput, "latency_median": 1e3 / throughput,
            "p50": float(np.percentile(latency_ms, 50)), "p90": float(np.percentile(latency_ms, 90)),
            "p99": float(np.percentile(latency_ms, 99)), "mean": float(latency_ms.mean()),
            "top1": float((predictions["predicted"] == predictions["label"]).mean()),
            "spinup_cold_median": float(spinup[spinup["kind"] == "cold"]["total_ms"].median()),
            "spinup_warm_median": float(spinup[spinup["kind"] == "warm"]["total_ms"].median())}


def _published(records: list[dict]) -> dict[str, float]:
    figures = {}
    for record in records:
        for block in record["modes"].values():
            figures.update({k: v["value"] for k, v in block["metrics"].items()})
            figures.update({k: v for k, v in (block.get("per_inference_latency") or {}).items()
                            if k in ("p50", "p90", "p99", "mean")})
    return figures


OUTCOMES: list[bool] = []


@settings(max_examples=45, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=st.sampled_from(MUTATIONS), row=st.integers(0, 10_000), factor=FACTORS)
def test_the_checker_never_accepts_a_figure_its_raw_data_does_not_support(closed_submission, tmp_path_factory,
                                                                           mutation, row, factor):
    root = tmp_path_factory.mktemp("mutated") / "s"
    shutil.copytree(closed_submission.folder, root)
    mutation[1](root, row, factor)
    refresh_manifest(root)  # a forger refreshes the hashes too
    report = check_submission(root)
    OUTCOMES.append(report.accepted)
    if not report.accepted:
        assert report.problems
        return
    truth, published = _independent(root), _published(report.results)
    for name, value in published.items():
        assert value == pytest.approx(truth[name], rel=REL), f"{mutation[0]} ×{factor}: published {name} {value}, " \
                                                              f"raw data says {truth[name]}"


def test_the_property_saw_both_verdicts():
    """Guards the property test above (run just before): it must have seen accepted and refused examples."""
    if not OUTCOMES:
        pytest.skip("the property test did not run in this session")
    assert any(OUTCOMES) and not all(OUTCOMES)
