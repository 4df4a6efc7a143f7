"""sww01 through the interface board, end to end over real ptys: the interface-board + DUT emulator (TFLite
Micro running the official model every 32-ms frame) in one process, the LPM01A emulator in another, the
`tinybench run --target serial -m stream` CLI in a third. Nothing mocked.

What "equal to the tflm target" means here (the official 10-s stream, the reference model):
* detections — the same frames pulse the wake-word pin (serial: (timestamp − sync) / 32 ms, exact because the
  emulated DUT's work per frame is constant; tflm: the frame behind each stored detection), every frame's
  wake-word output is identical (the DUT lists them on `stop`), and TP/FN/FP with their times are identical;
* duty cycle — the Processing pin's records are exactly the board records of the device schedule
  (:func:`device_schedule`, the code every target's records go through) of the emulator's cycle model, shifted
  by a whole number of milliseconds (where the board's timer was zeroed): every rising edge equals the tflm
  run's (frame arrival), every on-time is the cycle model's; duty cycle, period and throughput then equal the
  prediction to float rounding (1e-12). The tflm run's own duty cycle is host wall-clock time and is not
  expected to match.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tinybench.result_schema import validation_errors
from tinybench.targets.emulators.cycle_model import CycleModel
from tinybench.targets.emulators.sww_firmware import SwwConfig
from tinybench.targets.eembc_protocol import ProtocolError
from tinybench.targets.sww_serial import parse_activations, parse_detections, parse_dutycycle
from tinybench.workloads import get_workload
from tinybench.workloads.metrics.sww_scoring import duty_cycle
from tinybench.workloads.model_choice import resolve_model
from tinybench.workloads.sww_detection import board_duty_record, device_schedule

WAV = "short_wav_easy10s.wav"
TRUTH = "sww_short_test.json"
SUPPLY_V = 3.3
IDLE_MA, ACTIVE_MA = 1.0, 10.0


@pytest.fixture
def stream_files(reference_dir, tmp_path):
    """(host data folder with truth + wav, SD card folder with the wav); copies, never links."""
    data, card = tmp_path / "data", tmp_path / "sd"
    data.mkdir()
    card.mkdir()
    for name in (WAV, TRUTH):
        shutil.copyfile(reference_dir / "sww" / name, data / name)
    shutil.copyfile(reference_dir / "sww" / WAV, card / WAV)
    return data, card


@pytest.fixture
def env(cli_env, reference_dir):
    return dict(cli_env, TINYBENCH_REFERENCE_DIR=str(reference_dir))


def board(start_emulator, env, card, *extra, time_scale="0"):
    return start_emulator(env, "dut", "-w", "sww01", "--model", "reference", "--interface-board", "--sd-card",
                          str(card), "--time-scale", time_scale, *extra)


def run(tinybench_cmd, env, out, *args):
    return subprocess.run([*tinybench_cmd, "run", "-w", "sww01", "--model", "reference", "-m", "stream", "--out",
                           str(out), "--json", *args], capture_output=True, text=True, env=env, timeout=300)


def serial_args(port, data, *extra):
    return ("--target", "serial", "-O", f"interface_port={port}", "-O", "command_timeout_s=2", "--data",
            str(data / TRUTH), *extra)


def bundle_of(proc):
    """The run's result.json as written in its bundle."""
    (printed,) = json.loads(proc.stdout)
    return json.loads((Path(printed["bundle"]) / "result.json").read_text())


def table(out, result, name):
    path = out / result["run_id"] / result["modes"]["stream"]["files"][name]
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


def cycle_model_processing_s():
    model = resolve_model("reference", get_workload("sww01"))
    return SwwConfig(model.graph.macs, len(model.graph.operators), CycleModel()).processing_s


