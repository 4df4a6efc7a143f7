"""Importing published MLPerf Tiny sww results: every printed figure kept, equal to the source.

The fixture (:mod:`sww_fixtures`) is built on the fly in the published layout
(tiny_results_v1.3: `closed/<org>/results/<system>/sww/{energy,performance}/`).
"""

import json
import re
from decimal import Decimal

import pytest

from tinybench.reports.mlperf_import import import_results
from tinybench.reports.results_store import load_bundles
from tinybench.result_schema import validation_errors

from .sww_fixtures import WINDOWS, build_published, detections


@pytest.fixture
def published(tmp_path):
    return build_published(tmp_path)


def printed(text: str) -> dict[str, Decimal]:
    """The figures of a results.txt read independently of the importer (decimal text)."""
    found = {}
    for name, pattern in {"throughput": r"Estimated throughput: (\S+) inf", "duty_cycle": r"Average duty cycle: (\S+)",
                          "period_s": r"Average period: (\S+) s", "power_average": r"Power\s+: (\S+) mW",
                          "energy_elapsed": r"Elapsed time\s+: (\S+)", "energy_total": r"Total Energy\s+: (\S+) uJ",
                          "energy_per_inference": r"Energy/Inf\s+: (\S+) uJ",
                          "energy_per_inference_median": r"Median energy cost is (\S+) uJ",
                          "energy_inferences": r"Inferences\s+: (\S+)"}.items():
        if m := re.search(pattern, text):
            found[name] = Decimal(m.group(1))
    tp, fn, fp = re.search(r"Accuracy: (\d+) True positives, (\d+) False negatives, (\d+) False positives", text).groups()
    found.update(true_positives=Decimal(tp), false_negatives=Decimal(fn), false_positives=Decimal(fp))
    return found


def test_every_published_sww_figure_is_imported_equal_to_the_source(published, tmp_path):
    report = import_results(published, tmp_path / "out")
    assert len(report.bundles) == 3 and report.skipped == []
    bundles = load_bundles([tmp_path / "out"]).bundles
    assert len(bundles) == 3
    for result in bundles:
        assert validation_errors({k: v for k, v in result.items() if k != "_bundle"}) == []
        assert result["workload"]["id"] == "sww01" and list(result["modes"]) == ["stream"]
        text = (published.parent / "out" / result["run_id"] / "source_results.txt").read_text()
        source = printed(text)
        metrics = {k: v["value"] for k, v in result["modes"]["stream"]["metrics"].items()}
        for name, value in source.items():
            if name == "period_s":
                assert metrics["period_mean"] == float(value * 1000)  # printed in s, kept in ms: the same decimal
            else:
                assert metrics[name] == float(value), name
        tp, fn, fp = (int(source[k]) for k in ("true_positives", "false_negatives", "false_positives"))
        assert metrics["f1"] == 2 * tp / (2 * tp + fp + fn)
        assert metrics["processing_time_mean"] == pytest.approx(1000 / float(source["throughput"]))
        assert ("power_average" in metrics) == ("energy" in result["run_id"])  # power only where measured
    by_id = {r["run_id"]: r for r in bundles}
    st_energy = by_id["mlperf-STMicroelectronics-NUCLEO_L4R5ZI-P-sww01-energy"]
    assert st_energy["modes"]["stream"]["metrics"]["period_mean"]["value"] == 31.987
    assert st_energy["modes"]["stream"]["metrics"]["energy_elapsed"]["value"] == 1202.8039999999999
    assert st_energy["created_utc"] == "2025-07-29T13:26:07Z"  # the runner's session folder named in log.txt
    assert st_energy["target"]["system"]["name"] == "STMicroelectronics: NUCLEO-L4R5ZI-P"
    syn = by_id["mlperf-syntiant-syntiant_9120_1v0_49mhz-sww01-energy"]["modes"]["stream"]["metrics"]
    assert (syn["true_positives"]["value"], syn["throughput"]["value"], syn["power_average"]["value"]) == (46, 1430.8, 0.5067)


def test_published_detections_are_rescored_with_the_runner_rules(published, tmp_path):
    import_results(published, tmp_path / "out")
    perf = next(r for r in load_bundles([tmp_path / "out"]).bundles if r["run_id"].endswith("performance"))
    block = perf["modes"]["stream"]
    checks = {c["rule"]: c for c in block["checks"]}
    assert checks["rescored"]["passed"], checks["rescored"]["detail"]
    assert "44 TP / 6 FN / 4 FP" in checks["rescored"]["detail"]
    assert checks["fifty_wake_words"]["passed"] and checks["quality_target"]["passed"]
    assert block["published"]["detections_ms"] == detections()
    assert block["published"]["truth_windows_s"] == WINDOWS


