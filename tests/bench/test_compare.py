"""`tinybench compare` end to end: emulated devices over real ptys, host bundles, exports and hostile bundles."""

import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from tinybench.compare import compare, format_text
from tinybench.compare_inputs import load
from tinybench.targets.emulators.cycle_model import CycleModel
from tinybench.workloads import get_workload
from tinybench.workloads.model_choice import resolve_model


def start_emulator(env, *args):
    """`tinybench emulate dut` in its own process on a pty, always on the virtual clock (--time-scale 0)."""
    proc = subprocess.Popen([sys.executable, "-m", "tinybench", "emulate", "dut", "--time-scale", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    header = [proc.stdout.readline() for _ in range(2)]  # "pty: PATH", "pid: PID"
    if not all(header):
        proc.kill()
        raise RuntimeError(f"emulator did not start: {proc.communicate()[1]}")
    return proc, dict(line.strip().split(": ", 1) for line in header)["pty"]


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def cli(env, *args, timeout=600):
    return subprocess.run([sys.executable, "-m", "tinybench", *args], capture_output=True, text=True, env=env,
                          timeout=timeout, check=False)


def serial_run(env, port, out):
    proc = cli(env, "run", "--target", "serial", "--port", port, "-w", "kws01", "-m", "performance",
               "--windows", "3", "--min-window-s", "0.5", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def emulated_runs(tmp_path_factory):
    """Two runs on an emulator at 2 cycles/MAC and one on an emulator with 3 % more cycles per MAC."""
    import os

    root = tmp_path_factory.mktemp("emulated")
    env = dict(os.environ, COLUMNS="200", TINYBENCH_CACHE=str(root / "cache"))
    base, base_port = start_emulator(env, "-w", "kws01")
    try:
        slower, slower_port = start_emulator(env, "-w", "kws01", "--cycles-per-mac", "2.06")
    except BaseException:
        stop(base)
        raise
    try:
        runs = {"a1": serial_run(env, base_port, root / "a1"), "a2": serial_run(env, base_port, root / "a2"),
                "b": serial_run(env, slower_port, root / "b")}
    finally:
        stop(base)
        stop(slower)
    return env, runs


@pytest.mark.slow
def test_three_percent_more_cycles_per_mac_is_reported_slower_by_1_03(emulated_runs):
    env, runs = emulated_runs
    proc = cli(env, "compare", str(runs["a1"]), str(runs["b"]), "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["schema"] == "tinybench.compare/1" and doc["regressions"] == 1
    (latency,) = doc["comparisons"]  # a device timer gives no per-inference times, so only latency
    assert latency["metric"] == "latency" and latency["method"] == "exact" and latency["verdict"] == "slower"
    assert latency["estimate"] == pytest.approx(1.03, abs=0.001)
    assert latency["low"] <= latency["estimate"] <= latency["high"] and latency["high"] - latency["low"] < 1e-4
    model = resolve_model("builtin", get_workload("kws01"))
    ops, macs = len(model.graph.operators), model.graph.macs
    expected = CycleModel(cycles_per_mac=2.06).inference_us(macs, ops) / CycleModel().inference_us(macs, ops)
    assert latency["estimate"] == pytest.approx(expected, rel=1e-5)  # exactly the cycle model's ratio
    gate = cli(env, "compare", str(runs["a1"]), str(runs["b"]), "--fail-on-regression")
    assert gate.returncode == 1 and "slower (exact)" in gate.stdout and "1 regression" in gate.stdout
    assert cli(env, "compare", str(runs["b"]), str(runs["a1"]), "--fail-on-regression").returncode == 0  # faster
    loose = json.loads(cli(env, "compare", str(runs["a1"]), str(runs["b"]), "--threshold", "5%", "--json").stdout)
    assert loose["comparisons"][0]["verdict"] == "no significant difference"


@pytest.mark.slow
def test_identical_emulator_runs_are_no_significant_difference(emulated_runs):
    env, runs = emulated_runs
    proc = cli(env, "compare", str(runs["a1"]), str(runs["a2"]), "--json", "--fail-on-regression")
    assert proc.returncode == 0, proc.stderr
    (latency,) = json.loads(proc.stdout)["comparisons"]
    assert latency["verdict"] == "no significant difference" and latency["method"] == "exact"
    # virtual device time: identical up to the µs timer's resolution over a window
    assert latency["estimate"] == pytest.approx(1.0, abs=1e-5)


@pytest.fixture(scope="module")
def host_runs(tmp_path_factory):
    """Two quick host runs of kws01 (performance + spin-up)."""
    import os

    root = tmp_path_factory.mktemp("host")
    env = dict(os.environ, COLUMNS="200", TINYBENCH_CACHE=str(root / "cache"))
    for name in ("a", "b"):
        proc = cli(env, "run", "-w", "kws01", "--quick", "--out", str(root / name))
        assert proc.returncode == 0, proc.stderr
    return env, root


@pytest.mark.slow
def test_host_runs_compare_every_metric_with_intervals(host_runs):
    env, root = host_runs
    report = compare(load([root / "a"]), load([root / "b"]), threshold=0.02)
    metrics = {c.metric: c for c in report.comparisons}
    assert set(metrics) == {"latency", "latency_p50", "latency_floor", "spinup_cold", "spinup_warm"}
    for c in metrics.values():
        assert c.method == "bootstrap" and c.low <= c.estimate <= c.high
        assert c.verdict in ("slower", "faster", "no significant difference")
    assert metrics["latency"].repetitions_a == 5 and metrics["spinup_cold"].repetitions_a == 3
    bundle_a = next(p for p in sorted((root / "a").iterdir()) if not p.name.startswith("."))  # not the index folder
    result = json.loads((bundle_a / "result.json").read_text())
    assert metrics["latency"].a == result["modes"]["performance"]["metrics"]["latency_median"]["value"]
    same = compare(load([root / "a"]), load([root / "a"]))
    assert all(c.estimate == 1.0 and c.verdict == "no significant difference" for c in same.comparisons)
    text = cli(env, "compare", str(root / "a"), str(root / "b"))
    assert text.returncode == 0 and "latency" in text.stdout and "median inference" in text.stdout


@pytest.mark.slow
def test_exports_are_compared_by_their_figures(host_runs, tmp_path):
    env, root = host_runs
    for name in ("a", "b"):
        assert cli(env, "report", "export", "--results", str(root / name), "--to",
                   str(tmp_path / f"{name}.csv")).returncode == 0
    doc = json.loads(cli(env, "compare", str(tmp_path / "a.csv"), str(tmp_path / "b.csv"), "--json").stdout)
    latency = next(c for c in doc["comparisons"] if c["metric"] == "latency")
    assert latency["method"] == "medians-only" and latency["verdict"] == "not tested" and latency["low"] is None
    # several runs per side: the runs become the repetitions
    both = pd.concat([pd.read_csv(tmp_path / "a.csv"), pd.read_csv(tmp_path / "b.csv")])
    both.to_json(tmp_path / "ab.json", orient="records")
    doc = json.loads(cli(env, "compare", str(tmp_path / "ab.json"), str(tmp_path / "ab.json"), "--json").stdout)
    latency = next(c for c in doc["comparisons"] if c["metric"] == "latency")
    assert latency["method"] == "bootstrap over runs" and latency["runs_a"] == 2


@pytest.mark.slow
def test_hostile_or_broken_bundles_are_skipped_with_the_reason(host_runs, tmp_path):
    env, root = host_runs
    source = next(p for p in sorted((root / "a").iterdir()) if not p.name.startswith("."))  # not the index folder
    evil = tmp_path / "evil" / source.name
    shutil.copytree(source, evil)
    result = json.loads((evil / "result.json").read_text())
    result["modes"]["performance"]["files"]["performance_inferences"] = "../../etc/passwd"
    (evil / "result.json").write_text(json.dumps(result))
    broken = tmp_path / "evil" / "broken"
    broken.mkdir()
    (broken / "result.json").write_text('{"schema": "tinybench.result/1", "run_id": 1, "run_id": 2}')
    loaded = load([tmp_path / "evil"])
    assert loaded.runs == []
    # refused by the strict result schema (file names are plain names) or by compare's own check
    assert any("not a plain file name" in s or "etc/passwd" in s for s in loaded.skipped), loaded.skipped
    assert any("duplicate key" in s for s in loaded.skipped)
    proc = cli(env, "compare", str(tmp_path / "evil"), str(root / "b"))
    assert proc.returncode == 2 and "A: no readable result" in proc.stderr and "Traceback" not in proc.stderr
    assert cli(env, "compare", str(root / "a"), str(tmp_path / "missing")).returncode == 2
    direct = cli(env, "compare", str(next((root / "a").glob("*/result.json"))), str(root / "b"))
    assert direct.returncode == 0 and "latency" in direct.stdout  # a result.json stands for its bundle
    bad = cli(env, "compare", str(root / "a"), str(root / "b"), "--threshold", "lots")
    assert bad.returncode == 2 and "--threshold expects a percentage" in bad.stderr


def _rewrite_inferences(source, dest, change):
    """A copy of bundle `source` whose per-inference times (ns) are `change(window table)`, window by window."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    shutil.copytree(source, dest)
    result = json.loads((dest / "result.json").read_text())
    result["run_id"] += "-edited"
    (dest / "result.json").write_text(json.dumps(result))
    path = dest / result["modes"]["performance"]["files"]["performance_inferences"]
    table = pq.read_table(path)
    frame = table.to_pandas()
    frame["latency_ns"] = frame.groupby("window")["latency_ns"].transform(change).astype(frame["latency_ns"].dtype)
    pq.write_table(pa.Table.from_pandas(frame, schema=table.schema, preserve_index=False), path)


@pytest.mark.slow
def test_the_fastest_inference_ignores_added_noise_and_catches_a_3_percent_cost(host_runs, tmp_path):
    """A noisy neighbour slows all but the fastest 40 % of every window's inferences by 20 %: the median
    inference moves, the fastest does not. Every inference costing 3 % more moves the fastest by 3 %.

    The real run's times are shifted so every window's fastest inference is 160 µs (on a busy machine
    the real minima differ by a few %, which would make the expected verdicts depend on the load)."""
    env, root = host_runs
    source = next(p for p in sorted((root / "a").iterdir()) if not p.name.startswith("."))
    _rewrite_inferences(source, tmp_path / "base" / "run", lambda t: t - t.min() + 160_000)
    base = load([tmp_path / "base"])
    _rewrite_inferences(tmp_path / "base" / "run", tmp_path / "noisy" / "run",
                        lambda t: t.where(t <= t.quantile(0.4), (t * 1.2).round()))
    _rewrite_inferences(tmp_path / "base" / "run", tmp_path / "costly" / "run", lambda t: (t * 1.03).round())

    def by_metric(other):
        return {c.metric: c for c in compare(base, load([tmp_path / other])).comparisons}

    noisy = by_metric("noisy")
    assert noisy["latency_floor"].estimate == 1.0 and noisy["latency_floor"].verdict == "no significant difference"
    assert noisy["latency_p50"].estimate > 1.02  # the median inference does see the neighbour
    costly = by_metric("costly")["latency_floor"]
    assert costly.estimate == pytest.approx(1.03, abs=1e-6) and costly.verdict == "slower"
    assert costly.a == pytest.approx(0.160) and costly.b == pytest.approx(0.1648)

    def gate(other, *metrics):
        return cli(env, "compare", str(tmp_path / "base"), str(tmp_path / other), "--fail-on-regression",
                   *[arg for m in metrics for arg in ("--metric", m)])

    assert gate("noisy").returncode == 1  # every metric: the median inference is slower
    only_floor = gate("noisy", "latency_floor")
    assert only_floor.returncode == 0 and "median inference" not in only_floor.stdout, only_floor.stdout
    assert gate("costly", "latency_floor").returncode == 1
    _rewrite_inferences(tmp_path / "base" / "run", tmp_path / "corrupt" / "run", lambda t: t.where(t.index % 7 > 0, -5))
    corrupt = load([tmp_path / "corrupt"])
    assert corrupt.runs == [] and "inference time(s) are not positive" in corrupt.skipped[0], corrupt.skipped
    none = gate("costly", "accuracy")  # chosen metrics measured on neither side: said, not a pass in silence
    assert none.returncode == 2 and "none of the chosen metrics (accuracy) was measured" in none.stdout
    assert "nothing was compared" in none.stderr
    unknown = gate("costly", "latency_minimum")
    assert unknown.returncode == 2 and "unknown metric latency_minimum" in unknown.stderr


def accuracy_run(run_id, system, correct, per_sample=True):
    from tinybench.compare_inputs import AccuracyFacts, RunRecord

    facts = AccuracyFacts("top1", sum(correct) / len(correct), len(correct),
                          {f"s{i}": bool(c) for i, c in enumerate(correct)} if per_sample else None)
    return RunRecord(run_id, "kws01", system, system, "2026-01-01T00:00:00Z", "memory", accuracy=facts)


def test_accuracy_is_compared_in_points_with_an_exact_interval():
    from tinybench.compare_inputs import Loaded

    a = [True] * 180 + [False] * 20
    b = [True] * 150 + [False] * 50
    report = compare(Loaded([accuracy_run("a", "board", a)]), Loaded([accuracy_run("b", "board", b)]))
    (acc,) = report.comparisons
    assert acc.metric == "accuracy_top1" and acc.unit == "points" and acc.estimate == pytest.approx(-15.0)
    assert acc.method == "clopper-pearson-paired" and acc.high < 0 and acc.verdict == "worse" and acc.regression
    unpaired = compare(Loaded([accuracy_run("a", "board", a, False)]), Loaded([accuracy_run("b", "board", b, False)]))
    (acc2,) = unpaired.comparisons
    assert acc2.method == "clopper-pearson" and acc2.high - acc2.low > acc.high - acc.low and acc2.verdict == "worse"
    same = compare(Loaded([accuracy_run("a", "board", a)]), Loaded([accuracy_run("b", "other board", a)]))
    assert same.comparisons[0].verdict == "no significant difference"
    assert "A: board · B: other board" in format_text(same)


def test_several_systems_per_side_are_paired_by_system():
    from tinybench.compare_inputs import Loaded

    a = Loaded([accuracy_run("a1", "board-1", [True, False]), accuracy_run("a2", "board-2", [True, True])])
    b = Loaded([accuracy_run("b1", "board-1", [True, True]), accuracy_run("b3", "board-3", [True, True])])
    report = compare(a, b)
    assert [c.system_a for c in report.comparisons] == ["board-1"]
    assert sorted(report.unmatched) == ["kws01 on board-2: only in A", "kws01 on board-3: only in B"]


@pytest.mark.slow
def test_a_parquet_footer_over_the_limits_is_refused_before_reading(host_runs, monkeypatch):
    import tinybench.compare_inputs as inputs

    _, root = host_runs
    monkeypatch.setattr(inputs, "MAX_PARQUET_ROWS", 10)  # the real limit is 50 M rows; the check is the same
    loaded = load([root / "a"])
    assert loaded.runs == [] and "rows" in loaded.skipped[0] and "exceed the limits" in loaded.skipped[0]
    assert load([root / "a"], with_samples=False).runs  # figures and windows alone still compare
