"""Stream mode (sww01): the official 10-second stream end to end on every in-process target."""

import json
import shutil
import subprocess
import threading
import time
import wave

import numpy as np
import pandas as pd
import pytest

from tinybench.result_schema import validation_errors
from tinybench.targets.litert_runtime import find_runtime
from tinybench.workloads.metrics.sww_scoring import duty_cycle, score_detections
from tinybench.workloads.sww_frontend import StreamingFrontEnd

SCALE = 0.003701042616739869


def run_cli(cmd, env, *args, timeout=600):
    return subprocess.run([*cmd, *args], capture_output=True, text=True, env=env, timeout=timeout, check=False)


def short_stream_dir(reference_dir, tmp_path):
    folder = tmp_path / "streams"
    folder.mkdir()
    for name in ("short_wav_easy10s.wav", "sww_short_test.json"):
        shutil.copyfile(reference_dir / "sww" / name, folder / name)  # untrusted-JSON reading refuses links
    return folder


def bare_frame_by_frame(reference_dir):
    """The firmware loop written out plainly: per-frame numpy front end, int8 cast, FIFO, bare LiteRT."""
    with wave.open(str(reference_dir / "sww" / "short_wav_easy10s.wav")) as wav:
        samples = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").reshape(-1, 2)[:, 0]
    interpreter = find_runtime().interpreter_class(
        model_content=(reference_dir / "sww" / "str_ww_ref_model.tflite").read_bytes())
    interpreter.allocate_tensors()
    (inp,), (out,) = interpreter.get_input_details(), interpreter.get_output_details()
    front_end = StreamingFrontEnd()
    window = np.zeros((30, 40), np.int8)
    wake = []
    for start in range(0, len(samples) - 511, 512):
        row = front_end.push(samples[start:start + 512])
        q = np.trunc(row / np.float32(SCALE) - np.float32(128)).astype(np.int8)
        window = np.vstack([window[1:], q])
        interpreter.set_tensor(inp["index"], window.reshape(1, 30, 1, 40))
        interpreter.invoke()
        wake.append(int(interpreter.get_tensor(out["index"])[0, 0]))
    wake = np.array(wake)
    return wake, [0] + [k for k in np.flatnonzero(wake > 115) if k != 0]


def load_bundle(out):
    (bundle,) = [p for p in out.iterdir() if not p.name.startswith(".")]
    return bundle, json.loads((bundle / "result.json").read_text())


def check_figures_from_raw_files(bundle, stream):
    """Every published figure is what the bundle's raw files give (the board's records)."""
    detections = pd.read_csv(bundle / stream["files"]["stream_detections"])
    duty = pd.read_csv(bundle / stream["files"]["stream_dutycycle"])
    windows = stream["streams"][0]["scoring"]
    score = score_detections(detections["time_ms"].tolist(), [[1.0, 1.6476250000000001], [4.0, 4.76175],
                                                              [7.0, 7.358625]])
    metrics = {k: v["value"] for k, v in stream["metrics"].items()}
    assert (metrics["true_positives"], metrics["false_negatives"], metrics["false_positives"]) == (score.tp, score.fn,
                                                                                                   score.fp)
    assert windows["true_positive_starts_s"] == score.true_positives_s
    figures = duty_cycle(duty["start_ticks"] * 1e-5, duty["stop_ticks"] * 1e-5)
    assert len(duty) == 100
    assert metrics["duty_cycle"] == pytest.approx(figures.duty_cycle)
    assert metrics["throughput"] == pytest.approx(figures.throughput_inf_s)
    assert metrics["period_mean"] == pytest.approx(32.0, abs=0.01)
    return detections


