"""Names from untrusted input (lab descriptions, coordinators, MLPerf Tiny folders, submissions) with a trailing
newline are refused: Python's `re` `$` also matches before a final "\\n", so `^[A-Za-z0-9_.-]{1,64}$` let
"rig\\n" through (a review finding; the result schema's patterns were fixed before)."""

from __future__ import annotations

import pytest

from tinybench.lab_description import LabDescriptionError, parse_lab
from tinybench.reports.submission_layout import SAFE_NAME
from tinybench.targets.lab.coordinator import ResourceView
from tinybench.targets.lab.place import _endpoint, check_place_name


@pytest.mark.parametrize("name", ["rig\n", "rig\r\n", "\nrig"])
def test_a_place_name_with_a_newline_is_refused_in_a_lab_description(tmp_path, name):
    with pytest.raises(LabDescriptionError, match="place name .* is not allowed"):
        parse_lab({"places": {name: {}}}, tmp_path / "lab.toml")
    assert "rig" in parse_lab({"places": {"rig": {}}}, tmp_path / "lab.toml").places


def test_an_option_key_with_a_trailing_newline_is_refused_in_a_lab_description(tmp_path):
    with pytest.raises(LabDescriptionError, match="key 'port\\\\n' is not allowed"):
        parse_lab({"places": {"rig": {"options": {"port\n": "x"}}}}, tmp_path / "lab.toml")
    assert parse_lab({"places": {"rig": {"options": {"port": "x"}}}}, tmp_path / "lab.toml").places["rig"].options


def test_a_place_name_or_host_from_the_coordinator_with_a_trailing_newline_is_refused():
    from tinybench.errors import TargetError

    assert check_place_name("rig-1") == "rig-1"
    with pytest.raises(TargetError, match="not a place name"):
        check_place_name("rig-1\n")
    resource = ResourceView("exp", "g", "NetworkSerialPort", "dut", {"host": "board.lab", "port": 3001}, True)
    assert _endpoint("rig", "dut", resource).host == "board.lab"
    resource.params["host"] = "board.lab\n"
    with pytest.raises(TargetError, match="invalid host"):
        _endpoint("rig", "dut", resource)


def test_the_submission_safe_name_refuses_a_trailing_newline():
    assert SAFE_NAME.match("acme") and not SAFE_NAME.match("acme\n")


def test_an_mlperf_session_folder_named_with_a_trailing_newline_is_no_session(tmp_path):
    """A folder "20250301_101500\\n" matched `^\\d{8}_\\d{6}$`: its name became the bundle's session_id, which the
    result schema refuses (the imported bundle was unusable); now it is an unnamed session."""
    from tinybench.reports.mlperf_import import import_results
    from tinybench.reports.results_store import load_bundles

    session = tmp_path / "sessions" / "20250301_101500\n"
    session.mkdir(parents=True)
    (session / "log.txt").write_text("m-model-[ad01]\n")
    (session / "results.txt").write_text("0809.1 ulp-mlperf: AUC = 0.978\n")
    report = import_results(tmp_path / "sessions", tmp_path / "out")
    loaded = load_bundles([tmp_path / "out"], validate=True)
    assert len(report.bundles) == 1 and loaded.skipped == [] and len(loaded.bundles) == 1
    assert "\n" not in loaded.bundles[0]["session_id"] and "\n" not in loaded.bundles[0]["run_id"]


def test_the_emulated_board_refuses_a_workload_id_with_a_trailing_newline():
    from tinybench.targets.lab.emulated_board import EmulatedBoard

    with pytest.raises(ValueError, match="not a workload id"):
        EmulatedBoard("kws01\n", [])
