"""Crafted submissions, several per class of the trust review: each ends in a verdict with a reason,
with no traceback, under 300 MB of memory, and nothing written outside the temporary folders —
all checked by the test (`run_isolated` runs the checker in its own process and measures it)."""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
import struct
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from .conftest import mode_folder, refresh_manifest, repack

pytestmark = pytest.mark.needs_reference


def verdicts(run_isolated, paths: list[Path], writable: tuple[Path, ...] = ()) -> dict[str, tuple[bool, str]]:
    """Check every path in one isolated process: name → (accepted, every problem as one text)."""
    code = f"""
        import json
        from pathlib import Path
        from tinybench.reports.submission_check import check_submission
        out = {{}}
        for path in {[str(p) for p in paths]!r}:
            report = check_submission(Path(path))
            out[Path(path).name] = [report.accepted, " | ".join(f"[{{p.rule}}] {{p.path}}: {{p.message}}"
                                                                 for p in report.problems)]
        print(json.dumps(out))
    """
    result = run_isolated(code, writable)
    return {k: tuple(v) for k, v in json.loads(result.stdout.splitlines()[-1]).items()}


def edit_json(path: Path, change) -> None:  # noqa: ANN001
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


# -- accepted, but false: every forged figure is caught -------------------------------------------------------

def _second_copy(root: Path) -> None:
    """accuracy/result.json also carries a performance block with better figures."""
    perf = json.loads((mode_folder(root, "performance") / "result.json").read_text())["modes"]["performance"]
    perf["metrics"]["latency_median"]["value"] /= 2

    def add(data):
        data["modes"]["performance"] = perf
    edit_json(mode_folder(root, "accuracy") / "result.json", add)


def _energy_without_files(root: Path) -> None:
    folder = mode_folder(root, "performance").parent / "energy"
    folder.mkdir()
    record = json.loads((mode_folder(root, "performance") / "result.json").read_text())
    record["modes"] = {"energy": {"status": "measured", "reason": None, "checks": [], "valid_for_submission": True,
                                  "files": {}, "metrics": {"energy_per_inference_median": {"value": 1.0,
                                                                                           "unit": "uJ/inf"}},
                                  "instrument": {"instrument": "ST X-NUCLEO-LPM01A", "sample_rate_hz": 1000.0}}}
    (folder / "result.json").write_text(json.dumps(record))


def _energy_hand_written(root: Path) -> None:
    _energy_without_files(root)
    folder = mode_folder(root, "energy")
    rows = ["window,sample_id,iterations,duration_s,energy_j,uj_per_inference,power_mw,attempts"]
    rows += [f"{i},s{i}.bin,1000,10.5,0.001,1.0,0.095,1" for i in range(5)]
    (folder / "energy_windows.csv").write_text("\n".join(rows) + "\n")


def _top1_from_correct(root: Path) -> None:
    path = mode_folder(root, "accuracy") / "accuracy_predictions.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    for row in rows:  # every prediction wrong, but the submitter's own `correct` column still says True
        row.update(predicted="3", correct="True")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue())


def _rows_removed(root: Path) -> None:
    path = mode_folder(root, "accuracy") / "accuracy_predictions.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-2]) + "\n")  # `samples` still claims 12


def _p99_edited(root: Path) -> None:
    def change(data):
        data["modes"]["performance"]["per_inference_latency"]["p99"] *= 0.5
    edit_json(mode_folder(root, "performance") / "result.json", change)


def _histogram_edited(root: Path) -> None:
    def change(data):
        counts = data["modes"]["performance"]["per_inference_latency"]["histogram_ms"]["counts"]
        counts[0], counts[-1] = counts[0] + counts[-1], 0
    edit_json(mode_folder(root, "performance") / "result.json", change)


def _no_model_file_checks_flipped(root: Path) -> None:
    next(root.rglob("model.tflite")).unlink()
    for path in root.rglob("result.json"):
        def flip(data):
            for block in data["modes"].values():
                for check in block["checks"]:
                    check["passed"] = True
                block["valid_for_submission"] = True
        edit_json(path, flip)


