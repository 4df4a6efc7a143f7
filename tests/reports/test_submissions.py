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

pytestmark = pytest.mark.needs_reference


def tb(*args, env=None, timeout=900):
    return subprocess.run([sys.executable, "-m", "tinybench", *args], capture_output=True, text=True,
                          env=env or os.environ.copy(), timeout=timeout)


@pytest.fixture(scope="module")
def accepted(tmp_path_factory, reference_dir):
    """A real, acceptable open-division submission: full-rules kws01 performance + accuracy (≈ 1 min)."""
    from tinybench.workloads import get_workload

    root = tmp_path_factory.mktemp("submission")
    import csv

    import numpy as np

    data = root / "data"
    data.mkdir()
    w, rng, rows = get_workload("kws01"), np.random.default_rng(0), []
    for i in range(12):
        (data / f"s{i}.bin").write_bytes(w.synthetic_raw(rng).tobytes())
        rows.append([f"s{i}.bin", 12, i % 12])
    with (data / "y_labels.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    env = dict(os.environ, TINYBENCH_REFERENCE_DIR=str(reference_dir))
    model = reference_dir / "models" / "kws_ref_model_float32.tflite"  # a trained model that is not the reference
    proc = tb("run", "-w", "kws01", "--model", str(model), "-m", "performance,accuracy", "--data", str(data),
              "--out", str(root / "results"), env=env)
    assert proc.returncode == 0, proc.stderr
    archive = root / "acme-r1.tar.gz"
    proc = tb("submit", "pack", "--results", str(root / "results"), "--org", "Acme", "--out", str(archive), env=env)
    assert proc.returncode == 0, proc.stderr
    return archive, root, env


def test_round_trip_run_pack_check_publish(accepted, tmp_path):
    archive, root, env = accepted
    proc = tb("submit", "check", str(archive), "--json", env=env)
    assert proc.returncode == 0, proc.stdout
    verdict = json.loads(proc.stdout)
    assert verdict["accepted"] and verdict["problems"] == [] and set(verdict["checked"]) == {"kws/performance",
                                                                                              "kws/accuracy"}
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copy(archive, submissions)
    (tmp_path / "none").mkdir()
    proc = tb("report", "build", "--results", str(tmp_path / "none"), "--submissions", str(submissions), "--out",
              str(tmp_path / "site"), env=env)
    assert proc.returncode == 0, proc.stderr
    board = (tmp_path / "site" / "leaderboard" / "kws01.html").read_text()
    assert "Acme: " in board and "submission Acme/" in board
    index = (tmp_path / "site" / "index.html").read_text()
    assert "published" in index


def repack(archive: Path, out: Path, edit) -> Path:
    """Unpack a real submission, let `edit(root)` change it, refresh the manifest's hashes, pack again."""
    import tempfile

    work = Path(tempfile.mkdtemp(prefix="repack-"))
    with tarfile.open(archive) as tar:
        tar.extractall(work, filter="data")
    edit(work)
    manifest = json.loads((work / "submission.json").read_text())
    manifest["files"] = {p.relative_to(work).as_posix(): {"sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
                                                          "bytes": p.stat().st_size}
                         for p in sorted(work.rglob("*")) if p.is_file() and p.name != "submission.json"}
    (work / "submission.json").write_text(json.dumps(manifest))
    with tarfile.open(out, "w:gz") as tar:
        for path in sorted(work.rglob("*")):
            tar.add(path, arcname=path.relative_to(work).as_posix(), recursive=False)
    return out


def result_files(root: Path, mode: str) -> Path:
    return next(root.rglob(f"{mode}/result.json"))


def test_a_median_that_does_not_match_its_samples(accepted, tmp_path):
    archive, _, _ = accepted

    def edit(root):
        path = result_files(root, "performance")
        data = json.loads(path.read_text())
        data["modes"]["performance"]["metrics"]["throughput_median"]["value"] *= 1.01
        path.write_text(json.dumps(data))

    report = check_submission(repack(archive, tmp_path / "x.tar.gz", edit))
    assert not report.accepted
    assert any(p.rule == "samples" and "does not match its windows" in p.message for p in report.problems)


def test_closed_division_with_the_wrong_model_hash(accepted, tmp_path):
    archive, _, _ = accepted

    def edit(root):
        (root / "open").rename(root / "closed")
        manifest = json.loads((root / "submission.json").read_text())
        manifest["division"] = "closed"
        (root / "submission.json").write_text(json.dumps(manifest))
        for path in root.rglob("result.json"):
            data = json.loads(path.read_text())
            data["model"]["division"], data["model"]["source"] = "closed", "reference"
            path.write_text(json.dumps(data))

    report = check_submission(repack(archive, tmp_path / "closed.tar.gz", edit))
    assert not report.accepted
    assert any(p.rule == "closed" and "requires the reference model (SHA-256 aeea4368" in p.message
               for p in report.problems)


def test_an_altered_file_is_caught_by_the_manifest(accepted, tmp_path):
    archive, _, _ = accepted
    work = tmp_path / "w"
    with tarfile.open(archive) as tar:
        tar.extractall(work, filter="data")
    csv_path = next(work.rglob("performance_windows.csv"))
    csv_path.write_text(csv_path.read_text().replace(",1\n", ",2\n"))
    report = check_submission(work)
    assert any(p.rule == "manifest" and "altered" in p.message for p in report.problems)


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


@pytest.fixture
def escape_name():
    name = f"tinybench-escape-{uuid.uuid4().hex}.txt"
    yield name
    for folder in {Path.cwd(), Path("/tmp"), Path(os.environ.get("TMPDIR", "/tmp"))}:
        assert not (folder / name).exists(), f"{folder / name} was written outside the temporary directory"


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


def test_a_newer_revision_supersedes_and_history_is_shown(accepted, tmp_path):
    archive, _, env = accepted
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
