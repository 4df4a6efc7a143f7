"""Forged sww01 stream bundles against the re-computation (`reports/recompute_stream.py`): one real host run of the
official 10-s stream (≈ 2 s), copied and edited per attack."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tinybench.reports.local_bundles import verify_bundle
from tinybench.reports.results_store import load_bundles


@pytest.fixture(scope="module")
def stream_bundle(tmp_path_factory, reference_dir) -> Path:
    out = tmp_path_factory.mktemp("sww-run")
    subprocess.run([sys.executable, "-m", "tinybench", "run", "-w", "sww01", "-m", "stream", "--model", "reference",
                    "--data", str(reference_dir / "sww" / "sww_short_test.json"), "--out", str(out)],
                   check=True, capture_output=True, timeout=600, env=dict(os.environ, COLUMNS="200"))
    return next(out.iterdir())


def forged(source: Path, folder: Path, edit) -> list[str]:  # noqa: ANN001
    """Problems of a copy of `source` after `edit(result_dict, folder)`."""
    shutil.copytree(source, folder)
    data = json.loads((folder / "result.json").read_text())
    edit(data, folder)
    (folder / "result.json").write_text(json.dumps(data))
    (loaded,) = load_bundles([folder]).bundles
    return verify_bundle(loaded).problems


def test_the_untouched_run_verifies(stream_bundle, tmp_path):
    assert forged(stream_bundle, tmp_path / "b", lambda data, folder: None) == []


def test_a_frames_table_is_bounded_by_the_frames_the_streams_have(stream_bundle, tmp_path):
    """A 2-M-row Parquet of a few kB (run-length encoded) for a 312-frame stream: refused from its footer, before
    13 columns × 2 M rows are decoded (a 16-M-row one took 3.3 GB and 9 s before)."""
    def bomb(data, folder):  # noqa: ANN001, ANN202
        rows = 1_000_000
        block = pa.table({c: np.zeros(rows, np.float32) for c in ("start_s", "stop_s", "processing_s", "model_s",
                                                                  "frontend_s", "out0")}
                         | {"stream": np.zeros(rows, np.int16), "frame": np.zeros(rows, np.int32),
                            "fired": np.zeros(rows, bool)})
        with pq.ParquetWriter(folder / "stream_frames.parquet", block.schema, compression="zstd") as writer:
            for _ in range(2):
                writer.write_table(block, row_group_size=rows)

    started = time.monotonic()
    problems = forged(stream_bundle, tmp_path / "b", bomb)
    assert any("2000000 rows (limit 312)" in p for p in problems), problems
    assert time.monotonic() - started < 2.0


def test_a_stream_length_that_lies_is_refused(stream_bundle, tmp_path):
    """A 10-s run (312 frames in its raw file) presented as the 20-minute official stream."""
    def lengthen(data, folder):  # noqa: ANN001, ANN202
        data["modes"]["stream"]["streams"][0]["seconds"] = 1200.0

    problems = forged(stream_bundle, tmp_path / "b", lengthen)
    assert any("1200 s" in p and "312" in p for p in problems), problems
    huge = forged(stream_bundle, tmp_path / "c", lambda data, folder: data["modes"]["stream"]["streams"][0].update(
        seconds=1e308))
    assert any("1e+308 s" in p for p in huge), huge


def test_board_edges_must_be_those_the_frames_imply(stream_bundle, tmp_path):
    """Every recorded on-time shortened to 10 µs, the stated duty figures rewritten to match: the leaderboard's
    processing time and throughput would come from the edited edges while the frames say otherwise."""
    import csv

    from tinybench.modes.stream import _duty_json
    from tinybench.workloads.metrics.sww_scoring import duty_cycle

    def shorten(data, folder):  # noqa: ANN001, ANN202
        path = folder / "stream_dutycycle.csv"
        rows = list(csv.reader(path.open()))
        for row in rows[1:]:
            row[3] = str(int(row[2]) + 1)
        with path.open("w", newline="") as fh:
            csv.writer(fh).writerows(rows)
        starts = np.array([int(r[2]) for r in rows[1:]]) * 1e-5
        duty = duty_cycle(starts, starts + 1e-5)
        block = data["modes"]["stream"]
        block["streams"][0]["board_duty_cycle"] = _duty_json(duty)
        for key, value in (("duty_cycle", duty.duty_cycle), ("period_mean", duty.period_s * 1e3),
                           ("processing_time_mean", duty.processing_time_s * 1e3),
                           ("throughput", duty.throughput_inf_s)):
            block["metrics"][key]["value"] = value

    problems = forged(stream_bundle, tmp_path / "b", shorten)
    assert any("stream_dutycycle.csv" in p and "the frames imply" in p for p in problems), problems


def test_frame_times_must_follow_from_the_processing_times(stream_bundle, tmp_path):
    """Processing times halved in stream_frames.parquet (the per-frame latency and the real-time rule read them)
    while each frame's start and stop still say otherwise."""
    def halve(data, folder):  # noqa: ANN001, ANN202
        table = pq.read_table(folder / "stream_frames.parquet")
        index = table.schema.get_field_index("processing_s")
        table = table.set_column(index, "processing_s", pa.array(table["processing_s"].to_numpy() / 2))
        pq.write_table(table, folder / "stream_frames.parquet")

    problems = forged(stream_bundle, tmp_path / "b", halve)
    assert any("stream_frames.parquet" in p and "device schedule" in p for p in problems), problems