@pytest.mark.needs_reference
def test_host_stream_gives_exactly_the_bare_frame_by_frame_detections(reference_dir, tmp_path, tinybench_cmd,
                                                                      cli_env):
    data = short_stream_dir(reference_dir, tmp_path)
    env = dict(cli_env, TINYBENCH_REFERENCE_DIR=str(reference_dir))
    proc = run_cli(tinybench_cmd, env, "run", "-t", "host", "-w", "sww01", "-m", "stream", "--model", "reference",
                   "--data", str(data), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    bundle, result = load_bundle(tmp_path / "out")
    assert validation_errors(result) == []
    stream = result["modes"]["stream"]
    wake, fired = bare_frame_by_frame(reference_dir)
    frames = pd.read_parquet(bundle / stream["files"]["stream_frames"])
    assert np.array_equal(frames["out0"].to_numpy(), wake)  # every frame's wake-word output, not only the hits
    detections = check_figures_from_raw_files(bundle, stream)
    assert detections["frame"].tolist() == fired
    assert fired == [0, *range(43, 67), 156]
    # board timestamps: frame k's pulse right after its processing, k·32 ms after the sync pulse (which is
    # itself one processing time late), in whole milliseconds — so off by at most one processing time + 1 ms
    slack = float(frames["processing_s"].max()) + 0.0015
    assert np.all(np.abs(detections["from_sync_s"] - np.array(fired) * 0.032) < slack)
    metrics = {k: v["value"] for k, v in stream["metrics"].items()}
    assert (metrics["true_positives"], metrics["false_negatives"], metrics["false_positives"]) == (2, 1, 0)
    assert stream["streams"][0]["scoring"]["false_negative_starts_s"] == [7.0]
    assert stream["streams"][0]["sha256"] == "741ab419e46087ce1b738b23ca12c0633e796234f81673c7554629c38a4b708a"
    assert stream["clock_source"] == "host-wall-clock" and stream["frontend"]["in_processing_time"]
    processing = frames["processing_s"].to_numpy()
    assert np.allclose(processing, frames["model_s"] + frames["frontend_s"])
    assert stream["per_frame_latency"]["n"] == 312
    assert stream["per_frame_latency"]["p50"] == pytest.approx(np.median(processing) * 1e3)
    checks = {c["rule"]: c["passed"] for c in stream["checks"]}
    assert checks["official_stream"] is False and stream["valid_for_submission"] is False
    assert checks["quality_target"] is True
    # the results store row carries the stream figures, units in the column names
    from tinybench.reports.results_store import load_bundles, to_frame

    (row,) = to_frame(load_bundles([tmp_path / "out"]).bundles).to_dict("records")
    assert row["mode"] == "stream" and row["quality_met"] is True
    assert (row["true_positives_count"], row["false_negatives_count"], row["false_positives_count"]) == (2, 1, 0)
    assert row["duty_cycle_fraction"] == metrics["duty_cycle"] and row["frame_period_ms"] == metrics["period_mean"]
    assert row["latency_ms"] == metrics["processing_time_mean"] and row["throughput_inf_per_s"] == metrics["throughput"]
    assert row["real_time_factor"] == metrics["real_time_factor"] and row["f1_fraction"] == pytest.approx(0.8)


@pytest.mark.needs_reference
@pytest.mark.parametrize("target", ["tflm", "simaccel"])
def test_other_targets_give_the_same_detections(target, reference_dir, tmp_path, tinybench_cmd, cli_env):
    data = short_stream_dir(reference_dir, tmp_path)
    env = dict(cli_env, TINYBENCH_REFERENCE_DIR=str(reference_dir))
    proc = run_cli(tinybench_cmd, env, "run", "-t", target, "-w", "sww01", "-m", "stream", "--model", "reference",
                   "--data", str(data / "sww_short_test.json"), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    bundle, result = load_bundle(tmp_path / "out")
    assert validation_errors(result) == []
    stream = result["modes"]["stream"]
    detections = check_figures_from_raw_files(bundle, stream)
    assert detections["frame"].tolist() == [0, *range(43, 67), 156]
    frames = pd.read_parquet(bundle / stream["files"]["stream_frames"])
    if target == "simaccel":
        assert stream["clock_source"] == "simulated-cycles"
        assert (frames["cycles"] > 0).all() and frames["cycles"].nunique() == 1
        assert stream["energy"]["status"] == "modelled"
        assert stream["metrics"]["energy_per_frame"]["value"] == pytest.approx(frames["energy_j"].mean() * 1e6)
        assert {c["rule"]: c["passed"] for c in stream["checks"]}["frontend_timed"] is False
        assert frames["frontend_s"].isna().all()
    else:
        assert stream["energy"]["status"] == "not_measured" and "power monitor" in stream["energy"]["reason"]


def test_quick_synthetic_stream_with_the_builtin_model_is_timed_but_not_scored(tmp_path, tinybench_cmd, cli_env):
    proc = run_cli(tinybench_cmd, cli_env, "run", "-w", "sww01", "-m", "stream,performance", "--quick", "--out",
                   str(tmp_path / "out"), "--json")
    assert proc.returncode == 0, proc.stderr
    bundle, result = load_bundle(tmp_path / "out")
    assert validation_errors(result) == []
    stream = result["modes"]["stream"]
    assert stream["status"] == "measured"
    assert "true_positives" not in stream["metrics"]  # untrained: never presented as a score
    assert stream["streams"][0]["scoring"]["status"] == "not_scored"
    assert stream["streams"][0]["origin"] == "synthetic" and stream["streams"][0]["frames"] == 312
    assert stream["metrics"]["real_time_factor"]["value"] > 0
    assert result["modes"]["performance"]["status"] == "measured"  # model-only latency on a feature window
    assert (bundle / stream["files"]["stream_frames"]).exists()


@pytest.mark.parametrize(("workload", "mode", "message"), [
    ("kws01", "stream", "stream mode measures a streaming workload"),
    ("sww01", "accuracy", "scored on a stream"),
])
def test_modes_that_do_not_fit_the_workload_are_refused(workload, mode, message, tmp_path, tinybench_cmd, cli_env):
    proc = run_cli(tinybench_cmd, cli_env, "run", "-w", workload, "-m", mode, "--model", "builtin", "--data",
                   str(tmp_path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and message in proc.stderr
    assert not (tmp_path / "out").exists()


def make_powercap(root, start_uj=1_000_000):
    zone = root / "intel-rapl:0"
    zone.mkdir(parents=True)
    (zone / "name").write_text("package-0\n")
    (zone / "energy_uj").write_text(f"{start_uj}\n")
    (zone / "max_energy_range_uj").write_text("262143328850\n")
    return zone


def test_host_stream_energy_from_rapl_counters(tmp_path, tinybench_cmd, cli_env):
    """A generated powercap tree whose counter a writer advances (this VM has no RAPL)."""
    zone = make_powercap(tmp_path / "powercap")
    stop = threading.Event()

    def writer():
        value = 1_000_000
        while not stop.is_set():
            value += 5_000
            (zone / "energy_uj.tmp").write_text(f"{value}\n")
            (zone / "energy_uj.tmp").replace(zone / "energy_uj")  # atomically, as the kernel's file reads
            time.sleep(0.001)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        env = dict(cli_env, TINYBENCH_POWERCAP_ROOT=str(tmp_path / "powercap"))
        proc = run_cli(tinybench_cmd, env, "run", "-w", "sww01", "-m", "stream", "--quick", "--out",
                       str(tmp_path / "out"))
    finally:
        stop.set()
        thread.join()
    assert proc.returncode == 0, proc.stderr
    _, result = load_bundle(tmp_path / "out")
    stream = result["modes"]["stream"]
    energy = stream["energy"]
    assert energy["status"] == "measured" and energy["energy_j"] > 0 and energy["frames"] == 312
    assert stream["metrics"]["power_average"]["value"] == pytest.approx(
        energy["energy_j"] / stream["streams"][0]["elapsed_s"] * 1e3)
    assert "not MLPerf Tiny's power" in energy["definition"]