def test_a_results_txt_that_disagrees_with_its_detections_is_flagged_not_rewritten(published, tmp_path):
    txt = published / "closed/STMicroelectronics/results/NUCLEO_L4R5ZI-P/sww/performance/results.txt"
    txt.write_text(txt.read_text().replace("44 True positives, 6 False negatives", "49 True positives, 1 False negatives"))
    import_results(published, tmp_path / "out")
    perf = next(r for r in load_bundles([tmp_path / "out"]).bundles if r["run_id"].endswith("performance"))
    block = perf["modes"]["stream"]
    rescored = next(c for c in block["checks"] if c["rule"] == "rescored")
    assert not rescored["passed"] and "results.txt prints 49/1/4" in rescored["detail"]
    assert block["metrics"]["true_positives"]["value"] == 49  # the published figure stays what was published


def test_an_edited_import_is_rejected_by_the_site(published, tmp_path):
    from tinybench.reports.local_bundles import verify_bundle

    import_results(published, tmp_path / "out")
    for result in load_bundles([tmp_path / "out"]).bundles:
        assert verify_bundle(result).result is not None
    path = next((tmp_path / "out").glob("*syntiant*/result.json"))
    data = json.loads(path.read_text())
    data["modes"]["stream"]["metrics"]["false_positives"]["value"] = 0
    path.write_text(json.dumps(data))
    edited = next(r for r in load_bundles([tmp_path / "out"]).bundles if "syntiant" in r["run_id"])
    verified = verify_bundle(edited)
    assert verified.result is None and "false_positives 0 is not what its results.txt says (4)" in verified.problems[0]


def test_hostile_sww_folders_are_bounded(published, tmp_path):
    perf = published / "closed/STMicroelectronics/results/NUCLEO_L4R5ZI-P/sww/performance"
    (perf / "results.json").write_bytes(b"[" + b"1," * 9_000_000 + b"1]")  # > 16 MB of JSON
    txt = published / "closed/syntiant/results/syntiant_9120_1v0_49mhz/sww/energy/results.txt"
    txt.write_text("Accuracy: 99999999999999999999 True positives, 1 False negatives, 1 False positives\n"
                   "Estimated throughput: 1e400 inf./sec.\nAverage duty cycle: 1.2.3\n")
    report = import_results(published, tmp_path / "out")
    assert report.skipped == [] and any("results.json not kept" in n for n in report.notes)
    for result in load_bundles([tmp_path / "out"]).bundles:  # every bundle still schema-valid
        assert validation_errors({k: v for k, v in result.items() if k != "_bundle"}) == []
        assert "detections_ms" not in result["modes"]["stream"]["published"]


def test_detections_beyond_what_a_board_records_are_not_scored(published, tmp_path):
    """Out of time order the runner's debounce is quadratic: 2,500 such false triggers would take seconds,
    10,000 minutes (in order it is one pass: a board records them in order)."""
    perf = published / "closed/STMicroelectronics/results/NUCLEO_L4R5ZI-P/sww/performance"
    data = json.loads((perf / "results.json").read_text())
    data[0]["infer"]["detections"] = [85] + [85 + 600_000 + 1100 * i for i in reversed(range(2500))]
    (perf / "results.json").write_text(json.dumps(data))
    import_results(published, tmp_path / "out")
    result = next(r for r in load_bundles([tmp_path / "out"]).bundles if r["run_id"].endswith("performance"))
    rescored = next(c for c in result["modes"]["stream"]["checks"] if c["rule"] == "rescored")
    assert not rescored["passed"] and "2500 detections outside every wake-word window, not in time order" in rescored["detail"]


def test_a_runner_session_folder_of_a_sww_run(tmp_path):
    """The MLCommons runner's own output folder: the model is named by its log ("Device model retrieved")."""
    session = tmp_path / "sessions" / "20250729_144404"
    session.mkdir(parents=True)
    (session / "log.txt").write_text("Logging initialized. Writing output to sessions\\20250729_144404\\log.txt\n"
                                     "Device model retrieved: sww01\n")
    (session / "results.txt").write_text("Accuracy: 44 True positives, 6 False negatives, 4 False positives\n"
                                         "Average duty cycle: 0.55914\nAverage period: 0.031989 s\n"
                                         "Estimated throughput: 55.908 inf./sec.\n")
    report = import_results(tmp_path / "sessions", tmp_path / "out")
    assert len(report.bundles) == 1 and report.skipped == []
    result = load_bundles([tmp_path / "out"]).bundles[0]
    assert result["workload"]["id"] == "sww01" and result["created_utc"] == "2025-07-29T14:44:04Z"
    assert result["modes"]["stream"]["metrics"]["period_mean"]["value"] == 31.989
