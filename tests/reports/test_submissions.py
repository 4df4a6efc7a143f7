"""Submissions: the round trip, every refusal with a crafted archive, publishing, revisions."""

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import uuid
import zipfile
from pathlib import Path

import pytest

from tinybench.reports.safe_archive import Limits
from tinybench.reports.submission_check import check_submission

from .conftest import mode_folder, repack, tb

pytestmark = pytest.mark.needs_reference


def test_round_trip_run_pack_check_publish(closed_submission, tmp_path):
    archive, env = closed_submission.archive, closed_submission.env
    proc = tb("submit", "check", str(archive), "--json", env=env)
    assert proc.returncode == 0, proc.stdout
    verdict = json.loads(proc.stdout)
    assert verdict["accepted"] and verdict["problems"] == []
    assert set(verdict["checked"]) == {"kws/performance", "kws/accuracy", "kws/spinup"}
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copy(archive, submissions)
    (tmp_path / "none").mkdir()
    proc = tb("report", "build", "--results", str(tmp_path / "none"), "--submissions", str(submissions), "--out",
              str(tmp_path / "site"), env=env)
    assert proc.returncode == 0, proc.stderr
    board = (tmp_path / "site" / "leaderboard" / "kws01.html").read_text()
    assert "Acme: " in board and "submission Acme/" in board and "closed" in board
    assert "declared by the submitter" not in board  # the checker hashed the reference model file
    index = (tmp_path / "site" / "index.html").read_text()
    assert "published" in index


def test_each_mode_is_its_own_record_and_the_model_file_is_included(closed_submission):
    root = closed_submission.folder
    for mode in ("performance", "accuracy", "spinup"):
        record = json.loads((mode_folder(root, mode) / "result.json").read_text())
        assert list(record["modes"]) == [mode]
    model = next(root.rglob("kws/model.tflite"))
    assert hashlib.sha256(model.read_bytes()).hexdigest() == record["model"]["sha256"]


def test_a_median_that_does_not_match_its_samples(closed_submission, tmp_path):
    def edit(root):
        path = mode_folder(root, "performance") / "result.json"
        data = json.loads(path.read_text())
        data["modes"]["performance"]["metrics"]["throughput_median"]["value"] *= 1.01
        path.write_text(json.dumps(data))

    report = check_submission(repack(closed_submission.archive, tmp_path / "x.tar.gz", edit))
    assert not report.accepted
    assert any(p.rule == "samples" and "does not match its raw data" in p.message for p in report.problems)


def test_closed_division_with_another_model(closed_submission, reference_dir, tmp_path):
    other = (reference_dir / "models" / "kws_ref_model_float32.tflite").read_bytes()

    def swap(root):  # an honest record of another model: refused for the closed division
        next(root.rglob("model.tflite")).write_bytes(other)
        for path in root.rglob("result.json"):
            data = json.loads(path.read_text())
            data["model"].update(sha256=hashlib.sha256(other).hexdigest(), bytes=len(other))
            path.write_text(json.dumps(data))

    report = check_submission(repack(closed_submission.archive, tmp_path / "closed.tar.gz", swap))
    assert not report.accepted
    assert any(p.rule == "closed" and "requires the reference model (SHA-256 aeea4368" in p.message
               for p in report.problems)

    def forge(root):  # the official SHA-256 written into result.json, another file beside it
        next(root.rglob("model.tflite")).write_bytes(other)

    report = check_submission(repack(closed_submission.archive, tmp_path / "forged.tar.gz", forge))
    assert any(p.rule == "model" and "but the results say they ran" in p.message for p in report.problems)


def test_an_altered_file_is_caught_by_the_manifest(closed_submission, tmp_path):
    work = tmp_path / "w"
    shutil.copytree(closed_submission.folder, work)
    csv_path = next(work.rglob("performance_windows.csv"))
    csv_path.write_text(csv_path.read_text().replace(",1\n", ",2\n"))
    report = check_submission(work)
    assert any(p.rule == "manifest" and "altered" in p.message for p in report.problems)


