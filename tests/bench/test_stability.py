"""Host-state readers and the stability watch on generated /proc and /sys trees; the stability verdict."""

import json

import pytest

from tinybench import host_state
from tinybench.result_schema import validation_errors
from tinybench.stability import RunWatch, assess, console_lines, window_spread

OWN_PID = 4000


def test_cpu_lists_are_parsed_and_bounded():
    assert host_state.parse_cpu_list("0-3,6") == [0, 1, 2, 3, 6]
    assert host_state.parse_cpu_list("") == []
    assert host_state.parse_cpu_list("3-1") == [] and host_state.parse_cpu_list("a-b") == []
    assert host_state.parse_cpu_list("0-99999999") == []  # no giant allocation from a hostile tree


def test_process_stat_with_parentheses_and_spaces_in_the_name():
    record = host_state.parse_process_stat("77 (evil) (name) x) S 5 0 0 0 0 0 0 0 0 0 30 12 0 0")
    assert record == host_state.ProcessTime(pid=77, ppid=5, name="evil) (name) x", ticks=42)
    assert host_state.parse_process_stat("garbage") is None
    assert host_state.parse_process_stat("12 (short) S 1") is None


def test_readers_on_a_generated_tree(fake_host):
    fake_host.cpufreq(governor="powersave", khz=2_100_000)
    fake_host.set_no_turbo(0)
    fake_host.set_throttle(3)
    paths = fake_host.paths
    assert host_state.online_cpus(paths) == [0, 1]
    assert host_state.governors(paths, [0, 1]) == {0: "powersave", 1: "powersave"}
    assert host_state.current_khz(paths, [0, 1]) == {0: 2_100_000, 1: 2_100_000}
    boost = host_state.boost(paths)
    assert boost.enabled and boost.inverted and boost.value_for(False) == "1"  # no_turbo=1 turns boost off
    assert host_state.throttle_events(paths, [0, 1]) == 6
    load = host_state.load_average(paths)
    assert load.to_json() == [0.1, 0.2, 0.3] and load.runnable == 1
    assert host_state.virtual_machine(paths) is False


def test_a_tree_without_cpufreq_gives_unknowns_not_guesses(fake_host):
    paths = fake_host.paths
    assert host_state.governors(paths, [0, 1]) == {}
    assert host_state.boost(paths) is None
    assert host_state.throttle_events(paths, [0, 1]) is None
    assert host_state.on_battery(paths) is None


def test_oversized_and_malformed_kernel_files_are_refused(fake_host):
    (fake_host.paths.proc / "loadavg").write_text("x" * (host_state.MAX_SMALL_FILE + 10))
    assert host_state.load_average(fake_host.paths) is None
    (fake_host.paths.proc / "loadavg").write_text("-1 2 3 1/2 3\n")
    assert host_state.load_average(fake_host.paths) is None
    (fake_host.paths.proc / "stat").write_text("cpu  a b c\n")
    assert host_state.cpu_times(fake_host.paths) is None


def watch_busy_host(fake_host, monkeypatch, hog_ticks=180, own_ticks=100, child_ticks=50):
    """Two seconds (by the watch's clock) during which a hog uses 0.9 of a core, this process 0.5, its child 0.25."""
    clock = iter([100.0, 102.0])
    monkeypatch.setattr("tinybench.stability.time.monotonic", lambda: next(clock))
    monkeypatch.setattr(host_state, "clock_ticks_per_s", lambda: 100)
    fake_host.cpufreq(khz=3_400_000)
    fake_host.set_throttle(0)
    fake_host.set_process(OWN_PID, "python3", 1000)
    fake_host.set_process(OWN_PID + 1, "spinup-child", 0, ppid=OWN_PID)
    fake_host.set_process(555, "cpu-hog", 5000)
    fake_host.set_process(556, "idle-daemon", 10)
    watch = RunWatch(paths=fake_host.paths, interval_s=None, pid=OWN_PID)
    with watch:
        fake_host.set_process(OWN_PID, "python3", 1000 + own_ticks)
        fake_host.set_process(OWN_PID + 1, "spinup-child", child_ticks, ppid=OWN_PID)
        fake_host.set_process(555, "cpu-hog", 5000 + hog_ticks)
        fake_host.set_process(556, "idle-daemon", 11)
        fake_host.set_process(777, "newcomer", 30)  # started during the run
        machine = own_ticks + child_ticks + hog_ticks + 1 + 30
        fake_host.set_cpu_times(busy=1000 + machine, idle=100000 + 400 - machine)
        fake_host.set_loadavg(2.1, 1.0, 0.5)
        fake_host.set_freq(1_700_000)
        fake_host.set_throttle(2)
    return watch.facts()