def detection_frames(detections):
    from_sync_ms = detections["time_ms"] - detections["time_ms"].iloc[0]
    assert (from_sync_ms % 32 == 0).all()  # constant work per frame: pulses exactly 32 ms apart per frame
    return (from_sync_ms // 32).tolist()


def assert_shifted_by_whole_ms(recorded, predicted):
    shift = {a - b for a, b in zip(recorded, predicted)}
    assert len(recorded) == len(predicted) and len(shift) == 1
    assert shift.pop() % 100 == 0  # a whole number of milliseconds of 10-µs ticks


@pytest.mark.needs_reference
def test_serial_stream_equals_the_tflm_target_on_the_official_short_stream(stream_files, env, start_emulator,
                                                                           tinybench_cmd, tmp_path):
    data, card = stream_files
    emulator = board(start_emulator, env, card)
    serial = run(tinybench_cmd, env, tmp_path / "serial", *serial_args(emulator.port, data))
    assert serial.returncode == 0, serial.stderr
    tflm = run(tinybench_cmd, env, tmp_path / "tflm", "--target", "tflm", "--data", str(data / TRUTH))
    assert tflm.returncode == 0, tflm.stderr
    s_result, t_result = bundle_of(serial), bundle_of(tflm)
    assert validation_errors(s_result) == []
    s, t = s_result["modes"]["stream"], t_result["modes"]["stream"]
    assert s["status"] == "measured" and s["clock_source"] == "device-timer"
    assert s_result["target"]["system"]["details"]["dut_baud"] == 115200  # setbaud: the sww DUT's rate

    # detections: same frames, same per-frame outputs, same score
    s_det, t_det = table(tmp_path / "serial", s_result, "stream_detections"), table(tmp_path / "tflm", t_result,
                                                                                     "stream_detections")
    assert detection_frames(s_det) == t_det["frame"].tolist() == [0, *range(43, 67), 156]
    activations = table(tmp_path / "serial", s_result, "stream_activations")
    t_frames = table(tmp_path / "tflm", t_result, "stream_frames")
    assert len(activations) == 312
    assert np.array_equal(activations["wake_output"].to_numpy(), t_frames["out0"].to_numpy())
    assert s["streams"][0]["scoring"] == t["streams"][0]["scoring"]
    assert [s["metrics"][k]["value"] for k in ("true_positives", "false_negatives", "false_positives")] == [2, 1, 0]

    # duty cycle: the cycle model's schedule as the board records it, shifted by whole milliseconds
    processing = cycle_model_processing_s()
    p_start, p_stop = board_duty_record(*device_schedule(np.full(312, processing)))
    s_duty, t_duty = table(tmp_path / "serial", s_result, "stream_dutycycle"), table(tmp_path / "tflm", t_result,
                                                                                     "stream_dutycycle")
    assert len(s_duty) == 100
    assert_shifted_by_whole_ms(s_duty["start_ticks"].tolist(), p_start)
    assert_shifted_by_whole_ms(s_duty["stop_ticks"].tolist(), p_stop)
    assert_shifted_by_whole_ms(s_duty["start_ticks"].tolist(), t_duty["start_ticks"].tolist())  # frame arrivals
    predicted = duty_cycle(np.array(p_start) * 1e-5, np.array(p_stop) * 1e-5)
    assert s["metrics"]["duty_cycle"]["value"] == pytest.approx(predicted.duty_cycle, rel=1e-12)
    assert s["metrics"]["period_mean"]["value"] == pytest.approx(32.0, rel=1e-12)
    assert s["metrics"]["throughput"]["value"] == pytest.approx(predicted.throughput_inf_s, rel=1e-12)
    assert s["metrics"]["processing_time_mean"]["value"] == pytest.approx(
        (np.array(p_stop) - np.array(p_start)).mean() * 1e-2, rel=1e-12)  # ticks → ms: the board's truncation

    # what the board cannot measure is said, not invented
    assert s["per_frame_latency"] is None and "real_time_factor" not in s["metrics"]
    assert "first 100 frames" in s["not_measured"]["per_frame_latency"]
    assert s["energy"]["status"] == "not_measured" and "power monitor" in s["energy"]["reason"]


def energy_run(stream_files, env, start_emulator, tinybench_cmd, out, time_scale):
    data, card = stream_files
    lpm = start_emulator(env, "lpm01a", "--time-scale", time_scale, "--idle-ma", str(IDLE_MA), "--active-ma",
                         str(ACTIVE_MA))
    emulator = board(start_emulator, env, card, "--mode", "energy", "--monitor-socket", lpm.header["dut-socket"],
                     time_scale=time_scale)
    proc = run(tinybench_cmd, env, out, *serial_args(emulator.port, data), "--power", "lpm01a",
               "-P", f"port={lpm.header['pty']}", "-P", f"voltage_v={SUPPLY_V}", "-P", "ack_timeout_s=2")
    assert proc.returncode == 0, proc.stderr
    result = bundle_of(proc)
    assert validation_errors(result) == []
    stream = result["modes"]["stream"]
    energy = stream["energy"]
    assert energy["status"] == "measured" and energy["instrument"] == "lpm01a"
    window = energy["window_s"]
    assert 10.0 < window < 11.0  # `dut start` … `dut stop`: the 10-s stream plus command latency (and pause)
    # the power model: idle current all along, active current while the Processing pin is high (312 frames)
    active_s = 312 * cycle_model_processing_s()
    expected_j = SUPPLY_V * (IDLE_MA * 1e-3 * window + (ACTIVE_MA - IDLE_MA) * 1e-3 * active_s)
    assert energy["energy_j"] == pytest.approx(expected_j, rel=1e-3)  # 4-digit samples, 1-ms sample edges
    assert stream["metrics"]["power_average"]["value"] == pytest.approx(energy["energy_j"] / window * 1e3)
    assert stream["metrics"]["true_positives"]["value"] == 2  # the energy build detects the same
    return result


@pytest.mark.needs_reference
def test_serial_stream_energy_through_the_lpm01a_emulator(stream_files, env, start_emulator, tinybench_cmd,
                                                          tmp_path):
    energy_run(stream_files, env, start_emulator, tinybench_cmd, tmp_path / "out", "0")


@pytest.mark.needs_reference
def test_stream_errors_are_clear(stream_files, env, start_emulator, tinybench_cmd, tmp_path, wav_writer):
    data, card = stream_files
    (card / WAV).unlink()  # not on the SD card
    (card / "mono.wav").write_bytes(b"RIFF" + bytes(40))  # and a file the board cannot play
    emulator = board(start_emulator, env, card)
    proc = run(tinybench_cmd, env, tmp_path / "a", *serial_args(emulator.port, data))
    assert proc.returncode != 0
    stream = bundle_of(proc)["modes"]["stream"]
    assert stream["status"] == "failed"
    assert f"cannot play {WAV}" in stream["reason"] and "SD card" in stream["reason"]
    # a stream of one frame: one Processing pulse, no duty cycle — said, with what was recorded
    tiny = data / "tiny"
    tiny.mkdir()
    wav_writer(tiny / "tiny.wav", np.zeros(700, np.int16), channels=2)
    shutil.copyfile(tiny / "tiny.wav", card / "tiny.wav")
    (tiny / "tiny.json").write_text(json.dumps([{"wav_file": "tiny.wav", "detection_windows": [],
                                                 "length_sec": 0.04375, "sample_rate": 16000}]))
    proc = run(tinybench_cmd, env, tmp_path / "c", "--target", "serial", "-O", f"interface_port={emulator.port}",
               "--data", str(tiny / "tiny.json"))
    reason = bundle_of(proc)["modes"]["stream"]["reason"]
    assert "cannot be analysed" in reason and "1 rising and 1 falling" in reason, reason
    # no --data: a synthetic stream exists only on the host
    proc = run(tinybench_cmd, env, tmp_path / "b", "--target", "serial", "-O", f"interface_port={emulator.port}")
    assert proc.returncode != 0
    assert "SD card" in bundle_of(proc)["modes"]["stream"]["reason"]


@pytest.mark.needs_reference
def test_a_stream_that_fails_after_another_finished_keeps_the_finished_records(stream_files, env, start_emulator,
                                                                               tinybench_cmd, tmp_path):
    """Two streams: the official 10-s one plays, the second is not on the card. The mode fails naming the
    second, and the board's records of the first are in the bundle (nothing finished is lost)."""
    data, card = stream_files
    entries = json.loads((data / TRUTH).read_text())
    shutil.copyfile(data / WAV, data / "copy.wav")  # on the host, not on the card
    (data / "two.json").write_text(json.dumps(entries + [dict(entries[0], wav_file="copy.wav")]))
    emulator = board(start_emulator, env, card)
    proc = run(tinybench_cmd, env, tmp_path / "a", "--target", "serial", "-O", f"interface_port={emulator.port}",
               "-O", "command_timeout_s=2", "--data", str(data / "two.json"))
    assert proc.returncode != 0
    result = bundle_of(proc)
    stream = result["modes"]["stream"]
    assert stream["status"] == "failed" and "stream 2 (copy.wav) failed" in stream["reason"], stream["reason"]
    assert "cannot play copy.wav" in stream["reason"] and "1 finished stream kept" in stream["reason"]
    detections = table(tmp_path / "a", result, "stream_detections")
    edges = table(tmp_path / "a", result, "stream_dutycycle")
    assert set(detections["stream"]) == {0} and len(detections) >= 3  # sync + the 10-s stream's detections
    assert set(edges["stream"]) == {0} and len(edges) == 100  # the board records the first 100 frames
    truth = table(tmp_path / "a", result, "stream_truth")
    assert len(truth) == len(entries[0]["detection_windows"])


@pytest.mark.needs_reference
@pytest.mark.parametrize(("fault", "message"), [
    (("--fault-command", "record_detections", "--stall-after", "0"), "no complete reply to 'record_detections'"),
    (("--fault-command", "print_detections", "--garbage-after", "1"), "malformed detection timestamp"),
])
def test_a_silent_or_garbled_board_is_an_error_that_says_so(fault, message, stream_files, env, start_emulator,
                                                            tinybench_cmd, tmp_path):
    data, card = stream_files
    emulator = board(start_emulator, env, card, *fault)
    proc = run(tinybench_cmd, env, tmp_path / "out", *serial_args(emulator.port, data))
    assert proc.returncode != 0
    stream = bundle_of(proc)["modes"]["stream"]
    assert stream["status"] == "failed" and message in stream["reason"], stream["reason"]


@pytest.mark.slow
@pytest.mark.needs_reference
def test_real_time_stream_gives_the_same_records_and_energy(stream_files, env, start_emulator, tinybench_cmd,
                                                           tmp_path):
    """The only real-time test: the board plays the 10-s wav at 16 kHz on the wall clock, the LPM01A streams."""
    result = energy_run(stream_files, env, start_emulator, tinybench_cmd, tmp_path / "out", "1")
    assert detection_frames(table(tmp_path / "out", result, "stream_detections")) == [0, *range(43, 67), 156]
    p_start, p_stop = board_duty_record(*device_schedule(np.full(312, cycle_model_processing_s())))
    duty = table(tmp_path / "out", result, "stream_dutycycle")
    assert_shifted_by_whole_ms(duty["stop_ticks"].tolist(), p_stop)


# -- reply parsing (pure) ------------------------------------------------------------------------------------
def test_detection_reply_is_parsed_verbatim_and_bounded():
    assert parse_detections(["Detection Timestamps (ms)", "85,", "9936,"]) == [85, 9936]
    assert parse_detections(["Detection Timestamps (ms)"]) == []
    for bad in (["Detections"], ["Detection Timestamps (ms)", "85"], ["Detection Timestamps (ms)", "-1,"],
                ["Detection Timestamps (ms)", "4294967296,"], ["Detection Timestamps (ms)", "8\ufffd5,"],
                ["Detection Timestamps (ms)"] + ["1,"] * 10_001):
        with pytest.raises(ProtocolError):
            parse_detections(bad)


def test_dutycycle_reply_with_m_ready_on_the_last_line_of_values():
    lines = ["Duty cycle start times (s)", "6796, 9996, ", "Duty cycle stop times (s)", "8590, 11790,"]
    assert parse_dutycycle(lines) == ([6796, 9996], [8590, 11790])
    for bad in (lines[1:], lines[:2], ["Duty cycle start times (s)", "1.5, ", "Duty cycle stop times (s)"],
                ["Duty cycle start times (s)", "x, ", "Duty cycle stop times (s)"]):
        with pytest.raises(ProtocolError):
            parse_dutycycle(bad)


def test_activation_list_of_the_reference_dut():
    lines = ["Received command: stop", "Streaming stopped.", "target activations: ", "[-128, 12,", "127,", "]"]
    assert parse_activations(lines) == [-128, 12, 127]
    assert parse_activations(["Streaming stopped."]) is None  # published firmwares list none
    with pytest.raises(ProtocolError):
        parse_activations(["target activations: ", "[1, zz]"])
