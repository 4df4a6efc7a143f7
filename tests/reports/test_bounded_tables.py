"""The readers' bounds leave room for what tinybench itself writes."""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tinybench.reports.bounded_tables import read_parquet


def test_a_full_rules_host_run_of_a_fast_model_is_read(tmp_path):
    # a host ad01 run (≈ 10 µs per inference, 5 windows of ≥ 10 s) wrote 5,009,970 per-inference rows
    rows = 5_010_000
    path = tmp_path / "performance_inferences.parquet"
    pq.write_table(pa.table({"window": np.repeat(np.arange(5, dtype=np.int64), rows // 5),
                             "latency_ns": np.full(rows, 9_800, dtype=np.int64)}), path, compression="zstd")
    data = read_parquet(path, path.name, {"window": "int", "latency_ns": "int"})
    assert data["window"].size == rows and np.bincount(data["window"]).tolist() == [rows // 5] * 5
