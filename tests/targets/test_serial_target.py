"""The serial target over real pseudo-terminals, the DUT emulator in another process."""

import json
import os
import re
import subprocess

import numpy as np
import pandas as pd
import pytest

from tinybench.targets.emulators.cycle_model import CycleModel
from tinybench.targets.emulators.results_format import format_results
from tinybench.targets.eembc_protocol import parse_results
from tinybench.targets.tflm_runtime import TflmModel
from tinybench.workloads import get_workload
from tinybench.workloads.datasets import open_dataset
from tinybench.workloads.model_choice import resolve_model
from tinybench.workloads.scoring import dequantized


@pytest.fixture
def env(cli_env, reference_dir):
    return dict(cli_env, TINYBENCH_REFERENCE_DIR=str(reference_dir))


@pytest.fixture
def emulator(env, start_emulator):
    # the virtual clock: these tests are about the protocol, not about time passing
    return lambda *args: start_emulator(env, "dut", "--time-scale", "0", *args)


def run(cmd, env, *args, timeout=600):
    return subprocess.run([*cmd, *args], capture_output=True, text=True, env=env, timeout=timeout, check=False)


def expected_inference_us(workload_id):
    model = resolve_model("reference", get_workload(workload_id))
    return CycleModel().inference_us(model.graph.macs, len(model.graph.operators))


