"""`tinybench system show | tune | reset` on generated /proc and /sys trees (never on this machine's own)."""

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from tinybench.errors import TinybenchError
from tinybench.host_state import HostPaths
from tinybench.system_cli import system
from tinybench.system_tune import read_state, reset, show, tunables, tune


def tuned_host(fake_host):
    fake_host.cpufreq(governor="powersave", khz=1_200_000, min_khz=800_000, max_khz=3_500_000)
    fake_host.set_no_turbo(0)
    fake_host.write(fake_host.paths.proc / "sys" / "kernel" / "perf_event_max_sample_rate", "100000")
    return fake_host


def read(path: Path) -> str:
    return path.read_text().strip()


def cli(fake_host, *args):
    return subprocess.run([sys.executable, "-m", "tinybench", "system", *args, "--root", str(fake_host.root)],
                          capture_output=True, text=True, timeout=120, env=dict(os.environ, COLUMNS="200"))


def test_show_names_what_hurts_stability(fake_host):
    tuned_host(fake_host)
    fake_host.write(fake_host.paths.cpu_dir / "isolated", "1")
    fake_host.write(fake_host.paths.proc / "cpuinfo", "flags\t: fpu hypervisor")
    fake_host.write(fake_host.paths.sys / "class" / "thermal" / "thermal_zone0" / "type", "x86_pkg_temp")
    fake_host.write(fake_host.paths.sys / "class" / "thermal" / "thermal_zone0" / "temp", "91000")
    fake_host.set_loadavg(1.9, 1.0, 0.5)
    facts = {f.name: f for f in show(fake_host.paths, sample_s=0.0)}
    assert facts["CPU governor"].ok is False and "powersave (intel_pstate)" in facts["CPU governor"].state
    assert facts["turbo/boost"].state == "enabled" and facts["turbo/boost"].ok is False
    assert facts["hypervisor"].ok is False
    assert "isolated: 1" in facts["CPUs"].state and "--cpu 1" in facts["CPUs"].advice
    assert facts["temperature"].ok is False and "91 °C" in facts["temperature"].state
    assert facts["load average"].ok is False and "on 2 cores" in facts["load average"].state
    assert facts["CPU frequency"].state == "1200–1200 MHz now; allowed 800–3500 MHz"
    proc = cli(fake_host, "show")
    assert proc.returncode == 0 and "WARN CPU governor: powersave" in proc.stdout
    assert "would change 6 setting(s) (needs root)" in proc.stdout
    doc = json.loads(cli(fake_host, "show", "--json").stdout)
    assert {t["name"] for t in doc["tunable"]} >= {"turbo/boost", "CPU 0 governor", "perf_event_max_sample_rate"}


def test_tune_saves_the_state_and_reset_restores_it(fake_host, tmp_path):
    host = tuned_host(fake_host)
    cpu0 = host.paths.cpu_dir / "cpu0" / "cpufreq"
    state = tmp_path / "state.json"
    proc = cli(host, "tune", "--state-file", str(state))
    assert proc.returncode == 0, proc.stderr
    assert "changed: CPU 0 governor: powersave → performance" in proc.stdout
    assert "changed: turbo/boost: 0 → 1" in proc.stdout  # intel_pstate/no_turbo = 1 turns it off
    assert read(cpu0 / "scaling_governor") == "performance" and read(cpu0 / "scaling_min_freq") == "3500000"
    assert read(host.paths.cpu_dir / "intel_pstate" / "no_turbo") == "1"
    assert read(host.paths.proc / "sys" / "kernel" / "perf_event_max_sample_rate") == "1"
    saved = read_state(state, host.paths)
    assert saved[str(cpu0 / "scaling_governor")] == "powersave" and len(saved) == 6
    again = cli(host, "tune", "--state-file", str(state))
    assert again.returncode == 0 and "nothing changed" in again.stdout
    assert read_state(state, host.paths) == saved  # the originals survive a second tune
    host.write(cpu0 / "scaling_governor", "schedutil")  # someone changes one setting meanwhile
    back = cli(host, "reset", "--state-file", str(state))
    assert back.returncode == 0, back.stderr
    assert read(cpu0 / "scaling_governor") == "powersave" and read(cpu0 / "scaling_min_freq") == "800000"
    assert read(host.paths.cpu_dir / "intel_pstate" / "no_turbo") == "0"
    assert read(host.paths.proc / "sys" / "kernel" / "perf_event_max_sample_rate") == "100000"
    assert not state.exists()
    assert "nothing to reset" in cli(host, "reset", "--state-file", str(state)).stdout


