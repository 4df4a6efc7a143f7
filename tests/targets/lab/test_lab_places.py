"""`lab run` and `run --place` against a real labgrid lab on 127.0.0.1.

A real labgrid-coordinator, two real labgrid-exporter processes (host1, host2) publishing
DUT emulators on ptys through Debian's ser2net, power switched through labgrid's
NetworkPowerDriver. Virtual device time (--time-scale 0) except where real time is the
point (an exporter killed mid-run, Ctrl-C mid-run).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tinybench.targets.emulators.cycle_model import CycleModel
from tinybench.targets.lab.emulated_board import flash
from tinybench.targets.lab.emulated_lab import BoardSpec
from tinybench.workloads import get_workload
from tinybench.workloads.model_choice import resolve_model

pytestmark = pytest.mark.slow
BOARDS = ["board1", "board2", "board3", "board4"]


def tinybench(env, *args, timeout=300):
    return subprocess.run([sys.executable, "-m", "tinybench", *args], capture_output=True, text=True, env=env,
                          timeout=timeout, check=False)


def labgrid_client(lab, *args, user="alice", host="otherhost"):
    env = dict(lab.env, LG_COORDINATOR=lab.address, LG_USERNAME=user, LG_HOSTNAME=host)
    tool = Path(sys.executable).parent / "labgrid-client"
    return subprocess.run([str(tool), *args], capture_output=True, text=True, env=env, timeout=60, check=True)


def holder(lab, place):
    from tinybench.targets.lab.coordinator import CoordinatorClient

    with CoordinatorClient(lab.address) as client:
        return client.place(place).acquired


@pytest.fixture(scope="module")
def lab4(make_lab, tmp_path_factory):
    """Four boards on two hosts (virtual time), and an energy place on host1: its DUT behind an interface
    board, powered by an LPM01A that streams in real time, as the instrument does."""
    lab = make_lab([BoardSpec("board1", "host1", "kws01"), BoardSpec("board2", "host1", "ic01"),
                    BoardSpec("board3", "host2", "kws01"), BoardSpec("board4", "host2", "ic01"),
                    BoardSpec("energy1", "host1", "kws01", ("--time-scale", "1"), energy=True)])
    lab.toml = tmp_path_factory.mktemp("toml") / "lab.toml"
    lab.toml.write_text(lab.lab_toml(["kws01", "ic01"]))
    return lab


def lab_run(lab, env, out, *args, timeout=300):
    proc = tinybench(env, "lab", "run", "--lab", str(lab.toml), "--out", str(out), "--json", *args, timeout=timeout)
    return proc, (json.loads(proc.stdout) if proc.stdout.strip() else None)


def bundles(out):
    return sorted(p for p in Path(out).iterdir() if not p.name.startswith("."))


# -- what may differ between a lab run and a direct run: ids, times, the host, where the board was --
HOST_CLOCK = ("reset_to_init_done", "total", "spinup_cold_median")


def comparable(result):
    result = json.loads(json.dumps(result))
    for key in ("run_id", "session_id", "created_utc", "finished_utc", "environment", "load_phases_s"):
        result.pop(key)
    result["memory_bytes"].pop("peak_host_rss")
    for key in ("options", "system"):
        result["target"].pop(key)
    stability = result["modes"]["performance"].get("stability", {})
    for key in ("host", "quiet_host", "warnings"):  # the host's load while it ran, not the board's figures
        stability.pop(key, None)
    spinup = result["modes"].get("spinup")
    if spinup:
        for key in HOST_CLOCK:
            spinup["metrics"].pop(key, None)
            spinup["phases_median_ms"]["cold"].pop(key, None)
    return result


def differences(a, b, path=""):
    """Paths where two JSON values differ (readable assertion messages)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b)) for d in differences(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r:.120} != {b!r:.120}"]


