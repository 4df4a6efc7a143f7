"""Fuzzing the untrusted-input readers: any input ends in a report or a clean refusal, never a crash."""

import io
import json
import tarfile
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tinybench.reports.safe_archive import Limits
from tinybench.reports.safe_json import Refusal, loads_untrusted
from tinybench.reports.submission_check import check_submission
from tinybench.reports.submission_layout import schema
from tinybench.result_schema import validation_errors

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=25)


@FUZZ
@given(st.binary(max_size=400))
def test_json_reader_refuses_or_parses_any_bytes(data):
    try:
        loads_untrusted(data, "fuzz.json")
    except Refusal:
        pass


@FUZZ
@given(json_values)
def test_schemas_validate_anything_without_crashing(value):
    import jsonschema

    assert isinstance(validation_errors(value if isinstance(value, dict) else {"x": value}), list)
    for name in ("submission", "system"):
        try:
            jsonschema.validate(value, schema(name))
        except jsonschema.ValidationError:
            pass


@FUZZ
@given(st.dictionaries(st.sampled_from(["schema", "organization", "division", "system", "revision", "created_utc",
                                        "tinybench_version", "files", "extra"]), json_values, max_size=9))
def test_fuzzed_manifests_are_rejected_cleanly(tmp_path_factory, manifest):
    folder = tmp_path_factory.mktemp("m")
    (folder / "submission.json").write_text(json.dumps(manifest))
    report = check_submission(folder)
    assert not report.accepted and report.problems


names = st.lists(st.sampled_from(["a", "..", ".", "", "b.json", "/", "c", "submission.json", "x" * 30]),
                 min_size=1, max_size=6).map("/".join)
kinds = st.sampled_from([tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE,
                         tarfile.FIFOTYPE])


@FUZZ
@given(st.lists(st.tuples(names, kinds, st.binary(max_size=64)), min_size=1, max_size=8))
def test_fuzzed_tar_archives_end_in_a_report(tmp_path_factory, entries):
    path = tmp_path_factory.mktemp("t") / "s.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, kind, data in entries:
            info = tarfile.TarInfo(name or "x")
            info.type = kind
            if kind == tarfile.REGTYPE:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                info.linkname = "target"
                tar.addfile(info)
    report = check_submission(path, Limits(max_total_bytes=4096, max_files=20))
    assert not report.accepted and report.problems


@FUZZ
@given(st.binary(min_size=0, max_size=2000))
def test_random_bytes_as_an_archive(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("r") / "s.tar.gz"
    path.write_bytes(data)
    report = check_submission(path)
    assert not report.accepted


@FUZZ
@given(st.lists(st.tuples(names, st.binary(max_size=64)), min_size=1, max_size=6))
def test_fuzzed_zip_archives_end_in_a_report(tmp_path_factory, entries):
    path = tmp_path_factory.mktemp("z") / "s.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries:
            zf.writestr(name or "x", data)
    report = check_submission(path, Limits(max_total_bytes=4096))
    assert not report.accepted
