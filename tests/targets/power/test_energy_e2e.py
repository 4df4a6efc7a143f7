"""Energy mode end to end: DUT emulator (energy build) behind the interface-board emulator, LPM01A
emulator powering it and streaming continuously, each in its own process, real ptys, nothing mocked.

The real-time tests use short custom windows (`--windows 2 --min-window-s 1`, or `--quick`), not
MLPerf Tiny's 5 × 10 s, to stay within the suite's time budget; they are marked slow.
"""

import json
import os
import signal
import subprocess
import threading
import time

import pandas as pd
import pytest

from tinybench.targets.emulators.cycle_model import CycleModel
from tinybench.workloads import get_workload
from tinybench.workloads.model_choice import resolve_model

POWER_MODEL = ("--idle-ma", "1.0", "--active-ma", "10.0")
SUPPLY_V = 1.8


@pytest.fixture
def rig(cli_env, start_emulator):
    """make(workload, lpm_args, dut_args, time_scale) → (LPM01A emulator, interface-board pty)."""

    def make(workload="kws01", lpm_args=(), dut_args=(), time_scale="1"):
        lpm = start_emulator(cli_env, "lpm01a", "--time-scale", time_scale, *POWER_MODEL, *lpm_args)
        dut = start_emulator(cli_env, "dut", "-w", workload, "--mode", "energy", "--interface-board",
                             "--time-scale", time_scale, "--monitor-socket", lpm.header["dut-socket"], *dut_args)
        return lpm, dut.port

    return make


def energy_command(tinybench_cmd, tmp_path, lpm, board, workload, *extra):
    return [*tinybench_cmd, "run", "--target", "serial", "-O", f"interface_port={board}", "-O", "baud=energy=115200",
            "-w", workload, "-m", "energy", "--power", "lpm01a", "-P", f"port={lpm.header['pty']}",
            "-P", f"voltage_v={SUPPLY_V}", "-P", "ack_timeout_s=1", "--out", str(tmp_path / "r"), "--json", *extra]


def energy_run(tinybench_cmd, env, tmp_path, lpm, board, *extra, workload="kws01"):
    return subprocess.run(energy_command(tinybench_cmd, tmp_path, lpm, board, workload, *extra),
                          capture_output=True, text=True, env=env, timeout=300)


def expected_uj(workload_id):
    """The power model's energy per inference: V × I_active × t_inference (µJ)."""
    model = resolve_model("builtin", get_workload(workload_id))
    t_inference_s = CycleModel().inference_us(model.graph.macs, len(model.graph.operators)) / 1e6
    return SUPPLY_V * 10e-3 * t_inference_s * 1e6


def energy_of(proc):
    return json.loads(proc.stdout)[0]["modes"]["energy"]


@pytest.mark.slow
@pytest.mark.parametrize("workload_id", ["kws01", "ic01"])
def test_real_time_energy_matches_the_power_model_within_one_percent(workload_id, rig, tinybench_cmd, cli_env,
                                                                     tmp_path):
    lpm, board = rig(workload_id)
    proc = energy_run(tinybench_cmd, cli_env, tmp_path, lpm, board, "--windows", "2", "--min-window-s", "1",
                      workload=workload_id)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)[0]
    energy = result["modes"]["energy"]
    assert energy["instrument"]["details"]["stream"] == "continuous"
    measured = energy["metrics"]["energy_per_inference_median"]
    assert measured["unit"] == "uJ/inf"
    assert measured["value"] == pytest.approx(expected_uj(workload_id), rel=0.01)
    assert energy["metrics"]["power_average"]["value"] == pytest.approx(SUPPLY_V * 10.0, rel=0.01)  # mW
    assert (energy["instrument"]["sample_rate_hz"], energy["instrument"]["supply_voltage_v"]) == (1000.0, SUPPLY_V)
    assert len(energy["windows"]) == 2 and all(w["duration_s"] >= 1.0 for w in energy["windows"])
    trace = pd.read_parquet(tmp_path / "r" / result["run_id"] / energy["files"]["energy_trace"])
    for window, samples in trace.groupby("window"):
        inside = samples[samples["in_window"]]
        assert inside["energy_j"].sum() == pytest.approx(energy["windows"][window]["energy_j"], rel=1e-9)
        # the stream never paused: samples came in while the host uploaded and the DUT warmed up
        before = samples[samples["sample"] < inside["sample"].min()]
        assert len(before) > 50 and before["energy_j"].min() > 0
    failed = {c["rule"] for c in energy["checks"] if not c["passed"]}
    assert failed == {"profile", "windows", "window_duration"} and energy["valid_for_submission"] is False


def test_virtual_clock_set_up_is_fast_and_says_so(rig, tinybench_cmd, cli_env, tmp_path):
    lpm, board = rig(time_scale="0")
    proc = energy_run(tinybench_cmd, cli_env, tmp_path, lpm, board, "--quick", "--min-window-s", "1.0")
    assert proc.returncode == 0, proc.stderr
    energy = energy_of(proc)
    assert energy["metrics"]["energy_per_inference_median"]["value"] == pytest.approx(expected_uj("kws01"), rel=0.01)
    instrument = next(c for c in energy["checks"] if c["rule"] == "instrument")
    assert not instrument["passed"] and "virtual clock" in instrument["detail"]


