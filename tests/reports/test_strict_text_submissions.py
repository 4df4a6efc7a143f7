"""Submissions and system descriptions are validated with `pattern` read as JSON Schema defines it (ECMA-262:
a final `$` is the end of the text). Plain `jsonschema` reads it with Python's `re.search`, whose `$` also
matches before a final newline: "Acme\\n" passed the manifest's `^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`."""

from __future__ import annotations

import json

import pytest

from tinybench.errors import TinybenchError
from tinybench.reports.submission_check import check_submission

from .conftest import repack


@pytest.mark.parametrize("field", ["organization", "system"])
def test_a_manifest_name_with_a_trailing_newline_is_refused_by_the_checker(closed_submission, tmp_path, field):
    def edit(root):
        manifest = json.loads((root / "submission.json").read_text())
        manifest[field] += "\n"
        (root / "submission.json").write_text(json.dumps(manifest))

    report = check_submission(repack(closed_submission.archive, tmp_path / "nl.tar.gz", edit))
    assert not report.accepted
    schema = [p for p in report.problems if p.rule == "schema"]
    assert len(schema) == 1 and schema[0].path == "submission.json", report.to_text()
    assert schema[0].message.startswith(f"{field}: ") and "\\n' does not match" in schema[0].message
    assert report.checked == []  # nothing read by a name the schema refused


def test_the_packer_validates_the_system_description_with_json_schema_patterns(closed_submission, tmp_path,
                                                                                monkeypatch):
    """No field of tinybench.system/1 has a `pattern` today: this gives `system_name` one, to show that the
    packer reads it as the checker does (before: "Board\\n" passed `^[A-Za-z0-9 ._-]+$`)."""
    from tinybench.reports import submission_layout
    from tinybench.reports.submission_pack import pack

    real = submission_layout.schema

    def with_pattern(name):
        found = json.loads(json.dumps(real(name)))
        if name == "system":
            found["properties"]["system_name"]["pattern"] = "^[A-Za-z0-9 ._-]+$"
        return found

    monkeypatch.setattr(submission_layout, "schema", with_pattern)
    system = tmp_path / "system.json"
    description = {"schema": "tinybench.system/1", "organization": "Acme", "system_name": "Board\n",
                   "status": "available", "processor": "x86"}
    system.write_text(json.dumps(description))
    bundles = closed_submission.archive.parent / "results"
    with pytest.raises(TinybenchError, match=r"system description: system_name: 'Board\\n' does not match"):
        pack([bundles], tmp_path / "out.tar.gz", "Acme", system)
    assert not (tmp_path / "out.tar.gz").exists()
    system.write_text(json.dumps(dict(description, system_name="Board")))
    assert pack([bundles], tmp_path / "out.tar.gz", "Acme", system).is_file()


def test_the_packer_refuses_an_organization_the_checker_would_refuse(closed_submission, tmp_path):
    """The manifest allows 64 characters of organization; the packer wrote up to 120, and the archive was then
    rejected by every checker."""
    from tinybench.reports.submission_pack import pack

    bundles = closed_submission.archive.parent / "results"
    with pytest.raises(TinybenchError, match="submission.json: organization: '(A){100}' does not match"):
        pack([bundles], tmp_path / "out.tar.gz", "A" * 100)
    assert not (tmp_path / "out.tar.gz").exists()


def test_a_system_description_file_that_is_not_json_is_a_clear_error(closed_submission, tmp_path):
    from tinybench.reports.submission_pack import pack

    system = tmp_path / "system.json"
    system.write_text('{"schema": "tinybench.system/1",')
    with pytest.raises(TinybenchError, match="system.json: malformed JSON"):
        pack([closed_submission.archive.parent / "results"], tmp_path / "out.tar.gz", "Acme", system)
