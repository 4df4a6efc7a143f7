"""review8: the export's snapshot beside the index. A FIFO named `export.parquet` hung every export (opened to read,
it blocks until a writer comes); a link named like the snapshot's temporary file (`.export.parquet.<pid>.tmp`, its
pid guessable) had the export write its Parquet into whatever the link names."""

from __future__ import annotations

import os
import subprocess
import sys

from tinybench.reports.results_store import frame_from_index

from .test_result_index import results, seed  # noqa: F401 - its fixtures: 6 real bundles


def test_a_fifo_named_like_the_snapshot_does_not_hang_an_export(results, tmp_path):  # noqa: F811
    export = [sys.executable, "-m", "tinybench", "report", "export", "--results", str(results), "--to"]
    first = subprocess.run([*export, str(tmp_path / "a.csv")], capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr[-2000:]
    snapshot = results / ".tinybench-index" / "export.parquet"
    snapshot.unlink()
    os.mkfifo(snapshot)
    again = subprocess.run([*export, str(tmp_path / "b.csv")], capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "Traceback" not in again.stderr, again.stderr[-2000:]
    assert (tmp_path / "b.csv").read_text() == (tmp_path / "a.csv").read_text()


def test_a_link_named_like_the_snapshots_temporary_file_is_not_written_through(results, tmp_path):  # noqa: F811
    victim = tmp_path / "victim"
    victim.write_bytes(b"mine\n")
    (results / ".tinybench-index").mkdir()
    os.symlink(victim, results / ".tinybench-index" / f".export.parquet.{os.getpid()}.tmp")
    table = frame_from_index([results])
    assert table.bundles == 6
    assert victim.read_bytes() == b"mine\n"
