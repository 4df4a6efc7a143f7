"""det01 end to end: quick run, the built-in model's budget, training and KITTI accuracy."""

import json
import subprocess

import pytest

from tinybench.workloads import get_workload
from tinybench.workloads.builtin_models import builtin_model


def test_builtin_detector_fits_mcu_budgets():
    model = builtin_model(get_workload("det01"))
    assert model.size_bytes < 1_000_000 and model.graph.parameters < 1_000_000  # int8 weights ≤ 1 MB
    assert model.graph.macs < 200_000_000  # well under 1 GMAC
    assert sorted(t.shape for t in model.graph.outputs) == [(1, 2304, 3), (1, 2304, 4)]
    assert model.input.shape == (1, 128, 384, 3) and model.input.dtype == "int8"


def test_quick_run_on_a_fresh_install(tinybench_cmd, cli_env, tmp_path):
    proc = subprocess.run([*tinybench_cmd, "run", "-w", "det01", "--quick", "--out", str(tmp_path / "r"), "--json"],
                          capture_output=True, text=True, env=cli_env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)[0]
    assert result["modes"]["performance"]["status"] == "measured" and result["modes"]["spinup"]["status"] == "measured"


def test_reference_model_is_refused_with_advice(tinybench_cmd, cli_env):
    proc = subprocess.run([*tinybench_cmd, "run", "-w", "det01", "--model", "reference", "--quick"],
                          capture_output=True, text=True, env=cli_env, timeout=120)
    assert proc.returncode == 2 and "det01 has no official reference model" in proc.stderr


@pytest.mark.slow
@pytest.mark.needs_tensorflow
def test_train_then_measure_accuracy_on_a_kitti_folder(tensorflow, kitti_dir, tinybench_cmd, cli_env, tmp_path):
    data = kitti_dir(12)
    out = tmp_path / "trained"
    proc = subprocess.run([*tinybench_cmd, "models", "train", "det01", "--data", str(data), "--epochs", "3",
                           "--batch", "8", "--out", str(out)], capture_output=True, text=True, env=cli_env, timeout=900)
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())["models"]["det01"]
    assert manifest["trained"] is True and manifest["training"]["images"] == 12
    proc = subprocess.run([*tinybench_cmd, "run", "-w", "det01", "--model", str(out / "det01.tflite"), "-m", "accuracy",
                           "--data", str(data), "--out", str(tmp_path / "r"), "--json"], capture_output=True, text=True,
                          env=cli_env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    acc = json.loads(proc.stdout)[0]["modes"]["accuracy"]
    assert acc["status"] == "measured" and acc["samples"] == 12
    table = {(r["class"], r["difficulty"]): r for r in acc["ap_table"]}
    assert set(table) == {(c, d) for c in ("Car", "Pedestrian", "Cyclist") for d in ("easy", "moderate", "hard")}
    assert table[("Car", "moderate")]["ground_truths"] > 0
    assert 0.0 <= acc["metrics"]["car_ap_r40_moderate"]["value"] <= 1.0