def test_without_truth_the_stated_lists_must_agree_with_the_stated_counts(stream_bundle, tmp_path):
    """No stream_truth.csv: the counts are shown as the run stated them — but the run page draws the stated missed
    words too, and 1 false negative must not come with 5 000 'missed' marks."""
    def lie(data, folder):  # noqa: ANN001, ANN202
        (folder / "stream_truth.csv").unlink()
        data["modes"]["stream"]["streams"][0]["scoring"]["false_negative_starts_s"] = [7.0] * 5000

    problems = forged(stream_bundle, tmp_path / "b", lie)
    assert any("false_negative_starts_s" in p for p in problems), problems


def test_scoring_work_over_all_streams_is_bounded(stream_bundle, tmp_path):
    """Each stream within the scorer's own bounds (10 000 windows, 10 000 detections), but many of them: the
    matching is windows × detections per stream (20 such streams took 8 s). Refused up front, naming the total."""
    def crowd(data, folder):  # noqa: ANN001, ANN202
        (folder / "stream_frames.parquet").unlink()
        block = data["modes"]["stream"]
        block["streams"] = [dict(block["streams"][0], truth_windows=9_999) for _ in range(2)]
        for name in ("frames", "duty_cycle_all_frames", "real_time_factor"):
            block["metrics"].pop(name, None)
        detections = ["stream,index,time_ms,from_sync_s,frame,wake_output,outcome"]
        truth = ["stream,window,start_s,stop_s"]
        for i in range(2):
            detections += [f"{i},{j},{j * 100},{j / 10},,,fp" for j in range(10_000)]
            truth += [f"{i},{j},{j * 0.1 + 0.05},{j * 0.1 + 0.06}" for j in range(9_999)]
        (folder / "stream_detections.csv").write_text("\n".join(detections) + "\n")
        (folder / "stream_truth.csv").write_text("\n".join(truth) + "\n")
        rows = (folder / "stream_dutycycle.csv").read_text().splitlines()
        rows += [f"1,{r.split(',', 1)[1]}" for r in rows[1:]]  # the second stream's edges
        (folder / "stream_dutycycle.csv").write_text("\n".join(rows) + "\n")

    started = time.monotonic()
    problems = forged(stream_bundle, tmp_path / "b", crowd)
    assert any("199980000 window × detection pairs" in p for p in problems), problems
    assert time.monotonic() - started < 3.0
