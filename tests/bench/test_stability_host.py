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