def test_a_dut_on_another_clock_is_refused(rig, cli_env):
    with pytest.raises(RuntimeError, match="give both the same --time-scale"):
        rig(time_scale="1", dut_args=("--time-scale", "0"))


def test_a_monitor_that_never_acks_is_a_clear_error(rig, tinybench_cmd, cli_env, tmp_path):
    lpm, board = rig(lpm_args=("--no-ack", "htc"))
    proc = energy_run(tinybench_cmd, cli_env, tmp_path, lpm, board, "--quick")
    assert proc.returncode == 2
    assert "did not acknowledge 'htc' within 1 s" in proc.stderr and "Traceback" not in proc.stderr


def test_a_refused_command_quotes_the_error_detail(rig, tinybench_cmd, cli_env, tmp_path):
    lpm, board = rig()
    proc = energy_run(tinybench_cmd, cli_env, tmp_path, lpm, board, "--quick", "-P", "voltage_v=3.6")
    assert proc.returncode == 2 and "supply must be 1.8–3.3 V" in proc.stderr


# With --quick (kws01) the calibration probe takes two windows (events 1–4); measured windows follow,
# two events each: event 7 is the second measured window's first.
@pytest.mark.slow
@pytest.mark.parametrize(("lpm_args", "message"), [
    (("--miss-pulse", "7"), "1 of 2 timestamp events in the window although the stream ran"),
    (("--skip-event", "8"), "timestamp events are not consecutive"),
    (("--garbage-after-event", "7"), "unexpected line from the LPM01A|malformed"),
    (("--stop-after-event", "7"), "the LPM01A stream stopped: nothing for"),
    (("--malformed-after", "150"), "malformed sample line '12a4-07'"),
])
def test_faults_on_the_continuous_stream_invalidate_the_window_never_a_wrong_number(lpm_args, message, rig,
                                                                                    tinybench_cmd, cli_env,
                                                                                    tmp_path):
    import re

    lpm, board = rig(lpm_args=lpm_args)
    proc = energy_run(tinybench_cmd, cli_env, tmp_path, lpm, board, "--quick")
    assert proc.returncode == 1, proc.stderr
    energy = energy_of(proc)
    assert energy["status"] == "failed" and energy["metrics"] == {}
    assert re.search(message, energy["reason"]), energy["reason"]
    for window in energy.get("windows", []):  # what was kept before the fault is right
        assert window["uj_per_inference"] == pytest.approx(expected_uj("kws01"), rel=0.01)


def stalled_run(rig, tinybench_cmd, cli_env, tmp_path, stall_s, lpm_args=(), *extra):
    """The whole host process frozen (SIGSTOP) for `stall_s` from the first measured window's first event."""
    lpm, board = rig(lpm_args=("--log-events", *lpm_args))
    host = subprocess.Popen(energy_command(tinybench_cmd, tmp_path, lpm, board, "kws01", *extra),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env)
    output = {}
    reader = threading.Thread(target=lambda: output.update(zip(("out", "err"), host.communicate(timeout=300))))
    reader.start()
    lpm.wait_for_line("event 5 ris")
    os.kill(host.pid, signal.SIGSTOP)
    time.sleep(stall_s)
    os.kill(host.pid, signal.SIGCONT)
    reader.join()
    return host.returncode, output


@pytest.mark.slow
def test_a_host_reader_delayed_by_a_second_loses_nothing_and_measures_right(rig, tinybench_cmd, cli_env, tmp_path):
    """The OS and instrument buffers hold a second of stream; windows are cut by events, not host time."""
    code, output = stalled_run(rig, tinybench_cmd, cli_env, tmp_path, 1.0, (), "--windows", "2",
                               "--min-window-s", "1")
    assert code == 0, output["err"]
    energy = json.loads(output["out"])[0]["modes"]["energy"]
    assert energy["status"] == "measured"
    assert all(w["uj_per_inference"] == pytest.approx(expected_uj("kws01"), rel=0.01) for w in energy["windows"])


@pytest.mark.slow
def test_a_host_reader_too_late_for_the_buffers_gets_an_invalid_window(rig, tinybench_cmd, cli_env, tmp_path):
    """Four seconds frozen against a 1 kB instrument buffer: bytes are lost, and that is seen."""
    code, output = stalled_run(rig, tinybench_cmd, cli_env, tmp_path, 4.0, ("--buffer-bytes", "1024"), "--quick")
    assert code == 1, output["err"]
    energy = json.loads(output["out"])[0]["modes"]["energy"]
    assert energy["status"] == "failed" and energy["metrics"] == {}
    assert any(word in energy["reason"] for word in ("samples lost", "malformed", "unexpected line",
                                                    "not consecutive", "timestamp events")), energy["reason"]
    for window in energy.get("windows", []):
        assert window["uj_per_inference"] == pytest.approx(expected_uj("kws01"), rel=0.01)
