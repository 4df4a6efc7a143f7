"""The fast paths of the per-bundle check against the general code they skip, bit for bit and refusal for refusal.

Each fast path returns None when it cannot be sure, and the general code (unchanged: the csv module, the
per-cell readers, np.median, np.allclose, the isinstance walk) decides; these tests hold every answer a fast
path does give to the answer of the general code on the same input, hostile input included.
"""

from __future__ import annotations

import csv
import io
import math
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tinybench.reports import bounded_tables
from tinybench.reports.bounded_tables import _floats, _ints, _plain_floats, _plain_ints, _plain_rows, read_csv
from tinybench.reports.local_bundles import _finite
from tinybench.reports.recompute import all_close, median_of
from tinybench.reports.safe_json import Refusal

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CSV_TEXT = st.text(alphabet=st.sampled_from(list('ab1,\n "\r\0\t-.e\u2028\x85\x0b\x0c\x1c\ufeffé٣²')), max_size=60)
CELLS = st.lists(st.text(alphabet=st.sampled_from(list("0123456789.-+e_ \t\u2003\xa0naifE٣²")), max_size=12),
                 min_size=1, max_size=5)


def csv_module_rows(text: str) -> list[list[str]]:
    return [r for r in csv.reader(io.StringIO(text, newline=""), strict=True) if r]


def outcome(function, *args) -> object:  # noqa: ANN001
    try:
        value = function(*args)
    except (Refusal, csv.Error) as exc:
        return (type(exc).__name__, str(exc))
    if isinstance(value, dict):
        return {k: (v.dtype.str, v.tolist() if v.dtype == object else v.tobytes()) for k, v in value.items()}
    return value


@SETTINGS
@given(CSV_TEXT)
@example("kind,repetition\ncold,1\n\n")
@example("a,b\r\nc,d")
def test_plain_rows_are_the_csv_modules_rows(text):
    rows = _plain_rows(text, csv.field_size_limit())
    if rows is None:
        assert any(c in text for c in '"\r\0')
    else:
        assert rows == outcome(csv_module_rows, text)


def test_a_line_beyond_the_field_limit_is_left_to_the_csv_module():
    text = "a,b\n" + "x" * 200 + ",y\n"
    assert _plain_rows(text, 100) is None
    assert _plain_rows(text, 1000) == csv_module_rows(text)


@SETTINGS
@given(CELLS)
@example(["1.5", " 2 ", "1_0"])
@example(["nan"])
@example(["0." + "4" * 39])
def test_plain_floats_are_what_the_cell_reader_gives(values):
    fast = _plain_floats(values)
    for optional in (False, True):
        slow = outcome(_floats, "f.csv", "c", values, optional)
        if fast is not None:
            assert not isinstance(slow, tuple) and fast.tobytes() == slow.tobytes() and fast.dtype == slow.dtype


@SETTINGS
@given(CELLS)
@example(["007", "1406"])
@example(["١٤٠٦"])
@example(["1" * 19])
def test_plain_ints_are_what_the_cell_reader_gives(values):
    fast = _plain_ints(values, False)
    slow = outcome(_ints, "f.csv", "c", values, False)
    if fast is not None:
        assert not isinstance(slow, tuple) and fast.dtype == slow.dtype == np.int64 and fast.tolist() == slow.tolist()
    assert _plain_ints(values, True) is None  # optional integer columns (NaN for an empty cell): always the loop


COLUMNS = {"kind": "text", "n": "int", "x": "float", "y": "float?"}


NOISE = CELLS.map(lambda c: c[0])
INTS = st.one_of(st.integers(0, 10**6).map(str), st.integers(0, 10**6).map(str), NOISE)
NUMBERS = st.one_of(st.floats(allow_nan=False, allow_infinity=False).map(repr), st.integers(-9, 9).map(str), NOISE)
OPTIONAL = st.one_of(NUMBERS, st.just(""))


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["cold", "warm", '"cold"', "", "a\rb"]), INTS, NUMBERS, OPTIONAL),
                max_size=6),
       st.sampled_from(["\n", "\r\n"]))
def test_read_csv_gives_what_it_gave_without_its_fast_paths(rows, newline):
    """read_csv with the fast paths (and each fast path told to step aside): the same columns or refusal."""
    text = newline.join(["kind,n,x,y", *(",".join(r) for r in rows)]) + newline
    data = text.encode()
    fast = outcome(read_csv, None, "t.csv", COLUMNS, frozenset(), 100, False, data)
    with pytest.MonkeyPatch.context() as patch:
        for name in ("_plain_rows", "_plain_ints", "_plain_floats"):
            patch.setattr(bounded_tables, name, lambda *args: None)
        general = outcome(read_csv, None, "t.csv", COLUMNS, frozenset(), 100, False, data)
    assert fast == general


