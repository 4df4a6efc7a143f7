"""Energy mode end to end: DUT emulator (energy build) behind the interface-board emulator,
LPM01A emulator powering it, each in its own process, real ptys, nothing mocked."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from tinybench.targets.emulators.cycle_model import CycleModel
from tinybench.workloads import get_workload
from tinybench.workloads.model_choice import resolve_model


def start(env, *args):
    proc = subprocess.Popen([sys.executable, "-m", "tinybench", "emulate", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    header = {}
    while len(header) < (3 if args[0] == "lpm01a" else 2):
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(proc.stderr.read())
        key, _, value = line.partition(": ")
        header[key] = value.strip()
    return proc, header


@pytest.fixture
def rig(cli_env):
    """make(lpm_args, dut_args) → (lpm01a pty, interface-board pty)."""
    procs = []

    def make(lpm_args=(), dut_args=()):
        lpm, lpm_info = start(cli_env, "lpm01a", "--idle-ma", "1.0", "--active-ma", "10.0", *lpm_args)
        dut, dut_info = start(cli_env, "dut", "-w", "kws01", "--mode", "energy", "--interface-board",
                              "--monitor-socket", lpm_info["dut-socket"], *dut_args)
        procs.extend([lpm, dut])
        return lpm_info["pty"], dut_info["pty"]

    yield make
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)


def energy_run(tinybench_cmd, env, tmp_path, lpm_port, board_port, *extra):
    return subprocess.run(
        [*tinybench_cmd, "run", "--target", "serial", "-O", f"interface_port={board_port}", "-w", "kws01",
         "-m", "energy", "--power", "lpm01a", "-P", f"port={lpm_port}", "-P", "voltage_v=1.8",
         "-P", "ack_timeout_s=1", "--out", str(tmp_path / "r"), "--json", *extra],
        capture_output=True, text=True, env=env, timeout=300)


def test_energy_matches_the_power_model_within_one_percent(rig, tinybench_cmd, cli_env, tmp_path):
    lpm, board = rig()
    proc = energy_run(tinybench_cmd, cli_env, tmp_path, lpm, board, "--quick", "--min-window-s", "1.0")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)[0]
    energy = result["modes"]["energy"]
    model = resolve_model("builtin", get_workload("kws01"))
    t_inference_s = CycleModel().inference_us(model.graph.macs, len(model.graph.operators)) / 1e6
    expected_uj = 1.8 * 10e-3 * t_inference_s * 1e6  # V × I_active × t, in µJ
    measured = energy["metrics"]["energy_per_inference_median"]
    assert measured["unit"] == "uJ/inf"
    assert measured["value"] == pytest.approx(expected_uj, rel=0.01)
    assert energy["metrics"]["power_average"]["value"] == pytest.approx(18.0, rel=0.01)  # mW
    assert energy["instrument"]["instrument"] == "ST X-NUCLEO-LPM01A"
    assert (energy["instrument"]["sample_rate_hz"], energy["instrument"]["supply_voltage_v"]) == (1000.0, 1.8)
    assert all(w["duration_s"] >= 1.0 for w in energy["windows"]) and len(energy["windows"]) == 5
    trace = pd.read_parquet(tmp_path / "r" / result["run_id"] / energy["files"]["energy_trace"])
    assert set(trace["window"]) == set(range(5))
    in_window = trace[trace["in_window"]].groupby("window")["energy_j"].sum()
    assert list(in_window.round(12)) == [round(w["energy_j"], 12) for w in energy["windows"]]
    # --quick: explicitly not valid for submission, with the reasons
    failed = {c["rule"] for c in energy["checks"] if not c["passed"]}
    assert failed == {"profile", "window_duration"} and energy["valid_for_submission"] is False


def test_a_monitor_that_never_acks_is_a_clear_error(rig, tinybench_cmd, cli_env, tmp_path):
    lpm, board = rig(lpm_args=("--no-ack", "htc"))
    proc = energy_run(tinybench_cmd, cli_env, tmp_path, lpm, board, "--quick")
    assert proc.returncode == 2
    assert "did not acknowledge 'htc' within 1 s" in proc.stderr and "Traceback" not in proc.stderr


def test_a_refused_command_quotes_the_error_detail(rig, tinybench_cmd, cli_env, tmp_path):
    lpm, board = rig()
    proc = energy_run(tinybench_cmd, cli_env, tmp_path, lpm, board, "--quick", "-P", "voltage_v=3.6")
    assert proc.returncode == 2 and "supply must be 1.8–3.3 V" in proc.stderr


@pytest.mark.parametrize(("lpm_args", "message"), [
    (("--malformed-after", "150"), "malformed sample line '12a4-07'"),
    (("--skip-event", "4"), "timestamp events are not consecutive"),
])
def test_bad_monitor_data_fails_the_mode_never_a_wrong_number(lpm_args, message, rig, tinybench_cmd, cli_env,
                                                               tmp_path):
    lpm, board = rig(lpm_args=lpm_args)
    proc = energy_run(tinybench_cmd, cli_env, tmp_path, lpm, board, "--quick", "--min-window-s", "0.3")
    assert proc.returncode == 1, proc.stderr
    energy = json.loads(proc.stdout)[0]["modes"]["energy"]
    assert energy["status"] == "failed" and energy["metrics"] == {}
    assert message in energy["reason"]
