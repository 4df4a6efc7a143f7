"""The per-bundle check of `report build` (result_index.check_folder) on hostile variants of a real bundle:
each is refused with its reason, and the odd-but-valid ones are accepted with the figures of their raw files.

The reasons are those the check gave before it was made faster (recorded from that code on these variants);
the fast paths (nesting bound, native number parsing, non-finite pre-check, numpy comparisons) must keep them.
"""

from __future__ import annotations

import io
import json
import shutil
import zlib

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from .scale_bundles import real_bundle
from tinybench.reports.result_index import check_folder


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    return real_bundle(tmp_path_factory.mktemp("seed"))


def perf(r):
    return r["modes"]["performance"]


def scaled(block, key, factor):
    block[key] = block[key] * factor


def parquet(table) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def edit_csv(text: str, row: int, column: int, value) -> str:  # noqa: ANN001 - value: str or a function of the cell
    lines = text.splitlines()
    cells = lines[row].split(",")
    cells[column] = value(cells[column]) if callable(value) else value
    lines[row] = ",".join(cells)
    return "\n".join(lines) + "\n"


def negated_latency(table):
    latency = table.column("latency_ns").to_numpy().copy()
    latency[5] = -latency[5]
    return table.set_column(1, "latency_ns", pa.array(latency))


REFUSED = {  # variant: (change, reason)
    "nan": (("json", lambda t: t.replace('"clock_hz": ', '"clock_hz": NaN, "x": ', 1)),
            "unreadable (malformed JSON (NaN is not valid JSON))"),
    "inf": (("json", lambda t: t.replace('"clock_hz": ', '"clock_hz": 1e400, "x": ', 1)),
            "unreadable (malformed JSON (number 1e400 is not finite))"),
    "big_int": (("json", lambda t: t.replace('"clock_hz": ', '"clock_hz": ' + "1" * 31 + ', "x": ', 1)),
                "unreadable (malformed JSON (integer of 31 digits (limit 30)))"),
    "duplicate": (("json", lambda t: t.replace('"clock_hz": ', '"clock_hz": 1, "clock_hz": ', 1)),
                  "unreadable (malformed JSON (duplicate key 'clock_hz'))"),
    "deep": (("json", lambda t: t.replace('"clock_hz": ', '"deep": ' + "[" * 70 + "]" * 70 + ', "clock_hz": ', 1)),
             "unreadable (JSON nested 73 levels deep (limit 64))"),
    "unknown_field": (("result", lambda r: r.update(surprise=1)), "does not match the result schema: (root): "
                      "Additional properties are not allowed ('surprise' was unexpected)"),
    "forged_throughput": (("result", lambda r: scaled(perf(r)["metrics"]["throughput_median"], "value", 1.01)),
                          "result.json: throughput median"),
    "forged_p50": (("result", lambda r: scaled(perf(r)["per_inference_latency"], "p50", 1.001)),
                   "result.json: per-inference p50"),
    "forged_edge": (("result", lambda r: scaled(perf(r)["per_inference_latency"]["histogram_ms"]["edges"], 3, 1.01)),
                    "result.json: the latency histogram does not match the per-inference times"),
    "integer_edges": (("result", lambda r: perf(r)["per_inference_latency"]["histogram_ms"].update(
        edges=[round(e) for e in perf(r)["per_inference_latency"]["histogram_ms"]["edges"]])),
        "result.json: the latency histogram does not match the per-inference times"),
    "window_as_float": (("result", lambda r: perf(r)["windows"][1].update(
        iterations=float(perf(r)["windows"][1]["iterations"]))), "result.json: window 2: iterations"),
    "forged_spinup": (("result", lambda r: scaled(r["modes"]["spinup"]["metrics"]["spinup_cold_median"], "value",
                                                  1.01)), "result.json: spinup cold median"),
    "double_minus": (("performance_windows.csv", lambda t: edit_csv(t, 1, 0, "--0")),  # was a ValueError traceback
                     "performance_windows.csv: row 1: column 'window' must be an integer, got '--0'"),
    "superscript": (("performance_windows.csv", lambda t: edit_csv(t, 1, 0, "²")),  # isdigit() yet not int()
                    "performance_windows.csv: row 1: column 'window' must be an integer, got '²'"),
    "throughput_off": (("performance_windows.csv", lambda t: edit_csv(t, 1, 5, lambda c: str(float(c) * 1.1))),
                       "performance_windows.csv: a window's throughput is not its iterations ÷ its time"),
    "spinup_total_off": (("spinup.csv", lambda t: edit_csv(t, 1, 5, lambda c: str(float(c) + 1))),
                         "spinup.csv: a cold total is not the sum of its phases"),
    "negative_latency": (("performance_inferences.parquet", negated_latency),
                         "latencies must be positive and windows those of performance_windows.csv"),
}


def make_variant(seed, folder, change):  # noqa: ANN001
    shutil.copytree(seed, folder)
    target, how = change
    if target in ("json", "result"):
        text = (folder / "result.json").read_text()
        if target == "result":
            result = json.loads(text)
            how(result)
            text = json.dumps(result, indent=2, ensure_ascii=False)
        else:
            text = how(text)
        (folder / "result.json").write_text(text)
    elif target.endswith(".parquet"):
        (folder / target).write_bytes(parquet(how(pq.read_table(folder / target))))
    else:
        (folder / target).write_text(how((folder / target).read_text()))
    return folder


@pytest.mark.parametrize("variant", sorted(REFUSED))
def test_hostile_variants_are_refused_with_their_reason(seed, tmp_path, variant):
    change, reason = REFUSED[variant]
    record = check_folder(tmp_path, make_variant(seed, tmp_path / variant, change))
    assert record.status == "rejected" and reason in record.reason


ACCEPTED = {
    "brackets_and_escapes_in_strings": ("result", lambda r: r["target"]["system"].update(
        name='a\\"[[[{\\\\ "\n\té ☃ ' + "]" * 30)),
    "large_exponent": ("result", lambda r: r["target"]["system"].update(clock_hz=1.5e99)),
    "tiny_exponent": ("result", lambda r: r["target"]["system"].update(clock_hz=1e-100)),
    "digits_in_a_hash": ("result", lambda r: r["model"].update(sha256="e441" + "1" * 60)),
}


@pytest.mark.parametrize("variant", sorted(ACCEPTED))
def test_odd_but_valid_variants_are_accepted_with_the_same_figures(seed, tmp_path, variant):
    plain = check_folder(seed.parent, seed)
    record = check_folder(tmp_path, make_variant(seed, tmp_path / variant, ACCEPTED[variant]))
    assert record.status == "ok", record.reason
    mine, theirs = (json.loads(zlib.decompress(r.result)) for r in (record, plain))
    assert mine["modes"] == theirs["modes"]  # every recomputed figure, bit for bit
    stated = json.loads((tmp_path / variant / "result.json").read_text())
    assert mine["target"] == stated["target"] and mine["model"]["sha256"] == stated["model"]["sha256"]
    assert np.isfinite(mine["modes"]["performance"]["metrics"]["throughput_median"]["value"])