def test_the_watch_names_other_busy_processes_and_host_changes(fake_host, monkeypatch):
    facts = watch_busy_host(fake_host, monkeypatch)
    assert facts["duration_s"] == 2.0 and facts["logical_cores"] == 2
    assert facts["own_cpu_cores"] == pytest.approx(0.75)  # this process and its child
    assert facts["others_cpu_cores"] == pytest.approx((180 + 1 + 30) / 200)
    assert facts["busy_processes"] == [{"pid": 555, "name": "cpu-hog", "cpu_cores": 0.9},
                                       {"pid": 777, "name": "newcomer", "cpu_cores": 0.15}]
    assert facts["frequency_mhz"] == {"min": 1700.0, "max": 3400.0, "samples": 2}
    assert facts["throttle_events"] == 4
    assert facts["load_average_end"] == [2.1, 1.0, 0.5] and facts["governors"] == ["powersave"]
    assert facts["boost"] is None and facts["pinned"] is False


def test_a_stable_run_on_a_busy_host_warns_and_names_the_cause(fake_host, monkeypatch):
    facts = watch_busy_host(fake_host, monkeypatch)
    block = assess([1000.0, 1001.0, 999.0, 1000.5, 1000.2], "host-wall-clock", facts)
    assert block["stable"] and not block["quiet_host"]
    text = "\n".join(block["warnings"])
    assert "other processes used 1.05 of 2 cores during the run: cpu-hog (pid 555) 90%" in text
    assert "load average 2.1 on 2 cores during the run (this run accounts for about 0.8)" in text
    assert "CPU frequency changed during the run (1700–3400 MHz; governor powersave)" in text
    assert "thermal throttling: 4 events" in text


def test_an_unstable_run_names_the_likely_cause_first(fake_host, monkeypatch):
    facts = watch_busy_host(fake_host, monkeypatch)
    block = assess([4462.0, 5157.0, 4900.0, 5000.0, 4800.0], "host-wall-clock", facts)
    assert not block["stable"]
    assert block["throughput_spread"] == pytest.approx((5157 - 4462) / 4900)
    first = block["warnings"][0]
    assert first.startswith("window throughputs vary by 14.2%") and "likely cause: other processes used" in first
    result = {"workload": {"id": "kws01"}, "modes": {"performance": {"stability": block}}}
    lines = console_lines(result)
    assert lines[0] == "⚠ kws01: unstable measurement (informational; validity unchanged)"
    assert "cpu-hog (pid 555)" in lines[1]


def test_a_device_timer_is_not_blamed_on_the_host(fake_host, monkeypatch):
    facts = watch_busy_host(fake_host, monkeypatch)
    block = assess([100.0, 100.0, 100.0], "device-timer", facts)
    assert block["stable"] and block["warnings"] == [] and block["host"] == facts
    unstable = assess([100.0, 120.0, 100.0], "device-timer", facts)
    assert len(unstable["warnings"]) == 1 and "likely cause" not in unstable["warnings"][0]


def test_a_quiet_host_and_stable_windows_give_no_warning(fake_host, monkeypatch):
    facts = watch_busy_host(fake_host, monkeypatch, hog_ticks=0)
    facts["load_average_end"] = [0.8, 0.5, 0.4]
    facts["frequency_mhz"] = None
    facts["throttle_events"] = 0
    block = assess([1000.0, 1001.0, 1000.0], "host-wall-clock", facts)
    assert block["warnings"] == [] and block["quiet_host"] and console_lines(
        {"workload": {"id": "x"}, "modes": {"performance": {"stability": block}}}) == []


def test_spread_and_cv_definitions():
    cv, spread = window_spread([90.0, 100.0, 110.0])
    assert cv == pytest.approx(10.0 / 100.0) and spread == pytest.approx(0.2)
    assert window_spread([5.0]) == (None, None)


def test_the_stability_block_fits_the_strict_schema(fake_host, monkeypatch, tmp_path):
    facts = watch_busy_host(fake_host, monkeypatch)
    block = assess([1.0, 2.0], "host-wall-clock", facts)
    mode = {"status": "measured", "reason": None, "metrics": {"latency_median": {"value": 1.0, "unit": "ms"}}, "checks": [],
            "valid_for_submission": False, "files": {}, "stability": block}
    schema_probe = {"modes": {"performance": mode}}
    problems = [p for p in validation_errors(schema_probe) if p.startswith("modes")]
    assert problems == []
    block["host"]["busy_processes"][0]["extra"] = 1
    block["warnings"].append("x" * 501)
    problems = [p for p in validation_errors(json.loads(json.dumps(schema_probe))) if p.startswith("modes")]
    assert len(problems) == 2