def _quick_spinup_checks_flipped(root: Path) -> None:
    """Three repetitions of each kind (a --quick spin-up), figures made consistent, checks set to passed."""
    folder = mode_folder(root, "spinup")
    lines = (folder / "spinup.csv").read_text().splitlines()
    header, rows = lines[0], [r for r in lines[1:] if int(r.split(",")[1]) < 3]
    (folder / "spinup.csv").write_text("\n".join([header] + rows) + "\n")
    columns = header.split(",")

    def refresh(data):
        block = data["modes"]["spinup"]
        for kind in ("cold", "warm"):
            kept = [dict(zip(columns, r.split(","))) for r in rows if r.startswith(kind)]
            block["metrics"][f"spinup_{kind}_median"]["value"] = float(np.median([float(r["total_ms"]) for r in kept]))
            block["phases_median_ms"][kind] = {c[:-3]: float(np.median([float(r[c]) for r in kept]))
                                               for c in columns if c.endswith("_ms") and all(r[c] for r in kept)}
            block["repetitions"][kind] = 3
        for check in block["checks"]:
            check["passed"] = True
    edit_json(folder / "result.json", refresh)


FORGERIES = {
    "second-copy": (_second_copy, "must hold only the accuracy result (it also holds performance)"),
    "energy-without-files": (_energy_without_files, "energy result needs energy_windows.csv"),
    "energy-hand-written": (_energy_hand_written, "accepted only with its trace"),
    "top1-from-correct-column": (_top1_from_correct, "top1 1.0 does not match its raw data (0.0)"),
    "rows-removed": (_rows_removed, "samples 12 does not match the raw file (10)"),
    "p99-edited": (_p99_edited, "per-inference p99"),
    "histogram-edited": (_histogram_edited, "histogram does not match"),
    "closed-without-model-file": (_no_model_file_checks_flipped, "must include the model file it ran"),
    "quick-spinup-checks-passed": (_quick_spinup_checks_flipped, "3 cold, 3 warm (at least 5 each)"),
}


def test_forged_figures_are_refused(closed_submission, run_isolated, tmp_path, escape_name):
    paths = [repack(closed_submission.archive, tmp_path / f"{name}.tar.gz", edit)
             for name, (edit, _) in FORGERIES.items()]
    found = verdicts(run_isolated, paths)
    missed = {name: found[f"{name}.tar.gz"] for name, (_, reason) in FORGERIES.items()
              if found[f"{name}.tar.gz"][0] or reason not in found[f"{name}.tar.gz"][1]}
    assert not missed, missed


def test_every_recomputed_figure_reaches_the_site_not_the_declared_one(closed_submission, tmp_path):
    """Accepted records carry the checker's figures and checks; declared `checks` are never read."""
    from tinybench.reports.submission_check import check_submission

    def mislabel(root):  # a false failing check and validity: harmless, since they are re-derived
        def change(data):
            data["modes"]["performance"]["checks"] = [{"rule": "windows", "passed": False, "detail": "forged"}]
            data["valid_for_submission"] = False
        edit_json(mode_folder(root, "performance") / "result.json", change)

    report = check_submission(repack(closed_submission.archive, tmp_path / "relabelled.tar.gz", mislabel))
    assert report.accepted, report.to_text()
    perf = next(r for r in report.results if "performance" in r["modes"])["modes"]["performance"]
    assert {c["rule"] for c in perf["checks"]} == {"profile", "windows", "window_duration"}
    assert all(c["passed"] for c in perf["checks"]) and perf["valid_for_submission"]


# -- crashes instead of verdicts --------------------------------------------------------------------------

