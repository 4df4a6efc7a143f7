"""RAPL on generated powercap sysfs trees (this machine has none: it is a VM)."""

import json
import os
import subprocess
import threading
import time

import pytest

from tinybench.energy_accounting import counter_window_energy
from tinybench.targets.power import create_monitor
from tinybench.targets.power.contract import MonitorUnavailable


def make_tree(root, packages=((1_000_000, 262_143_328_850),)):
    for i, (energy, top) in enumerate(packages):
        zone = root / f"intel-rapl:{i}"
        zone.mkdir(parents=True)
        (zone / "name").write_text(f"package-{i}\n")
        (zone / "energy_uj").write_text(f"{energy}\n")
        (zone / "max_energy_range_uj").write_text(f"{top}\n")
        (zone / f"intel-rapl:{i}:0").mkdir()  # a sub-zone (core), not counted
    return root


def set_energy(root, index, value):
    path = root / f"intel-rapl:{index}" / "energy_uj"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"{value}\n")
    os.replace(tmp, path)


def test_energy_is_the_counter_difference_summed_over_packages(tmp_path):
    root = make_tree(tmp_path / "powercap", [(1_000, 10**9), (5_000, 10**9)])
    monitor = create_monitor("rapl", {"root": str(root)})
    info = monitor.open()
    assert info.details["domains"] == ["package-0", "package-1"]
    monitor.begin_window()
    set_energy(root, 0, 1_000 + 2_500_000)
    set_energy(root, 1, 5_000 + 500_000)
    window = counter_window_energy(monitor.end_window(), duration_s=2.0)
    assert window.valid and window.energy_j == pytest.approx(3.0)


def test_counter_wrap_around(tmp_path):
    top = 262_143_328_850
    root = make_tree(tmp_path / "powercap", [(top - 1_000_000, top)])
    monitor = create_monitor("rapl", {"root": str(root)})
    monitor.open()
    monitor.begin_window()
    set_energy(root, 0, 2_000_000)  # passed the top: (top - start) + 1 + end
    window = counter_window_energy(monitor.end_window(), duration_s=1.0)
    assert window.energy_j == pytest.approx((1_000_000 + 1 + 2_000_000) / 1e6)


def test_absent_and_unreadable_counters_are_reasons(tmp_path):
    with pytest.raises(MonitorUnavailable, match="does not exist"):
        create_monitor("rapl", {"root": str(tmp_path / "none")}).open()
    (tmp_path / "empty").mkdir()
    with pytest.raises(MonitorUnavailable, match="no RAPL package zone"):
        create_monitor("rapl", {"root": str(tmp_path / "empty")}).open()
    root = make_tree(tmp_path / "locked")
    (root / "intel-rapl:0" / "energy_uj").write_text("not a number\n")
    with pytest.raises(MonitorUnavailable, match="cannot read RAPL counter"):
        create_monitor("rapl", {"root": str(root)}).open()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_permission_denied_is_a_reason(tmp_path):
    root = make_tree(tmp_path / "powercap")
    (root / "intel-rapl:0" / "energy_uj").chmod(0)
    with pytest.raises(MonitorUnavailable, match="not readable by this user"):
        create_monitor("rapl", {"root": str(root)}).open()


def test_host_energy_mode_measures_on_a_rapl_capable_host(tmp_path, tinybench_cmd, cli_env):
    """A writer advances the generated counter at 7.5 W; the measured average power must say so."""
    root = make_tree(tmp_path / "powercap")
    stop = threading.Event()
    watts = 7.5

    def writer():
        start, energy = time.monotonic(), 1_000_000
        while not stop.is_set():
            set_energy(root, 0, int(energy + (time.monotonic() - start) * watts * 1e6))
            time.sleep(0.002)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        env = dict(cli_env, TINYBENCH_POWERCAP_ROOT=str(root))
        proc = subprocess.run([*tinybench_cmd, "run", "-w", "kws01", "-m", "energy", "--quick", "--min-window-s", "0.5",
                               "--out", str(tmp_path / "r"), "--json"], capture_output=True, text=True, env=env,
                              timeout=300)
    finally:
        stop.set()
        thread.join()
    assert proc.returncode == 0, proc.stderr
    energy = json.loads(proc.stdout)[0]["modes"]["energy"]
    assert energy["status"] == "measured"
    assert energy["metrics"]["power_average"]["value"] == pytest.approx(watts * 1e3, rel=0.05)
    assert energy["instrument"]["instrument"] == "RAPL (Linux powercap)"
    assert not next(c for c in energy["checks"] if c["rule"] == "instrument")["passed"]