def direct_run(env, workload, out):
    emu = subprocess.Popen([sys.executable, "-m", "tinybench", "emulate", "dut", "-w", workload, "--time-scale", "0"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        port, pid = emu.stdout.readline().split(": ")[1].strip(), emu.stdout.readline().split(": ")[1].strip()
        proc = tinybench(env, "run", "--target", "serial", "--port", port, "-w", workload, "-m", "performance,spinup",
                         "--quick", "-O", "reset=command", "-O", f"reset_command=kill -HUP {pid}", "--out", str(out),
                         "--json")
        assert proc.returncode == 0, proc.stderr
        return json.loads((out / json.loads(proc.stdout)[0]["run_id"] / "result.json").read_text())
    finally:
        emu.terminate()
        emu.wait(10)


def test_a_matrix_of_4_places_by_2_workloads_gives_the_bundles_of_direct_runs(lab4, lab_env, tmp_path):
    proc, summary = lab_run(lab4, lab_env, tmp_path / "lab", "--places", ",".join(BOARDS), "-w", "kws01,ic01",
                            "-m", "performance,spinup", "--quick")
    assert proc.returncode == 0, proc.stderr
    assert [(p["place"], p["status"], len(p["bundles"])) for p in summary["places"]] == [(b, "ok", 2) for b in BOARDS]
    written = bundles(tmp_path / "lab")
    assert len(written) == 8
    direct = {w: direct_run(lab_env, w, tmp_path / "direct") for w in ("kws01", "ic01")}
    seen = set()
    for bundle in written:
        result = json.loads((bundle / "result.json").read_text())
        workload = result["workload"]["id"]
        place = result["target"]["options"]["place"]
        seen.add((place, workload))
        details = result["target"]["system"]["details"]
        assert details["exporters"] == ("host1" if place in ("board1", "board2") else "host2")
        assert result["target"]["options"]["reset"] == "place" and "NetworkPowerPort" in details["reset_via"]
        expected = direct[workload]
        assert differences(comparable(result), comparable(expected)) == []
        reference = tmp_path / "direct" / expected["run_id"]
        pd.testing.assert_frame_equal(pd.read_csv(bundle / "performance_windows.csv"),
                                      pd.read_csv(reference / "performance_windows.csv"))
        spin = pd.read_csv(bundle / "spinup.csv")
        assert list(spin["first_inference_ms"]) == list(pd.read_csv(reference / "spinup.csv")["first_inference_ms"])
        assert spin["reset_to_init_done_ms"].between(1, 5000).all()  # a real power cycle, timed from power-on
    assert seen == {(p, w) for p in BOARDS for w in ("kws01", "ic01")}
    assert all(holder(lab4, place) is None for place in BOARDS)  # every place released


def test_a_held_place_names_its_holder_and_wait_waits(lab4, lab_env, tmp_path):
    assert flash(lab4.running["board1"].control, "kws01") == 0  # whatever an earlier test left on it
    labgrid_client(lab4, "-p", "board1", "acquire")
    try:
        proc = tinybench(lab_env, "run", "--target", "serial", "--place", "board1", "--coordinator", lab4.address,
                         "-w", "kws01", "-m", "performance", "--quick", "--out", str(tmp_path / "r"))
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert "place board1 is held by otherhost/alice" in proc.stderr and "--wait" in proc.stderr
        # in a lab run, only that place is affected
        proc, summary = lab_run(lab4, lab_env, tmp_path / "lab", "--places", "board1,board2", "-w", "kws01",
                                "-m", "performance", "--quick")
        assert proc.returncode == 1
        status = {p["place"]: p for p in summary["places"]}
        assert status["board1"]["status"] == "unavailable" and not status["board1"]["bundles"]
        assert "held by otherhost/alice" in status["board1"]["failures"][0]
        assert status["board2"]["status"] == "ok" and len(bundles(tmp_path / "lab")) == 1
        waiting = subprocess.Popen(
            [sys.executable, "-m", "tinybench", "run", "--target", "serial", "--place", "board1", "--coordinator",
             lab4.address, "--wait", "120", "-w", "kws01", "-m", "performance", "--quick", "--out", str(tmp_path / "w")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=lab_env)
        first = waiting.stderr.readline()
        assert "place board1 is held by otherhost/alice; waiting up to 120 s" in first
        labgrid_client(lab4, "-p", "board1", "release")  # the waiting run gets it now
        _, stderr = waiting.communicate(timeout=300)
        assert waiting.returncode == 0, stderr
        assert len(bundles(tmp_path / "w")) == 1
    finally:
        if holder(lab4, "board1") == "otherhost/alice":
            labgrid_client(lab4, "-p", "board1", "release")
    assert holder(lab4, "board1") is None


def test_energy_through_an_exported_lpm01a(lab4, lab_env, tmp_path):
    proc, summary = lab_run(lab4, lab_env, tmp_path / "lab", "--places", "energy1", "-w", "kws01", "-m", "energy",
                            "--quick", "--min-window-s", "1.0")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(Path(summary["places"][0]["bundles"][0]["path"], "result.json").read_text())
    energy = result["modes"]["energy"]
    model = resolve_model("builtin", get_workload("kws01"))
    expected_uj = 1.8 * 10e-3 * CycleModel().inference_us(model.graph.macs, len(model.graph.operators))
    assert energy["status"] == "measured"
    assert energy["metrics"]["energy_per_inference_median"]["value"] == pytest.approx(expected_uj, rel=0.01)
    assert energy["instrument"]["instrument"] == "ST X-NUCLEO-LPM01A"


@pytest.fixture(scope="module")
def realtime_lab(make_lab):
    """Boards whose inferences take real time: rt3 alone on host2."""
    scale = ("--time-scale", "1")
    lab = make_lab([BoardSpec("rt1", "host1", "kws01", scale), BoardSpec("rt2", "host1", "kws01", scale),
                    BoardSpec("rt3", "host2", "kws01", scale)])
    lab.toml = lab.workdir / "lab.toml"
    lab.toml.write_text(lab.lab_toml(["kws01"]))
    return lab


def test_an_exporter_killed_mid_run_fails_only_its_place_and_keeps_its_windows(realtime_lab, lab_env, tmp_path):
    out = tmp_path / "lab"
    command = [sys.executable, "-m", "tinybench", "lab", "run", "--lab", str(realtime_lab.toml), "--out", str(out),
               "--json", "-w", "kws01", "-m", "performance", "--windows", "3", "--min-window-s", "1"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=lab_env)
    lines = []
    for line in proc.stderr:  # not a terminal: one line per event
        lines.append(line)
        if "rt3: kws01: window 2/3" in line:  # the first window is complete, the second under way
            break
    realtime_lab.kill_exporter("host2")
    stdout, stderr = proc.communicate(timeout=180)
    assert proc.returncode == 1, "".join(lines) + stderr
    status = {p["place"]: p for p in json.loads(stdout)["places"]}
    assert status["rt1"]["status"] == status["rt2"]["status"] == "ok"
    lost = status["rt3"]
    assert lost["status"] == "lost" and "rt3 lost its exporter host2" in " ".join(lost["failures"])
    result = json.loads(Path(lost["bundles"][0]["path"], "result.json").read_text())
    perf = result["modes"]["performance"]
    assert perf["status"] == "failed" and 1 <= len(perf["windows"]) < 3
    assert f"({len(perf['windows'])} windows kept)" in perf["reason"]
    assert len(pd.read_csv(Path(lost["bundles"][0]["path"]) / "performance_windows.csv")) == len(perf["windows"])
    assert len(bundles(out)) == 3


def test_ctrl_c_commits_the_bundle_and_releases_the_place(realtime_lab, lab_env, tmp_path, ctrl_c_works):
    out = tmp_path / "r"
    proc = subprocess.Popen([sys.executable, "-m", "tinybench", "run", "--target", "serial", "--place", "rt1",
                             "--coordinator", realtime_lab.address, "-w", "kws01", "-m", "performance", "--windows",
                             "3", "--min-window-s", "1", "--out", str(out), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=lab_env,
                            preexec_fn=ctrl_c_works)
    deadline = time.monotonic() + 60
    while holder(realtime_lab, "rt1") is None and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(4.0)  # acquired; the probe and a window or two have run
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    result = json.loads((bundles(out)[0] / "result.json").read_text())
    assert result["modes"]["performance"]["status"] == "interrupted"
    assert holder(realtime_lab, "rt1") is None