@pytest.mark.needs_reference
@pytest.mark.parametrize("workload_id", ["kws01", "ic01", "vww01"])
def test_performance_accuracy_spinup_through_a_pty(workload_id, emulator, eembc_dir, tinybench_cmd, env, tmp_path):
    emu = emulator("-w", workload_id, "--model", "reference")
    data = eembc_dir(workload_id, count=6)
    out = tmp_path / "r"
    proc = run(tinybench_cmd, env, "run", "--target", "serial", "--port", emu.port, "-w", workload_id,
               "--model", "reference", "-m", "performance,accuracy,spinup", "--quick", "--data", str(data),
               "-O", "reset=command", "-O", f"reset_command=kill -HUP {emu.pid}", "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)[0]
    perf = result["modes"]["performance"]
    assert perf["clock_source"] == "device-timer"
    # the device timer follows the emulator's cycle model exactly (µs resolution)
    assert perf["metrics"]["latency_median"]["value"] == pytest.approx(expected_inference_us(workload_id) / 1e3,
                                                                       rel=1e-5)
    assert "per_inference_latency" not in perf
    # accuracy: the device's m-results equal the TFLM interpreter's outputs, formatted as the firmware does
    acc = result["modes"]["accuracy"]
    predictions = pd.read_csv(out / result["run_id"] / acc["files"]["accuracy_predictions"])
    w = get_workload(workload_id)
    model = resolve_model("reference", w)
    tflm = TflmModel(model.content)
    for sample, row in zip(open_dataset(w, data), predictions.itertuples()):
        values = parse_results(format_results(workload_id, dequantized(tflm.run(w.to_model_input(sample.raw,
                                                                                                  model.input)),
                                                                       model.output)))
        assert row.predicted == int(np.argmax(values)) and row.confidence == pytest.approx(max(values))
    spin = result["modes"]["spinup"]
    assert spin["status"] == "measured" and spin["repetitions"] == {"cold": 3}
    assert "flashed model" in spin["not_measured"]["warm"]
    assert spin["phases_median_ms"]["cold"]["first_inference"] == pytest.approx(
        expected_inference_us(workload_id) / 1e3, rel=1e-4)


def test_timer_wrap_around_is_handled(emulator, tinybench_cmd, env, tmp_path):
    emu = emulator("-w", "kws01", "--timer-start", str(2**32 - 300_000))
    proc = run(tinybench_cmd, env, "run", "--target", "serial", "--port", emu.port, "-w", "kws01", "-m",
               "performance", "--quick", "--out", str(tmp_path / "r"), "--json")
    assert proc.returncode == 0, proc.stderr
    windows = json.loads(proc.stdout)[0]["modes"]["performance"]["windows"]
    model = resolve_model("builtin", get_workload("kws01"))
    per = CycleModel().inference_us(model.graph.macs, len(model.graph.operators)) / 1e6
    assert all(w["elapsed_s"] == pytest.approx(w["iterations"] * per, abs=2e-6) for w in windows)


def fault_run(emulator, tinybench_cmd, env, tmp_path, *emulator_args, expect_exit=1):
    emu = emulator("-w", "kws01", *emulator_args)
    out = tmp_path / "r"
    proc = run(tinybench_cmd, env, "run", "--target", "serial", "--port", emu.port, "-w", "kws01", "-m",
               "performance", "--quick", "-O", "command_timeout_s=1", "--out", str(out), "--json", timeout=120)
    assert proc.returncode == expect_exit, proc.stderr
    return proc, out


def kept_windows(proc):
    perf = json.loads(proc.stdout)[0]["modes"]["performance"]
    assert perf["status"] == "failed" and perf["metrics"] == {}
    return perf


# With --quick the probe uses 2 infer commands, so infer #5 is the third window's.
@pytest.mark.parametrize(("args", "message"), [
    (("--garbage-after", "5", "--fault-command", "infer"), "unexpected line in the reply to 'infer"),
    (("--reset-after", "5", "--fault-command", "infer"), "reset while answering 'infer"),
    (("--stall-after", "4", "--fault-command", "infer"), "no reply to 'infer"),
])
def test_faults_mid_run_keep_completed_windows(args, message, emulator, tinybench_cmd, env, tmp_path):
    proc, out = fault_run(emulator, tinybench_cmd, env, tmp_path, *args)
    perf = kept_windows(proc)
    assert re.search(message, perf["reason"]), perf["reason"]
    assert "window 3 failed" in perf["reason"] and len(perf["windows"]) == 2
    bundle = next(p for p in out.iterdir() if not p.name.startswith("."))
    assert len(pd.read_csv(bundle / "performance_windows.csv")) == 2


def test_upload_errors_quote_the_device(emulator, tinybench_cmd, env, tmp_path):
    proc, _ = fault_run(emulator, tinybench_cmd, env, tmp_path, "--rx-drop-rate", "0.02", "--fault-command", "db",
                        "--seed", "3", expect_exit=1)
    perf = json.loads(proc.stdout)[0]["modes"]["performance"]
    assert perf["status"] == "failed"
    assert re.search(r"(device rejected 'db .*e-\[(Insufficent number of hex digits|Invalid hex digit)|"
                     r"did not confirm the upload|did not accept 'db load)", perf["reason"]), perf["reason"]


def test_wrong_firmware_is_refused_before_measuring(emulator, tinybench_cmd, env, tmp_path):
    emu = emulator("-w", "kws01", "--model-id", "ic01")
    proc = run(tinybench_cmd, env, "run", "--target", "serial", "--port", emu.port, "-w", "kws01", "--quick",
               "--out", str(tmp_path / "r"))
    assert proc.returncode == 2
    assert "runs a firmware for 'ic01', not for workload kws01" in proc.stderr
    assert not (tmp_path / "r").exists()


def test_wrong_port_is_a_clear_error(tinybench_cmd, env, tmp_path):
    proc = run(tinybench_cmd, env, "run", "--target", "serial", "--port", "/dev/nonexistent-tty", "-w", "kws01",
               "--quick", "--out", str(tmp_path / "r"))
    assert proc.returncode == 2
    assert "cannot open serial port /dev/nonexistent-tty" in proc.stderr and "Traceback" not in proc.stderr


def test_silent_device_times_out_with_advice(tinybench_cmd, env, tmp_path):
    master, slave = os.openpty()  # a port with nothing behind it
    try:
        proc = run(tinybench_cmd, env, "run", "--target", "serial", "--port", os.ttyname(slave), "-w", "kws01",
                   "--quick", "-O", "command_timeout_s=0.5", "--out", str(tmp_path / "r"), timeout=60)
    finally:
        os.close(master)
        os.close(slave)
    assert proc.returncode == 2
    assert "no reply to 'name'" in proc.stderr and "within 0.5 s" in proc.stderr and "check baud" in proc.stderr


def test_missing_port_option(tinybench_cmd, env):
    proc = run(tinybench_cmd, env, "run", "--target", "serial", "-w", "kws01", "--quick")
    assert proc.returncode == 2 and "needs a port" in proc.stderr


def test_a_board_still_booting_when_the_run_starts(emulator, tinybench_cmd, env, tmp_path):
    """The banner arrives in the middle of the handshake: drained, handshake redone, run fine."""
    import signal
    import time

    emu = emulator("-w", "kws01", "--boot-ms", "600")
    time.sleep(1.0)
    os.kill(emu.pid, signal.SIGHUP)  # silent for 600 ms, then the banner
    proc = run(tinybench_cmd, env, "run", "--target", "serial", "--port", emu.port, "-w", "kws01", "-m",
               "performance", "--quick", "--out", str(tmp_path / "r"), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["modes"]["performance"]["status"] == "measured"


def test_per_mode_baud_rates():
    from tinybench.targets.serial_target import SerialOptions, parse_baud

    opts = SerialOptions(port="/dev/x", baud="performance=115200,accuracy=921600,energy=9600")
    assert (opts.baud_for("performance"), opts.baud_for("accuracy"), opts.baud_for("energy")) == (115200, 921600, 9600)
    assert SerialOptions(port="/dev/x", baud="57600").baud_for("accuracy") == 57600
    with pytest.raises(ValueError, match="unknown mode 'turbo'"):
        parse_baud("turbo=1")


def test_a_reset_in_energy_mode_is_a_clear_error_not_a_crash():
    """Only the interface-board session exists here; a DeviceReset used to raise AttributeError."""
    from tinybench.errors import TargetError
    from tinybench.targets.dut_session import DutSession
    from tinybench.targets.serial_link import DeviceReset
    from tinybench.targets.serial_target import SerialOptions, SerialTarget

    target = SerialTarget(SerialOptions(interface_port="/dev/unused"))
    target._board_session = DutSession(transport=None)
    target._board_session.loaded = b"input"

    def reset():
        raise DeviceReset("the device on board reset while answering 'infer 1 0'")

    with pytest.raises(TargetError, match="reset while answering"):
        target._call("infer 1 0", reset)
    assert target._board_session.loaded is None


@pytest.mark.needs_reference
def test_a_device_runs_its_own_model_declared_not_verified(emulator, eembc_dir, tinybench_cmd, env, tmp_path):
    """--model reference on a device declares what it runs: no .tflite on the host, division declared."""
    emu = emulator("-w", "kws01", "--model", "reference")  # the device has the model flashed
    host_env = {k: v for k, v in env.items() if k != "TINYBENCH_REFERENCE_DIR"}
    host_env["TINYBENCH_CACHE"] = str(tmp_path / "empty-cache")  # no model file anywhere on the host
    proc = run(tinybench_cmd, host_env, "run", "--target", "serial", "--port", emu.port, "-w", "kws01",
               "--model", "reference", "--no-download", "-m", "accuracy", "--data", str(eembc_dir("kws01", count=4)),
               "--out", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    assert "closed division, declared by the submitter, reference model" in proc.stdout
    bundle = next(p for p in (tmp_path / "r").iterdir() if not p.name.startswith("."))
    result = json.loads((bundle / "result.json").read_text())
    model = result["model"]
    w = get_workload("kws01")
    assert (model["source"], model["division"], model["division_basis"]) == ("reference", "closed", "declared")
    assert (model["sha256"], model["bytes"]) == (w.reference.sha256, w.reference.size_bytes)  # pinned, not read
    assert result["modes"]["accuracy"]["status"] == "measured"
    from tinybench.result_schema import validation_errors

    assert validation_errors(result) == []


def test_host_targets_verify_the_model_they_run(tinybench_cmd, env, tmp_path):
    proc = run(tinybench_cmd, env, "run", "--target", "host", "-w", "kws01", "-m", "performance", "--quick",
               "--out", str(tmp_path / "r"), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["model"]["division_basis"] == "verified"
