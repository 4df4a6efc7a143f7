"""Every field the current code writes validates against the strict schema: bundles from the real
runner (host --quick with every mode, tflm, simaccel) and from the serial emulator (performance,
accuracy, energy through the LPM01A emulator), plus imported MLPerf Tiny results."""

from __future__ import annotations

import json

import pytest

from tinybench.result_schema import validation_errors

from .conftest import tb

pytestmark = [pytest.mark.needs_reference, pytest.mark.slow]


def test_real_bundles_of_every_target_validate(closed_submission, serial_submission, tmp_path):
    out = tmp_path / "r"
    for target, modes in (("host", "performance,spinup,energy"), ("tflm", "performance,spinup"),
                          ("simaccel", "performance,spinup,energy")):
        proc = tb("run", "-t", target, "-w", "kws01", "-m", modes, "--quick", "--out", str(out / target),
                  env=closed_submission.env)
        assert proc.returncode == 0, proc.stderr
    bundles = [p for root in (out, closed_submission.archive.parent / "results",
                              serial_submission.archive.parent / "results") for p in root.rglob("result.json")]
    assert len(bundles) >= 6
    for path in bundles:
        result = json.loads(path.read_text())
        assert validation_errors(result) == [], path
    modes = {m for p in bundles for m in json.loads(p.read_text())["modes"]}
    assert modes == {"performance", "spinup", "accuracy", "energy"}


def test_submitted_records_validate_as_published(closed_submission, serial_submission):
    from tinybench.reports.submission_check import check_submission
    from tinybench.reports.submissions_feed import published

    for built in (closed_submission, serial_submission):
        report = check_submission(built.archive)
        assert report.accepted
        assert all(validation_errors(published(r, report)) == [] for r in report.results)
