"""Result bundles: schema, atomic publication, nothing half-written."""

import json
import os

import pandas as pd
import pytest

from tinybench.bundle import BundleWriter, atomic_write_bytes
from tinybench.errors import TinybenchError
from tinybench.result_schema import validation_errors


SPEC = {"shape": [1, 49, 10, 1], "dtype": "int8", "scale": 0.5, "zero_point": 0}


def minimal_result(run_id: str = "r1") -> dict:
    return {
        "schema": "tinybench.result/1",
        "run_id": run_id,
        "session_id": "s1",
        "created_utc": "2026-01-01T00:00:00Z",
        "finished_utc": "2026-01-01T00:01:00Z",
        "tinybench_version": "0.1.0",
        "target": {"adapter": "host", "options": {}, "capabilities": ["latency"],
                   "system": {"target": "host", "name": "x", "processor": "x", "clock_hz": None,
                              "runtime": "ai-edge-litert", "runtime_version": "2"}},
        "workload": {"id": "kws01", "task": "t", "input": SPEC, "output": SPEC, "metric": "top1",
                     "quality_target": {"metric": "top1", "minimum": 0.9}},
        "model": {"source": "builtin", "sha256": "0" * 64, "bytes": 1, "division": "open", "trained": False,
                  "op_counts": {"CONV_2D": 1}, "parameters": 1, "macs": 1, "input": SPEC, "output": SPEC},
        "dataset": {"kind": "synthetic", "samples": ["a"]},
        "rules": {"name": "quick", "windows": 5, "min_window_s": 0.2, "submission": False},
        "modes": {
            "performance": {"status": "measured", "reason": None,
                            "metrics": {"latency_median": {"value": 1.0, "unit": "ms"}},
                            "checks": [{"rule": "windows", "passed": True, "detail": "5"}],
                            "valid_for_submission": True, "files": {}},
            "energy": {"status": "not_measured", "reason": "no power monitor", "metrics": {}, "checks": [],
                       "valid_for_submission": False, "files": {}},
        },
        "valid_for_submission": False,
        "environment": {},
        "errors": [],
        "files": {},
    }


def test_minimal_result_is_valid():
    assert validation_errors(minimal_result()) == []


@pytest.mark.parametrize("mutate", [
    lambda r: r.pop("model"),
    lambda r: r["model"].update(sha256="xyz"),
    lambda r: r["modes"]["performance"]["metrics"].update(latency_median={"value": 1.0}),  # no unit
    lambda r: r["modes"].update(accuracy={**r["modes"]["energy"], "reason": None}),  # not measured, no reason
    lambda r: r["modes"]["energy"]["metrics"].update(x={"value": 0.0, "unit": "uJ"}),  # invented number
    lambda r: r["modes"].update(bogus=r["modes"]["energy"]),
    lambda r: r.update(run_id="../escape"),
    lambda r: r.update(run_id="x" * 151),  # page names stay short and unique (no truncation)
    lambda r: r.update(surprise=1),  # unknown fields are refused
    lambda r: r["target"]["system"].update(name="n" * 201),  # names ≤ 200 characters
    lambda r: r["target"]["system"].update(name=""),
    lambda r: r["workload"].update(id="../../etc"),
    lambda r: r["modes"]["performance"]["metrics"]["latency_median"].update(value=float("inf")),  # finite only
    lambda r: r["modes"]["performance"]["metrics"]["latency_median"].update(value=float("nan")),
    lambda r: r["modes"]["performance"]["metrics"]["latency_median"].update(value="<b>1</b>"),
    lambda r: r["modes"]["performance"].update(windows=[{"window": "<script>", "iterations": 1, "elapsed_s": 1.0,
                                                         "throughput_inf_s": 1.0}]),
    lambda r: r["target"]["system"].update(details={"k": {"deeper": {"deepest": {"x": 1}}}}),  # bounded nesting
    lambda r: r["model"].update(division_basis="trust me"),
    lambda r: r.update(created_utc="yesterday"),
    lambda r: r["errors"].extend(["e"] * 101),
])
def test_schema_rejects_broken_results(mutate):
    result = minimal_result()
    mutate(result)
    assert validation_errors(result)


def test_new_fields_are_local_additions_and_old_bundles_still_validate():
    from tinybench.result_schema import result_schema

    schema = result_schema()
    assert {"mode_performance", "mode_accuracy", "mode_energy", "mode_spinup", "mode_base"} <= set(schema["$defs"])
    result = minimal_result()
    result["model"]["division_basis"] = "declared"  # the issue-12 field; absent in older bundles
    assert validation_errors(result) == []


def test_bundle_appears_only_when_committed(tmp_path):
    writer = BundleWriter(tmp_path, "r1")
    writer.write_table("t.csv", pd.DataFrame({"a": [1, 2]}))
    writer.write_table("t.parquet", pd.DataFrame({"a": [1, 2]}))
    assert not (tmp_path / "r1").exists()
    assert (tmp_path / ".partial-r1" / "t.csv").exists()
    final = writer.commit(minimal_result())
    assert final == tmp_path / "r1"
    assert not (tmp_path / ".partial-r1").exists()
    data = json.loads((final / "result.json").read_text())
    assert data["files"]["log"] == "run.log"
    assert pd.read_parquet(final / "t.parquet")["a"].tolist() == [1, 2]
    assert not [p for p in final.iterdir() if p.name.endswith(".tmp")]


def test_invalid_result_is_not_published(tmp_path):
    writer = BundleWriter(tmp_path, "r1")
    broken = minimal_result()
    broken.pop("modes")
    with pytest.raises(RuntimeError, match="schema"):
        writer.commit(broken)
    assert not (tmp_path / "r1").exists()
    assert not (tmp_path / ".partial-r1" / "result.json").exists()


def test_existing_bundle_is_never_overwritten(tmp_path):
    BundleWriter(tmp_path, "r1").commit(minimal_result())
    with pytest.raises(TinybenchError, match="already exists"):
        BundleWriter(tmp_path, "r1")


def test_atomic_write_keeps_the_old_file_when_interrupted(tmp_path, monkeypatch):
    target = tmp_path / "result.json"
    target.write_text("old")

    def fail(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", fail)  # the interrupt lands between write and rename
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(target, b"new and longer")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]
