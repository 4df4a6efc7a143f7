"""`--target simaccel` end to end: real outputs, modelled time and energy, the per-layer table."""

import json
import subprocess

import pandas as pd
import pytest

from tinybench.result_schema import validation_errors
from tinybench.targets.simaccel.accelerator import load_accelerator
from tinybench.targets.simaccel.simulator import simulate
from tinybench.workloads import get_workload
from tinybench.workloads.model_choice import resolve_model


def run(cmd, env, *args):
    return subprocess.run([*cmd, *args], capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.needs_reference
def test_all_modes_for_vww01_and_accuracy_equal_to_the_host(tinybench_cmd, cli_env, reference_dir, eembc_dir,
                                                              tmp_path):
    env = dict(cli_env, TINYBENCH_REFERENCE_DIR=str(reference_dir))
    data = eembc_dir("vww01", count=8)
    common = ["-w", "vww01", "--model", "reference", "--quick", "--data", str(data), "--json"]
    sim = run(tinybench_cmd, env, "run", "--target", "simaccel", "--accel", "mcu-npu", "-m",
              "performance,accuracy,energy,spinup", "--out", str(tmp_path / "s"), *common)
    host = run(tinybench_cmd, env, "run", "--target", "host", "-m", "accuracy", "--out", str(tmp_path / "h"), *common)
    assert sim.returncode == 0, sim.stderr
    assert host.returncode == 0, host.stderr
    s, h = json.loads(sim.stdout)[0], json.loads(host.stdout)[0]
    model = resolve_model("reference", get_workload("vww01"))
    expected = simulate(model.graph, load_accelerator("mcu-npu"))
    perf = s["modes"]["performance"]
    assert perf["clock_source"] == "simulated-cycles"
    assert perf["metrics"]["latency_median"]["value"] == pytest.approx(expected.latency_s * 1e3, rel=1e-9)
    energy = s["modes"]["energy"]
    assert energy["metrics"]["energy_per_inference_median"]["value"] == pytest.approx(expected.energy_j * 1e6)
    assert "modelled, not measured" in next(c["detail"] for c in energy["checks"] if c["rule"] == "instrument")
    spin = s["modes"]["spinup"]
    assert spin["phases_median_ms"]["cold"]["weights_load"] == pytest.approx(
        expected.spinup_cycles / expected.accelerator.clock_hz * 1e3)
    assert s["modes"]["accuracy"]["metrics"] == h["modes"]["accuracy"]["metrics"]
    sp = pd.read_csv(tmp_path / "s" / s["run_id"] / "accuracy_predictions.csv")
    hp = pd.read_csv(tmp_path / "h" / h["run_id"] / "accuracy_predictions.csv")
    assert list(sp["predicted"]) == list(hp["predicted"])
    layers = pd.read_csv(tmp_path / "s" / s["run_id"] / s["files"]["simaccel_layers"])
    assert len(layers) == len(model.graph.operators) and layers["cycles"].sum() == expected.cycles
    assert s["simulation"]["totals"]["cycles"] == expected.cycles
    assert s["simulation"]["totals"]["stall_cycles"] == layers["stall cycles"].sum() == expected.totals()["stall_cycles"]
    bundle = json.loads((tmp_path / "s" / s["run_id"] / "result.json").read_text())
    assert validation_errors(bundle) == []  # the simulation block is typed and bounded in the schema
    assert set(layers["bound"].str.split(" ").str[0]) <= {"compute", "memory", "host"}


def test_bad_accelerator_is_a_clear_error(tinybench_cmd, cli_env, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[array]\nrows = 0\n')
    proc = run(tinybench_cmd, cli_env, "run", "--target", "simaccel", "--accel", str(bad), "-w", "kws01", "--quick")
    assert proc.returncode == 2, proc.stderr
    assert "bad.toml: missing field array.cols" in proc.stderr and "Traceback" not in proc.stderr


def test_unmapped_operators_use_the_documented_host_fallback():
    acc = load_accelerator("mcu-npu")
    acc = type(acc)(**{**acc.__dict__, "host_cycles_per_element": {}})
    sim = simulate(resolve_model("builtin", get_workload("kws01")).graph, acc)
    table = sim.table()
    host_rows = table[table["unit"] == "host"]
    assert set(host_rows["op"]) == {"AVERAGE_POOL_2D", "RESHAPE", "SOFTMAX"}
    assert (host_rows["cycles"] > 0).all() and host_rows["bound"].str.contains("default cost").all()  # never zero
