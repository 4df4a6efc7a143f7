"""A C0 control character (U+0000-U+001F but tab, newline and carriage return) in a string of untrusted JSON is
refused when it is parsed (`safe_json`), with the place it was found: every consumer (the site, the export, the
submission checker) is covered. Before, "\\u0000" in a system name reached the HTML site (shown as U+FFFD)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tinybench.reports.safe_json import Refusal, loads_untrusted

from .scale_bundles import build_with_one_odd, copy_bundle, real_bundle


@pytest.mark.parametrize(("raw", "where", "code"), [
    (rb'{"a": "x\u0000"}', "a", "U+0000"),
    (rb'{"a": ["ok", {"b": "\u001B[31mred"}]}', "a/1/b", "U+001B"),
    (rb'{"a": "back\bspace"}', "a", "U+0008"),
    (rb'{"a": "form\ffeed"}', "a", "U+000C"),
    (rb'{"a": "\u000b"}', "a", "U+000B"),
    (rb'{"a": {"k\u0001": 1}}', "a/k\\x01", "U+0001"),
    (rb'["\\\u0000"]', "0", "U+0000"),  # an escaped backslash, then a real \u0000
    (rb'"\u001f"', "(root)", "U+001F"),
])
def test_a_control_character_in_a_string_is_refused_where_it_is(raw, where, code):
    with pytest.raises(Refusal) as err:
        loads_untrusted(raw, "t.json")
    message = str(err.value)
    assert message.startswith(f"t.json: {where}: ") and code in message and "control character" in message, message
    assert message.isprintable()  # the message itself holds no control character


def test_text_that_only_looks_like_a_control_escape_is_kept():
    raw = rb'{"a": "tab\tnew\nline\r", "b": "\\u0000 and \\b and \\f", "c": "\\\\u0001", "\\u0007": "\u00e9\u007f"}'
    assert loads_untrusted(raw, "t.json") == {"a": "tab\tnew\nline\r", "b": "\\u0000 and \\b and \\f",
                                             "c": "\\\\u0001", "\\u0007": "\u00e9\x7f"}


def test_a_lone_surrogate_is_still_refused_with_its_place():
    with pytest.raises(Refusal, match="surrogate") as err:
        loads_untrusted(rb'{"a": {"b": "x\ud800"}}', "t.json")
    assert "a/b" in str(err.value)


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    return real_bundle(tmp_path_factory.mktemp("seed"))


def test_report_build_refuses_a_bundle_with_a_nul_in_its_system_name_and_builds_the_others(seed, tmp_path):
    def edit(odd):
        result = json.loads((odd / "result.json").read_text())
        result["target"]["system"]["name"] = "Board\x00 1"
        (odd / "result.json").write_text(json.dumps(result))  # written as "Board\u0000 1"

    _, rejected, pages = build_with_one_odd(seed, tmp_path, edit)
    assert "target/system/name: control character U+0000" in rejected, rejected
    assert "\x00" not in pages and "\ufffd" not in pages and "Board 0" in pages


def test_look_alikes_and_long_runs_of_backslashes_are_decided_by_the_parsed_text():
    many = b'["' + b"\\\\b" * 1000 + b'"]'  # 1000 escaped backslashes, each followed by the letter b
    assert loads_untrusted(many, "t.json") == ["\\b" * 1000]
    run = b'["' + b"\\\\" * 500 + b'\\u0000"]'  # 500 escaped backslashes, then a real \u0000
    with pytest.raises(Refusal, match="U\\+0000"):
        loads_untrusted(run, "t.json")
    assert loads_untrusted(b'["' + b"\\\\" * 500 + b'u0000"]', "t.json") == ["\\" * 500 + "u0000"]


def test_the_checker_refuses_a_control_character_in_a_record_or_the_system_description(closed_submission, tmp_path):
    from tinybench.reports.submission_check import check_submission

    from .conftest import mode_folder, repack

    def edit(root):
        record = mode_folder(root, "performance") / "result.json"
        result = json.loads(record.read_text())
        result["target"]["system"]["name"] += "\x1b[2J"  # would clear a terminal, shows as a box in a browser
        record.write_text(json.dumps(result))
        system = next(root.rglob("systems/*.json"))
        system.write_text(json.dumps(dict(json.loads(system.read_text()), notes="fine\x00print")))

    report = check_submission(repack(closed_submission.archive, tmp_path / "ctrl.tar.gz", edit))
    assert not report.accepted
    found = {p.path.split("/")[-1]: p.message for p in report.problems if p.rule == "json"}
    assert "target/system/name: control character U+001B" in found["result.json"], report.to_text()
    system_message = next(m for path, m in found.items() if path.endswith(".json") and path != "result.json")
    assert "notes: control character U+0000" in system_message, report.to_text()
    assert "\x1b" not in report.to_text() and "\x00" not in report.to_text()


def test_the_packer_refuses_a_system_description_with_a_control_character(closed_submission, tmp_path):
    from tinybench.errors import TinybenchError
    from tinybench.reports.submission_pack import pack

    system = tmp_path / "system.json"
    system.write_text(json.dumps({"schema": "tinybench.system/1", "organization": "Acme", "system_name": "Board",
                                  "status": "available", "processor": "x86\x07"}))
    with pytest.raises(TinybenchError, match="system.json: processor: control character U\\+0007"):
        pack([closed_submission.archive.parent / "results"], tmp_path / "out.tar.gz", "Acme", system)
    assert not (tmp_path / "out.tar.gz").exists()


def test_a_device_name_with_control_characters_is_written_visibly_and_the_run_is_published(tmp_path):
    """A firmware's `name` reply is the bundle's system name: with an escape sequence in it, `tinybench run` wrote
    a bundle that every tinybench reader now refuses (the measured run was lost to the site). The writer keeps
    it as visible text (\\x1b) instead."""
    from .conftest import Emulator, tb

    env = dict(os.environ)
    dut = Emulator(env, "dut", "-w", "kws01", "--vendor", "Evil\x1b[2J\x07", "--time-scale", "0")
    try:
        proc = tb("run", "-t", "serial", "-O", f"port={dut.info['pty']}", "-w", "kws01", "--quick", "-m",
                  "performance", "--out", str(tmp_path / "results"), env=env)
    finally:
        dut.stop()
    assert proc.returncode == 0, proc.stderr
    written = next((tmp_path / "results").glob("*/result.json")).read_text()
    assert "\\\\x1b[2J\\\\x07" in written and "\\u001b" not in written and "\\u0007" not in written
    proc = tb("report", "build", "--results", str(tmp_path / "results"), "--out", str(tmp_path / "site"), env=env)
    assert proc.returncode == 0 and "rejected" not in proc.stderr and "1 results" in proc.stdout, proc.stderr
    page = next((tmp_path / "site" / "runs").glob("*.html")).read_text()
    assert "Evil\\x1b[2J\\x07" in page and "\x1b" not in page


@pytest.mark.parametrize("control", ["\x00", "\x1b[2J", "\x07"])
def test_a_control_character_in_a_csv_text_column_is_refused(seed, tmp_path, control):
    """A window's `sample_id` in performance_windows.csv is shown on the run page when result.json leaves out its
    copy of the windows (the schema allows that): a control character there is refused like one in JSON."""
    results = tmp_path / "results"
    copy_bundle(seed, results, 0)
    odd = copy_bundle(seed, results, 1)
    result = json.loads((odd / "result.json").read_text())
    result["modes"]["performance"].pop("windows")
    (odd / "result.json").write_text(json.dumps(result))
    csv_path = odd / "performance_windows.csv"
    lines = csv_path.read_text().splitlines()
    column = lines[0].split(",").index("sample_id")
    cells = lines[2].split(",")
    cells[column] = f"sample{control}x"
    lines[2] = ",".join(cells)
    csv_path.write_text("\n".join(lines) + "\n")
    proc = subprocess.run([sys.executable, "-m", "tinybench", "report", "build", "--results", str(results),
                           "--out", str(tmp_path / "site")], capture_output=True, text=True, timeout=600,
                          env=dict(os.environ))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    rejected = [line for line in proc.stderr.splitlines() if line.startswith("rejected:")]
    assert len(rejected) == 1 and odd.name in rejected[0], proc.stderr
    assert "performance_windows.csv: row 2: column 'sample_id': control character" in rejected[0], rejected[0]
    pages = "".join(p.read_text() for p in (tmp_path / "site").rglob("*.html"))
    assert control not in pages and "\ufffd" not in pages