def walk_finite(value: object) -> bool:  # the walk before the one-pass version, recursively
    if isinstance(value, dict):
        return all(walk_finite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(walk_finite(v) for v in value)
    return not (isinstance(value, float) and not math.isfinite(value))


class Mapping(dict):
    pass


class Items(list):
    pass


LEAVES = st.one_of(st.floats(width=64), st.integers(), st.booleans(), st.none(), st.text(max_size=3),
                   st.sampled_from([np.float64("nan"), np.float64(1.5), np.float64("inf")]))
TREES = st.recursive(LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.lists(inner, max_size=4).map(tuple), st.lists(inner, max_size=4).map(Items),
    st.dictionaries(st.text(max_size=2), inner, max_size=4), st.dictionaries(st.text(max_size=2), inner).map(Mapping)),
    max_leaves=30)


@SETTINGS
@given(TREES)
def test_the_non_finite_walk_agrees_with_the_recursive_definition(tree):
    assert _finite(tree) == walk_finite(tree)


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


@SETTINGS
@given(st.lists(st.floats(width=64, allow_nan=True), max_size=70))
@example([0.0, -0.0])
@example([-0.0, -0.0])
@example([1e308, 1e308])
def test_median_of_a_list_of_floats_is_np_median(values):
    with np.errstate(all="ignore"), pytest.MonkeyPatch.context() as patch:
        patch.setattr("warnings.warn", lambda *a, **k: None)
        expected = float(np.median(np.asarray(values, dtype=np.float64))) if values else math.nan
        got = median_of(values) if values else math.nan
    assert bits(got) == bits(expected) or (math.isnan(got) and math.isnan(expected))


@SETTINGS
@given(st.integers(1, 8).flatmap(lambda n: st.tuples(st.lists(st.floats(width=64), min_size=n, max_size=n),
                                                      st.lists(st.floats(width=64), min_size=n, max_size=n))),
       st.sampled_from([(1e-9, 1e-9), (1e-6, 0.0)]))
def test_all_close_of_lists_is_np_allclose(pair, tolerances):
    a, b = pair
    rtol, atol = tolerances
    with np.errstate(all="ignore"):
        assert all_close(a, b, rtol, atol) == bool(np.allclose(a, b, rtol=rtol, atol=atol))


@pytest.mark.parametrize("relative", [True, False], ids=["dir_fd", "paths"])
def test_the_folder_hash_is_the_sha256_of_each_entry_as_before(tmp_path, monkeypatch, relative):
    """hash_of (one directory descriptor, one read per small file) against its definition, written out plainly:
    name, size and bytes of each regular file, by name; any other entry by name only."""
    import hashlib
    import os

    from tinybench.reports.result_index import hash_of

    (tmp_path / "b.csv").write_bytes(b"x,y\n1,2\n")
    (tmp_path / "a.json").write_bytes(b"{}" * 70_000)
    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "sub").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "b.csv")
    os.mkfifo(tmp_path / "pipe")
    digest = hashlib.sha256()
    for name in sorted(os.listdir(tmp_path)):
        path = tmp_path / name
        digest.update(name.encode() + b"\0")
        if path.is_symlink() or not path.is_file():
            digest.update(b"<not a regular file>\0")
        else:
            data = path.read_bytes()
            digest.update(str(len(data)).encode() + b"\0" + data)
    if not relative:  # a system without descriptor-relative opening (Windows): paths joined
        monkeypatch.setattr(os, "supports_dir_fd", set())
    assert hash_of(tmp_path) == digest.hexdigest()


@SETTINGS
@given(st.lists(st.tuples(st.floats(width=64), st.floats(width=64)), max_size=45), st.sampled_from([1e-5, 1e-6, 0.0]))
@example([(0.1, 0.1 + 1e-13), (1e-13, 0.0)], 1e-5)
@example([(1.0, math.nan)], 1e-5)
@example([(1.7e308, -1.7e308)], 1e-5)
def test_all_same_of_floats_is_same_for_each_pair(pairs, rel):
    from tinybench.reports.recompute import all_same, same

    published, recomputed = [p for p, _ in pairs], [q for _, q in pairs]
    assert all_same(published, recomputed, rel) == all(same(p, q, rel) for p, q in pairs)