def test_a_host_without_cpufreq_has_little_to_tune(fake_host, tmp_path):
    assert tunables(fake_host.paths) == []
    report = tune(fake_host.paths, tmp_path / "state.json")
    assert report.changed == [] and not (tmp_path / "state.json").exists()


def test_a_tampered_state_file_is_refused(fake_host, tmp_path):
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"version": 1, "proc": str(fake_host.paths.proc), "sys": str(fake_host.paths.sys),
                                 "original": {"/etc/passwd": "root::0:0::/:/bin/sh"}}))
    with pytest.raises(TinybenchError, match="which tune never writes"):
        reset(fake_host.paths, state)
    state.write_text(json.dumps({"version": 1, "proc": "/proc", "sys": "/sys", "original": {}}))
    with pytest.raises(TinybenchError, match="is not a tuning state for"):
        reset(fake_host.paths, state)
    proc = cli(fake_host, "reset", "--state-file", str(state))
    assert proc.returncode == 2 and "is not a tuning state" in proc.stderr


def test_writing_without_root_says_it_needs_root(fake_host_at):
    """The kernel's own refusal: as root, the test drops to `nobody` in a forked child (else it already is not root)."""
    folder = Path(tempfile.mkdtemp(prefix="tinybench-tune-"))
    try:
        os.chmod(folder, 0o777)
        host = tuned_host(fake_host_at(folder / "host"))  # world-readable, unlike tmp_path
        for path in [folder, *folder.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o444)
        os.chmod(folder, 0o777)
        state = folder / "state.json"
        result = _as_unprivileged(_tune_in_child, str(host.root), str(state))
        assert result["exit_code"] == 2 and result["changed"] == []
        assert "needs root to write CPU 0 governor" in result["output"] and "run it with sudo" in result["output"]
        assert read(host.paths.cpu_dir / "cpu0" / "cpufreq" / "scaling_governor") == "powersave"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_tune_on_the_live_system_as_a_user_writes_nothing(tmp_path):
    report = tune(HostPaths(), tmp_path / "state.json", euid=1000)
    assert report.changed == [] and not (tmp_path / "state.json").exists()
    assert report.needs_root == [s.name for s in tunables(HostPaths()) if s.current != s.tuned]


def _tune_in_child(root: str, state: str, queue) -> None:  # noqa: ANN001
    if os.geteuid() == 0:
        os.setgid(65534)
        os.setuid(65534)
    report = tune(HostPaths.under(Path(root)), Path(state))
    run = CliRunner().invoke(system, ["tune", "--root", root, "--state-file", state])
    queue.put({"changed": report.changed, "exit_code": run.exit_code, "output": run.output})


def _as_unprivileged(function, *args):  # noqa: ANN001, ANN202
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=function, args=(*args, queue))
    child.start()
    result = queue.get(timeout=60)
    child.join(timeout=30)
    return result


def test_show_reads_this_machine_without_changing_it():
    proc = subprocess.run([sys.executable, "-m", "tinybench", "system", "show", "--json"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    names = {f["name"] for f in doc["facts"]}
    assert {"CPUs", "CPU governor", "busy processes"} <= names
    assert all(f["ok"] in (True, False, None) and f["state"] for f in doc["facts"])