def test_a_device_submission_is_accepted_with_a_declared_division(serial_submission, tmp_path):
    report = check_submission(serial_submission.archive)
    assert report.accepted, report.to_text()
    assert set(report.checked) == {"kws/performance", "kws/accuracy", "kws/energy"}
    assert {r["model"]["division_basis"] for r in report.results} == {"declared"}
    assert any("declared by the submitter" in n for n in report.notes)
    submissions = tmp_path / "subs"
    submissions.mkdir()
    shutil.copy(serial_submission.archive, submissions)
    from tinybench.reports.site import build_site
    from tinybench.reports.submissions_feed import read_submissions

    feed = read_submissions(submissions)
    site = build_site([], tmp_path / "site", extra_results=feed.results, history=feed.history).out
    board = (site / "leaderboard" / "kws01.html").read_text()
    assert "declared by the submitter" in board
    run = next((site / "runs").glob("*energy.html")).read_text()
    assert "declared by the submitter" in run and "1000 samples/s" in run


# -- crafted archives: each refused with its reason, nothing written outside the temp dir --------------------

def tar_with(path: Path, entries) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def file_entry(name, data=b"x"):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def special(name, kind, linkname=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info, None


@pytest.mark.parametrize(("entries", "message"), [
    (lambda n: [file_entry(f"../../{n}")], "path traversal"),
    (lambda n: [file_entry(f"ok/../../{n}")], "path traversal"),
    (lambda n: [file_entry(f"/tmp/{n}")], "absolute path"),
    (lambda n: [special("link", tarfile.SYMTYPE, f"/tmp/{n}")], "symlinks are not allowed"),
    (lambda n: [file_entry("a.txt"), special("b.txt", tarfile.LNKTYPE, "a.txt")], "hardlinks are not allowed"),
    (lambda n: [special("dev", tarfile.CHRTYPE)], "devices are not allowed"),
    (lambda n: [special("pipe", tarfile.FIFOTYPE)], "fifos are not allowed"),
    (lambda n: [file_entry("/".join(["d"] * 20) + "/x.json")], "nested 21 levels deep"),
])
def test_crafted_archives_are_refused(entries, message, tmp_path, escape_name):
    archive = tar_with(tmp_path / "evil.tar.gz", entries(escape_name))
    report = check_submission(archive)
    assert not report.accepted
    assert any(p.rule == "archive" and message in p.message for p in report.problems), report.to_text()


@pytest.mark.parametrize("second", ["a/a", "a"])
def test_name_clashes_are_refused(tmp_path, second):
    # found by the fuzz test: a file "a" then a folder "a" (or "a/a") used to raise OSError
    entries = [file_entry("a", b"0")]
    if second == "a":
        info = tarfile.TarInfo("a")
        info.type = tarfile.DIRTYPE
        entries.append((info, None))
    else:
        entries.append(file_entry(second, b"5"))
    report = check_submission(tar_with(tmp_path / "clash.tar.gz", entries))
    assert any(p.rule == "archive" and "clashes with another entry" in p.message for p in report.problems)


def test_a_size_bomb_stops_at_the_limit(tmp_path):
    bomb = tmp_path / "bomb.tar.gz"
    with tarfile.open(bomb, "w:gz") as tar:
        info = tarfile.TarInfo("zeros.bin")
        info.size = 64 * 1024 * 1024  # 64 MiB of zeros compress to ~64 kB
        tar.addfile(info, io.BytesIO(bytes(info.size)))
    assert bomb.stat().st_size < 1_000_000
    report = check_submission(bomb, Limits(max_total_bytes=8 * 1024 * 1024, max_file_bytes=128 * 1024 * 1024))
    assert any("expands past 8388608 bytes" in p.message for p in report.problems)
    report = check_submission(bomb, Limits(max_file_bytes=1024 * 1024))
    assert any("exceeds the per-file limit" in p.message for p in report.problems)


def test_too_many_files(tmp_path):
    archive = tar_with(tmp_path / "many.tar.gz", [file_entry(f"f{i}") for i in range(30)])
    report = check_submission(archive, Limits(max_files=20))
    assert any("more than 20 entries" in p.message for p in report.problems)


def test_zip_symlinks_and_traversal(tmp_path, escape_name):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        link = zipfile.ZipInfo("link")
        link.external_attr = (0o120777 << 16)
        zf.writestr(link, "/etc/passwd")
    assert any("symlinks are not allowed" in p.message for p in check_submission(archive).problems)
    with zipfile.ZipFile(tmp_path / "trav.zip", "w") as zf:
        zf.writestr(f"../{escape_name}", "x")
    assert any("path traversal" in p.message for p in check_submission(tmp_path / "trav.zip").problems)


def test_directory_submissions_refuse_links(tmp_path):
    folder = tmp_path / "dir"
    folder.mkdir()
    (folder / "submission.json").write_text("{}")
    (folder / "link").symlink_to("/etc/passwd")
    assert any("symlinks are not allowed" in p.message for p in check_submission(folder).problems)
    (folder / "link").unlink()
    (folder / "a").write_text("x")
    os.link(folder / "a", folder / "b")
    assert any("hardlinks are not allowed" in p.message for p in check_submission(folder).problems)


@pytest.mark.parametrize(("content", "message"), [
    (b"{ not json", "malformed JSON"),
    (b'{"a": 1, "a": 2}', "duplicate key 'a'"),
    (b'{"a": NaN}', "NaN is not valid JSON"),
    ("{\"a\": \"caf\xe9\"}".encode("latin-1"), "not UTF-8"),
    (b"[" * 100 + b"]" * 100, "nested 100 levels deep"),
    (b'{"schema": "tinybench.submission/1"}', "'organization' is a required property"),
])
def test_malformed_manifests_are_refused(content, message, tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "submission.json").write_bytes(content)
    report = check_submission(folder)
    assert not report.accepted
    assert any(message in p.message for p in report.problems), report.to_text()


def test_oversized_json_is_refused():
    from tinybench.reports.safe_json import Refusal, loads_untrusted

    with pytest.raises(Refusal, match="exceeds the 100-byte limit"):
        loads_untrusted(b" " * 101, "x.json", max_bytes=100)


def test_a_newer_revision_supersedes_and_history_is_shown(closed_submission, tmp_path):
    archive = closed_submission.archive
    submissions = tmp_path / "subs"
    submissions.mkdir()
    shutil.copy(archive, submissions / "acme-r1.tar.gz")

    def bump(root):
        manifest = json.loads((root / "submission.json").read_text())
        manifest["revision"] = 2
        (root / "submission.json").write_text(json.dumps(manifest))

    repack(archive, submissions / "acme-r2.tar.gz", bump)
    (submissions / "broken.tar.gz").write_bytes(b"not an archive")
    from tinybench.reports.submissions_feed import read_submissions

    feed = read_submissions(submissions)
    statuses = {(h["source"], h["status"]) for h in feed.history}
    assert statuses == {("acme-r2.tar.gz", "published"), ("acme-r1.tar.gz", "superseded"),
                        ("broken.tar.gz", "rejected")}
    assert feed.results and all(r["origin"].endswith("r2") for r in feed.results)


def test_cli_exit_codes(tmp_path):
    proc = tb("submit", "check", str(tmp_path / "missing.tar.gz"))
    assert proc.returncode == 2 and "no such submission" in proc.stderr
    (tmp_path / "junk.tar.gz").write_bytes(b"\x1f\x8b garbage")
    proc = tb("submit", "check", str(tmp_path / "junk.tar.gz"))
    assert proc.returncode == 1 and "REJECTED" in proc.stdout and "Traceback" not in proc.stderr
