"""A real host run with a deliberate CPU hog in another process: the stability warning names it."""

import json
import subprocess
import sys
import time

import pytest

HOG = """
import ctypes
ctypes.CDLL(None).prctl(15, b"tb-cpu-hog", 0, 0, 0)  # PR_SET_NAME: the name /proc shows
while True:
    pass
"""


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_cpu_hog_in_another_process_is_named_as_the_cause(tmp_path, cli_env, tinybench_cmd):
    hog = subprocess.Popen([sys.executable, "-c", HOG])
    try:
        time.sleep(0.5)
        out = tmp_path / "r"
        proc = subprocess.run([*tinybench_cmd, "run", "-w", "kws01", "-m", "performance", "--quick",
                               "--out", str(out)], capture_output=True, text=True, env=cli_env, timeout=300)
        assert hog.poll() is None, "the hog must run during the whole measurement"
    finally:
        hog.kill()
        hog.wait()
    assert proc.returncode == 0, proc.stderr
    result = json.loads(next(out.glob("*/result.json")).read_text())
    block = result["modes"]["performance"]["stability"]
    host = block["host"]
    hog_entry = next(p for p in host["busy_processes"] if p["pid"] == hog.pid)
    assert hog_entry["name"] == "tb-cpu-hog" and hog_entry["cpu_cores"] >= 0.1
    assert host["others_cpu_cores"] >= hog_entry["cpu_cores"] - 0.05
    assert not block["quiet_host"] and result["valid_for_submission"] is False  # (quick run) validity untouched
    console = " ".join(proc.stdout.split())  # rich may wrap long lines
    assert "⚠ kws01:" in console and "other processes used" in console
    top3 = [p["pid"] for p in host["busy_processes"][:3]]
    if hog.pid in top3:  # the console names the three busiest (others may be busier on a shared machine)
        assert f"tb-cpu-hog (pid {hog.pid})" in console


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(__import__("os"), "sched_setaffinity"), reason="needs CPU affinity (Linux)")
def test_cpu_pins_the_host_run_and_the_bundle_says_so(tmp_path, cli_env, tinybench_cmd):
    import os

    cpu = max(os.sched_getaffinity(0))
    proc = subprocess.run([*tinybench_cmd, "run", "-w", "kws01", "-m", "performance,spinup", "--quick", "--cpu",
                           str(cpu), "--out", str(tmp_path / "r"), "--json"],
                          capture_output=True, text=True, env=cli_env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)[0]
    host = result["modes"]["performance"]["stability"]["host"]
    assert host["affinity"] == [cpu] and host["pinned"] is (os.cpu_count() > 1)
    assert result["target"]["options"]["cpu"] == str(cpu)
    assert result["target"]["system"]["details"]["pinned_cpus"] == str(cpu)


@pytest.mark.parametrize(("value", "message"), [("4000", "cannot pin to CPU 4000"),
                                                 ("two", "cpu must be a CPU number or list")])
def test_a_bad_cpu_is_a_clear_error(value, message, tmp_path, cli_env, tinybench_cmd):
    proc = subprocess.run([*tinybench_cmd, "run", "-w", "kws01", "--quick", "--cpu", value,
                           "--out", str(tmp_path / "r")], capture_output=True, text=True, env=cli_env, timeout=300)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "r").exists()