def _zip_of(folder: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.writestr(path.relative_to(folder).as_posix(), path.read_bytes())
    return out


def _patch_zip(path: Path, name: str, *, flags: int | None = None, method: int | None = None,
               local_name: bytes | None = None) -> Path:
    """Rewrite header fields of entry `name` (local header, and the central directory unless local_name)."""
    data = bytearray(path.read_bytes())
    raw = name.encode()
    local = data.find(b"PK\x03\x04")
    while data[local + 30:local + 30 + len(raw)] != raw:
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while data[central + 46:central + 46 + len(raw)] != raw:
        central = data.find(b"PK\x01\x02", central + 4)
    if flags is not None:
        struct.pack_into("<H", data, local + 6, flags)
        struct.pack_into("<H", data, central + 8, flags)
    if method is not None:
        struct.pack_into("<H", data, local + 8, method)
        struct.pack_into("<H", data, central + 10, method)
    if local_name is not None:
        data[local + 30:local + 30 + len(local_name)] = local_name
    path.write_bytes(bytes(data))
    return path


def _tar(path: Path, entries: list[tuple[str, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, content in entries:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return path


def test_malformed_archives_end_in_verdicts(closed_submission, run_isolated, tmp_path):
    ok = closed_submission.folder
    first = next(p for p in sorted(ok.rglob("*")) if p.is_file()).relative_to(ok).as_posix()
    cases = {
        "long-component.tar.gz": (_tar(tmp_path / "long-component.tar.gz", [("a" * 300 + "/x.json", b"{}")]),
                                  "a path component of 300 bytes"),
        "long-component.zip": (None, "a path component of 400 bytes"),
        "encrypted.zip": (None, "encrypted zip entries are not allowed"),
        "method-99.zip": (None, "compression method 99 is not supported"),
        "local-header.zip": (None, "disagrees with the central directory"),
    }
    with zipfile.ZipFile(tmp_path / "long-component.zip", "w") as zf:
        zf.writestr("b" * 400 + "/x.json", "{}")
    _patch_zip(_zip_of(ok, tmp_path / "encrypted.zip"), first, flags=0x1)
    _patch_zip(_zip_of(ok, tmp_path / "method-99.zip"), first, method=99)
    _patch_zip(_zip_of(ok, tmp_path / "local-header.zip"), first, local_name=b"X" + first.encode()[1:])
    found = verdicts(run_isolated, [tmp_path / name for name in cases])
    for name, (_, reason) in cases.items():
        accepted, problems = found[name]
        assert not accepted and reason in problems, f"{name}: {problems}"


def test_empty_or_malformed_raw_files_end_in_verdicts(closed_submission, run_isolated, tmp_path):
    def header_only(root):
        path = mode_folder(root, "accuracy") / "accuracy_predictions.csv"
        path.write_text(path.read_text().splitlines()[0] + "\n")

    def text_in_numbers(root):
        path = mode_folder(root, "performance") / "performance_windows.csv"
        lines = path.read_text().splitlines()
        path.write_text("\n".join([lines[0], lines[1].replace(lines[1].split(",")[4], "1e400")] + lines[2:]) + "\n")

    def parquet_not_parquet(root):
        (mode_folder(root, "performance") / "performance_inferences.parquet").write_bytes(b"PAR1" + b"\0" * 64)

    cases = {"header-only": (header_only, "a header and no rows"),
             "infinite-window": (text_in_numbers, "must be a finite number"),
             "broken-parquet": (parquet_not_parquet, "not a readable Parquet file")}
    paths = [repack(closed_submission.archive, tmp_path / f"{n}.tar.gz", edit) for n, (edit, _) in cases.items()]
    found = verdicts(run_isolated, paths)
    for name, (_, reason) in cases.items():
        accepted, problems = found[f"{name}.tar.gz"]
        assert not accepted and reason in problems, f"{name}: {problems}"


# -- unbounded memory from tiny inputs --------------------------------------------------------------------

def _tar_with_metadata(path: Path, kind: bytes, size: int) -> Path:
    """A gzip'd tar whose first header is a `kind` metadata record of `size` bytes (streamed, never in memory)."""
    def header(name: bytes, typeflag: bytes, length: int) -> bytes:
        block = bytearray(512)
        block[0:len(name)] = name
        block[100:108] = b"0000644\0"
        block[124:136] = f"{length:011o}\0".encode()
        block[136:148] = b"00000000000\0"
        block[156:157] = typeflag
        block[257:263] = b"ustar\0"
        block[263:265] = b"00"
        block[148:156] = b" " * 8
        block[148:156] = f"{sum(block):06o}\0 ".encode()
        return bytes(block)

    record = (b"%d path=" % size) if kind == b"x" else b""
    padded = -(-size // 512) * 512 - len(record)
    mib = gzip.compress(b"a" * (1 << 20), compresslevel=9)  # gzip members concatenate: one MiB, compressed once
    with open(path, "wb") as out:
        out.write(gzip.compress(header(b"././@LongLink" if kind == b"L" else b"pax", kind, size) + record))
        for _ in range(padded >> 20):
            out.write(mib)
        out.write(gzip.compress(b"a" * (padded & ((1 << 20) - 1)) + header(b"x.json", b"0", 2)
                                + b"{}".ljust(512, b"\0") + bytes(1024)))
    return path


def _rle_bomb(path: Path, rows: int) -> None:
    """A Parquet file of `rows` identical rows: run-length encoding makes it a few kB."""
    schema = pa.schema([("window", pa.int16()), ("latency_ns", pa.int32())])
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        block = pa.table({"window": np.zeros(5_000_000, np.int16), "latency_ns": np.ones(5_000_000, np.int32)})
        for _ in range(rows // 5_000_000):
            writer.write_table(block, row_group_size=5_000_000)


def test_tiny_inputs_cannot_take_unbounded_memory(closed_submission, run_isolated, tmp_path):
    long_name = _tar_with_metadata(tmp_path / "gnu-long-name.tar.gz", b"L", 300 * 1024 * 1024)
    pax = _tar_with_metadata(tmp_path / "pax-record.tar.gz", b"x", 300 * 1024 * 1024)
    assert long_name.stat().st_size < 2_000_000 and pax.stat().st_size < 2_000_000

    def bomb(root):
        _rle_bomb(mode_folder(root, "performance") / "performance_inferences.parquet", 40_000_000)

    def many_rows(root):
        path = mode_folder(root, "accuracy") / "accuracy_predictions.csv"
        lines = path.read_text().splitlines()
        path.write_text("\n".join([lines[0]] + [lines[1].replace("s0.bin", f"x{i}") for i in range(300_000)]) + "\n")

    def deep_json(root):
        (mode_folder(root, "performance") / "result.json").write_text("[" * 100_000 + "]" * 100_000)

    parquet_bomb = repack(closed_submission.archive, tmp_path / "parquet-bomb.tar.gz", bomb)
    assert parquet_bomb.stat().st_size < 2_000_000
    rows = repack(closed_submission.archive, tmp_path / "csv-rows.tar.gz", many_rows)
    deep = repack(closed_submission.archive, tmp_path / "deep-json.tar.gz", deep_json)
    found = verdicts(run_isolated, [long_name, pax, parquet_bomb, rows, deep])
    expected = {"gnu-long-name.tar.gz": "a GNU long-name record of 314572800 bytes",
                "pax-record.tar.gz": "a PAX record of 314572800 bytes",
                "parquet-bomb.tar.gz": "40000000 rows (limit",
                "csv-rows.tar.gz": "more than 200000 rows",
                "deep-json.tar.gz": "nested 100000 levels deep"}
    for name, reason in expected.items():
        accepted, problems = found[name]
        assert not accepted and reason in problems, f"{name}: {problems}"


# -- the terminal ---------------------------------------------------------------------------------------------

def test_names_are_shown_escaped_and_non_utf8_names_refused(closed_submission, run_isolated, tmp_path):
    def ansi_file(root):
        (root / "closed" / "\x1b[2K\r\x1b[32mACCEPTED\x1b[0m.json").write_text("{}")

    ansi = repack(closed_submission.archive, tmp_path / "ansi.tar.gz", ansi_file)
    raw = tmp_path / "latin1.tar"
    with tarfile.open(raw, "w", format=tarfile.GNU_FORMAT, encoding="latin-1") as tar:
        info = tarfile.TarInfo("caf\xe9.json")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"{}"))
    cp437 = tmp_path / "cp437.zip"
    with zipfile.ZipFile(cp437, "w") as zf:
        zf.writestr("x.json", "{}")
    data = cp437.read_bytes().replace(b"x.json", b"\x82.json")  # not UTF-8, no UTF-8 flag
    cp437.write_bytes(data)
    code = f"""
        import sys
        sys.argv = ["tinybench", "submit", "check", {str(ansi)!r}]
        from tinybench.cli import main
        main()
    """
    result = run_isolated(code)
    assert result.returncode == 1 and "REJECTED" in result.stdout
    assert "\x1b" not in result.stdout and "\r" not in result.stdout
    assert "\\x1b[2K\\r\\x1b[32mACCEPTED" in result.stdout
    found = verdicts(run_isolated, [raw, cp437])
    assert "b'caf\\xe9.json': the entry name is not valid UTF-8" in found["latin1.tar"][1]
    assert "the entry name is not valid UTF-8" in found["cp437.zip"][1]


def test_a_normal_writestr_zip_is_accepted(closed_submission, serial_submission, run_isolated, tmp_path):
    plain = _zip_of(closed_submission.folder, tmp_path / "plain.zip")
    with zipfile.ZipFile(plain) as zf:
        assert all(info.external_attr >> 16 in (0, 0o600) for info in zf.infolist())
    found = verdicts(run_isolated, [plain, _zip_of(serial_submission.folder, tmp_path / "device.zip")])
    assert found["plain.zip"] == (True, "") and found["device.zip"] == (True, "")


def test_a_directory_submission_with_links_inside_is_refused(closed_submission, tmp_path, escape_name):
    from tinybench.reports.submission_check import check_submission

    folder = tmp_path / "dir"
    shutil.copytree(closed_submission.folder, folder)
    target = mode_folder(folder, "accuracy") / "accuracy_predictions.csv"
    target.unlink()
    target.symlink_to(f"/tmp/{escape_name}")
    refresh_manifest(folder)
    report = check_submission(folder)
    assert not report.accepted and any("symlinks are not allowed" in p.message for p in report.problems)
