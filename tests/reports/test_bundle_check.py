"""The per-bundle check of `report build` (result_index.check_folder) on hostile variants of a real bundle:
each is refused with its reason, and the odd-but-valid ones are accepted with the figures of their raw files.

The reasons are those the check gave before it was made faster (recorded from that code on these variants);
the fast paths (nesting bound, native number parsing, non-finite pre-check, numpy comparisons; then the
sort-once statistics, plain CSV splitting and number conversion, Python-float spin-up sums) must keep them.
Accepted variants must give the figures of their raw files, bit for bit.
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
from tinybench.statistics import PERCENTILE_METHOD, histogram_numpy, summarize_numpy


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



def latencies(table, change):  # noqa: ANN001 - change: a function of the latencies (a writable numpy copy)
    values = table.column("latency_ns").to_numpy().copy()
    changed = change(values)
    return table.set_column(1, "latency_ns", pa.array(values if changed is None else changed))


def shuffled_within_windows(table):  # noqa: ANN001, ANN201 - the same latencies per window, in another order
    rng = np.random.default_rng(18)
    window = table.column("window").to_numpy()
    values = table.column("latency_ns").to_numpy().copy()
    for w in np.unique(window):
        at = np.flatnonzero(window == w)
        values[at] = rng.permutation(values[at])
    return table.set_column(1, "latency_ns", pa.array(values))


def swapped_between_windows(table):  # noqa: ANN001, ANN201 - the slowest inference and one of another window trade
    window = table.column("window").to_numpy().copy()  # windows: the counts stay, two windows' sums do not
    latency = table.column("latency_ns").to_numpy()
    slowest = int(np.argmax(latency))
    other = int(np.argmin(np.where(window != window[slowest], latency, latency.max())))
    window[slowest], window[other] = window[other], window[slowest]
    return table.set_column(0, "window", pa.array(window))

def set_at(index, value):  # noqa: ANN001, ANN201
    def change(values):  # noqa: ANN001
        values[index] = value
    return change


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
    # what the sort-once statistics and the plain CSV and number readers must refuse as before
    "spinup_nan": (("spinup.csv", lambda t: edit_csv(t, 1, 2, "nan")),
        "spinup.csv: row 1: column 'load_ms' must be a finite number, got 'nan'"),
    "spinup_infinite_total": (("spinup.csv", lambda t: edit_csv(t, 2, 5, "inf")),
        "spinup.csv: row 2: column 'total_ms' must be a finite number, got 'inf'"),
    "spinup_41_characters": (("spinup.csv", lambda t: edit_csv(t, 1, 2, "0." + "4" * 39)),
        "spinup.csv: row 1: column 'load_ms' must be a finite number, got '0.44444444444444444444444444444444"),
    "spinup_negative_phase": (("spinup.csv", lambda t: edit_csv(t, 1, 2, lambda c: "-" + c)),
        'spinup.csv: negative load_ms'),
    "spinup_phase_missing_once": (("spinup.csv", lambda t: edit_csv(t, 1, 3, "")),
        'spinup.csv: allocate_ms is missing in some cold repetitions'),
    "spinup_hot_kind": (("spinup.csv", lambda t: edit_csv(t, 1, 0, "hot")),
        'spinup.csv: kind must be cold or warm'),
    "spinup_nul_in_kind": (("spinup.csv", lambda t: edit_csv(t, 1, 0, "cold\0")),  # (text columns refuse controls)
        "spinup.csv: row 1: column 'kind': control character U+0000"),
    "spinup_underscored_number": (("spinup.csv", lambda t: edit_csv(t, 1, 2, lambda c: "1_" + c)),
        'spinup.csv: a cold total is not the sum of its phases'),
    "spinup_short_row": (("spinup.csv", lambda t: edit_csv(t, 2, 6, lambda c: c + ",1")),
        'spinup.csv: row 2 has 8 cells, the header 7'),
    "spinup_open_quote": (("spinup.csv", lambda t: edit_csv(t, 1, 0, '"cold')),
        'spinup.csv: not a readable UTF-8 CSV (unexpected end of data)'),
    "spinup_cr_in_header": (("spinup.csv", lambda t: t.replace("load_ms,", "load\r_ms,", 1)),  # was a traceback
                            "spinup.csv: columns ['kind', 'repetition', 'load'] — expected"),
    "windows_plus_sign": (("performance_windows.csv", lambda t: edit_csv(t, 1, 2, lambda c: "+" + c)),
        "performance_windows.csv: row 1: column 'iterations' must be an integer, got '+"),
    "windows_19_digits": (("performance_windows.csv", lambda t: edit_csv(t, 1, 2, "1" * 19)),
        "performance_windows.csv: row 1: column 'iterations' must be an integer, got '1111111111111111111'"),
    "windows_empty_iterations": (("performance_windows.csv", lambda t: edit_csv(t, 1, 2, "")),
        "performance_windows.csv: row 1: column 'iterations' must be an integer, got ''"),
    "windows_byte_order_mark": (("performance_windows.csv", lambda t: "\ufeff" + t),
        "performance_windows.csv: columns ['\\ufeffwindow', 'sample_id', 'iterations', 'warmup', 'elapsed_s', "),
    "windows_field_too_long": (("performance_windows.csv", lambda t: edit_csv(t, 1, 1, "s" * 140_000)),
        'performance_windows.csv: not a readable UTF-8 CSV (field larger than field limit (131072))'),
    "windows_cr_in_a_cell": (("performance_windows.csv", lambda t: edit_csv(t, 1, 1, "a\rb")),
        'performance_windows.csv: row 1 has 2 cells, the header 7'),
    "windows_tiny_time": (("performance_windows.csv", lambda t: edit_csv(t, 1, 4, "1e-320")),
        'performance_inferences.parquet: per-inference times do not add up to the window times'),
    "zero_latency": (("performance_inferences.parquet", lambda t: latencies(t, set_at(7, 0))),
        'performance_inferences.parquet: latencies must be positive and windows those of performance_windows.'),
    "latency_moved_between_windows": (("performance_inferences.parquet", swapped_between_windows),
        'performance_inferences.parquet: per-inference times do not add up to the window times'),
    "window_out_of_range": (("performance_inferences.parquet", lambda t: t.set_column(
        0, "window", pa.array(np.r_[t.column("window").to_numpy()[:-1], 5].astype(np.int16)))),
        'performance_inferences.parquet: latencies must be positive and windows those of performance_windows.'),
    "float_latencies": (("performance_inferences.parquet", lambda t: t.set_column(
        1, "latency_ns", pa.array(t.column("latency_ns").to_numpy().astype(np.float64)))),
        "performance_inferences.parquet: column 'latency_ns' is double, expected int"),
    "latency_outlier": (("performance_inferences.parquet", lambda t: latencies(t, set_at(3, 2**31 - 1))),
        'performance_inferences.parquet: per-inference times do not add up to the window times'),
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
    # raw files that read the same (quotes, CRLF, blank lines, padding, other digits) or latencies in another order:
    # the same figures, bit for bit, as before the fast paths
    "spinup_quoted_cells": ("spinup.csv", lambda t: edit_csv(edit_csv(t, 1, 0, '"cold"'), 2, 2, lambda c: f'"{c}"')),
    "spinup_crlf": ("spinup.csv", lambda t: t.replace("\n", "\r\n")),
    "spinup_blank_lines": ("spinup.csv", lambda t: t.replace("\n", "\n\n", 2)),
    "spinup_padded_number": ("spinup.csv", lambda t: edit_csv(t, 1, 2, lambda c: f" {c}\t")),
    "windows_crlf": ("performance_windows.csv", lambda t: t.replace("\n", "\r\n")),
    "windows_padded_integer": ("performance_windows.csv", lambda t: edit_csv(t, 2, 3, lambda c: f" {c} ")),
    "windows_arabic_indic_digits": ("performance_windows.csv", lambda t: edit_csv(
        t, 1, 6, lambda c: c.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")))),
    "windows_leading_zeros": ("performance_windows.csv", lambda t: edit_csv(t, 1, 2, lambda c: "000" + c)),
    "shuffled_latencies": ("performance_inferences.parquet", shuffled_within_windows),
}


@pytest.mark.parametrize("variant", sorted(ACCEPTED))
def test_odd_but_valid_variants_are_accepted_with_the_same_figures(seed, tmp_path, variant):
    plain = check_folder(seed.parent, seed)
    record = check_folder(tmp_path, make_variant(seed, tmp_path / variant, ACCEPTED[variant]))
    assert record.status == "ok", record.reason
    mine, theirs = (json.loads(zlib.decompress(r.result)) for r in (record, plain))
    latency = mine["modes"]["performance"].pop("per_inference_latency")
    theirs["modes"]["performance"].pop("per_inference_latency")
    assert json.dumps(mine["modes"]) == json.dumps(theirs["modes"])  # every other recomputed figure, bit for bit
    # the latency statistics (the order of the latencies may differ): numpy's generic functions — held to the
    # original definitions bit for bit by tests/bench/test_statistics_fast.py — over this variant's raw latencies
    seconds = pq.read_table(tmp_path / variant / "performance_inferences.parquet").column("latency_ns").to_numpy() / 1e9
    expected = {"unit": "ms", **summarize_numpy(seconds).scaled(1e3).to_json(), "percentile_method": PERCENTILE_METHOD,
                "histogram_ms": histogram_numpy(seconds * 1e3)}
    assert json.dumps(latency) == json.dumps(expected)  # (repr of a float: its exact value)
    stated = json.loads((tmp_path / variant / "result.json").read_text())
    assert mine["target"] == stated["target"] and mine["model"]["sha256"] == stated["model"]["sha256"]
    assert np.isfinite(mine["modes"]["performance"]["metrics"]["throughput_median"]["value"])
