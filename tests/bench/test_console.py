"""The run summary says what a submission would still need, and shows untrusted text escaped."""

import copy
import io

from rich.console import Console

from tinybench.console import print_summary, submission_needs
from tinybench.runner import WorkloadResult

from .test_bundle import minimal_result


def full(result: dict) -> dict:
    """A result whose performance and accuracy both follow the full rules."""
    result = copy.deepcopy(result)
    result["model"].update(trained=True, source="reference", division="closed")
    perf = result["modes"]["performance"]
    perf["checks"] = [{"rule": "windows", "passed": True, "detail": "5 windows"}]
    result["modes"]["accuracy"] = {"status": "measured", "reason": None, "metrics": {"top1": {"value": 0.95,
                                   "unit": "fraction"}}, "checks": [{"rule": "quality_target", "passed": True,
                                   "detail": "ok"}], "valid_for_submission": True, "files": {}}
    return result


def test_untrained_builtin_model_is_not_ready_even_when_every_rule_passed():
    result = minimal_result()  # performance measured and valid, built-in model, no accuracy
    needs = submission_needs(result)
    assert any("measured accuracy result" in n for n in needs)
    assert any("trained model" in n for n in needs)
    assert submission_needs(full(result)) == []


def test_failed_rules_and_unsubmittable_workloads_are_named():
    result = full(minimal_result())
    result["modes"]["performance"]["checks"] = [{"rule": "profile", "passed": False,
                                                "detail": "rules profile 'quick' is for smoke runs only"}]
    assert submission_needs(result) == ["performance: rules profile 'quick' is for smoke runs only"]
    result["workload"]["id"] = "det01"
    assert submission_needs(result) == ["det01 has no MLPerf Tiny submission category"]


def test_sww01_is_submittable_and_needs_a_stream_run_not_performance_and_accuracy():
    result = full(minimal_result())
    result["workload"]["id"] = "sww01"
    needs = submission_needs(result)
    assert not any("no MLPerf Tiny submission category" in n for n in needs)
    assert needs == ["a measured stream result (-m stream --model reference on the official 20-minute stream: "
                     "--data sww_long_test.json; it may come from another run)"]
    result["modes"] = {"stream": {"status": "measured", "checks": [
        {"rule": "quality_target", "passed": False, "detail": "9 false positives, 2 false negatives (at most 8 of each)"}]}}
    assert submission_needs(result) == ["stream: 9 false positives, 2 false negatives (at most 8 of each)"]


def test_summary_escapes_control_characters_and_markup():
    result = minimal_result()
    result["modes"]["performance"]["metrics"]["throughput_median"] = {"value": 1000.0, "unit": "inf/s"}
    result["modes"]["performance"]["windows"] = []
    result["modes"]["energy"]["reason"] = "device said \x1b[2K\rACCEPTED [bold red]x[/bold red]"
    out = io.StringIO()
    print_summary([WorkloadResult("kws01", None, result)], Console(file=out, width=300, force_terminal=True,
                                                                   color_system=None))
    text = out.getvalue()
    assert "\x1b[2K" not in text and "\\x1b[2K\\rACCEPTED" in text
    assert "[bold red]x[/bold red]" in text  # shown as typed, not interpreted
    assert "kws01: ready for submission: no" in text
