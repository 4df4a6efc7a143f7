"""Importing MLPerf Tiny results: the published repository layout and runner session folders."""

import json
import subprocess
import sys

import pytest

from tinybench.reports.mlperf_import import import_results
from tinybench.reports.results_store import load_bundles
from tinybench.result_schema import validation_errors


@pytest.fixture
def published(tmp_path):
    """tiny_results layout: closed/ST/results/NUCLEO/kws/{performance,accuracy,energy}/results.txt"""
    base = tmp_path / "repo" / "closed" / "STMicroelectronics"
    (base / "systems").mkdir(parents=True)
    (base / "systems" / "NUCLEO_L4R5ZI.json").write_text(json.dumps(
        {"Board Name": "NUCLEO-L4R5ZI", "Processor(s) Name": "Arm Cortex-M4", "Inference Framework": "X-CUBE-AI"}))
    lines = {
        "performance": "0808.232415 ulp-mlperf: Median throughput is     23.046 inf./sec.\n",
        "accuracy": "0809.000548 ulp-mlperf: Top 1% = 91.3\n",
        "energy": "0810.1 ulp-mlperf: Median energy cost is 1430.6681 uJ/inf.\n",
    }
    for mode, text in lines.items():
        folder = base / "results" / "NUCLEO_L4R5ZI" / "kws" / mode
        folder.mkdir(parents=True)
        (folder / "results.txt").write_text("some preamble\n" + text)
    (base / "results" / "NUCLEO_L4R5ZI" / "kws" / "performance" / "results.json").write_text(json.dumps(
        [{"file": "tst_000000_Stop_7.bin", "infer": {"elapsed_time": 10.85, "iterations": 250, "warmups": 1}}]))
    return tmp_path / "repo"


def test_published_layout(published, tmp_path):
    report = import_results(published, tmp_path / "out")
    assert len(report.bundles) == 3 and report.skipped == []
    results = {r["modes"].__iter__().__next__(): r for r in load_bundles([tmp_path / "out"]).bundles}
    for result in results.values():
        assert validation_errors({k: v for k, v in result.items() if k != "_bundle"}) == []
        assert result["origin"] == "MLPerf Tiny (published)"
        assert result["target"]["system"]["name"] == "STMicroelectronics: NUCLEO-L4R5ZI"
        assert result["model"]["division"] == "closed" and result["model"]["sha256"] is None  # unknown, not invented
        assert result["valid_for_submission"] is False
    perf = results["performance"]["modes"]["performance"]
    assert perf["metrics"]["latency_median"]["value"] == pytest.approx(1000 / 23.046)
    assert perf["windows"][0]["iterations"] == 250
    assert results["accuracy"]["modes"]["accuracy"]["metrics"]["top1"]["value"] == pytest.approx(0.913)
    assert results["accuracy"]["modes"]["accuracy"]["quality_target"]["met"] is True
    assert results["energy"]["modes"]["energy"]["metrics"]["energy_per_inference_median"]["value"] == 1430.6681


def test_runner_session_folder(tmp_path):
    session = tmp_path / "sessions" / "20250301_101500"
    session.mkdir(parents=True)
    (session / "log.txt").write_text("... m-profile-[ULPMark for tinyML Firmware V0.0.1]\nm-model-[ad01]\n")
    (session / "results.txt").write_text("0809.1 ulp-mlperf: AUC = 0.978\n")
    report = import_results(tmp_path / "sessions", tmp_path / "out")
    assert len(report.bundles) == 1
    result = load_bundles([tmp_path / "out"]).bundles[0]
    assert result["created_utc"] == "2025-03-01T10:15:00Z"
    assert result["modes"]["accuracy"]["metrics"]["auc"]["value"] == pytest.approx(0.978)
    assert (report.bundles[0] / "source_results.txt").exists()


def test_unusable_folders_are_reported(tmp_path):
    (tmp_path / "s" / "x").mkdir(parents=True)
    (tmp_path / "s" / "x" / "results.txt").write_text("nothing here\n")
    proc = subprocess.run([sys.executable, "-m", "tinybench", "import", "mlperf-tiny", str(tmp_path / "s"), "--out",
                           str(tmp_path / "o")], capture_output=True, text=True)
    assert proc.returncode == 1 and "cannot tell the workload" in proc.stderr


def test_imported_results_appear_on_the_site(published, tmp_path):
    import_results(published, tmp_path / "out")
    from tinybench.reports.site import build_site

    site = build_site([tmp_path / "out"], tmp_path / "site").out
    board = (site / "leaderboard" / "kws01.html").read_text()
    assert "STMicroelectronics: NUCLEO-L4R5ZI" in board and "MLPerf Tiny (published)" in board
    assert "1,431" in board or "1430.7" in board or "1,430.7" in board
