"""The recomputation's fast helpers give numpy's and json's answers bit for bit (a figure recomputed
differently would accept or refuse other bundles)."""

import json
import math
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinybench.reports.recompute import _copy, all_close, all_same, median_of, same, summary_fields
from tinybench.statistics import summarize

values = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True, width=64)
arrays = hnp.arrays(np.float64, st.integers(1, 12), elements=values)


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


@settings(max_examples=600, deadline=None)
@given(arrays)
def test_median_is_numpys(a):
    with np.errstate(all="ignore"):
        expected = float(np.median(a))
    got = median_of(a)
    assert bits(got) == bits(expected) or (math.isnan(got) and math.isnan(expected))


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, st.integers(60, 200), elements=values))
def test_median_of_many_values_is_numpys(a):  # past SMALL: sorted in numpy
    with np.errstate(all="ignore"):
        expected = float(np.median(a))
    got = median_of(a)
    assert bits(got) == bits(expected) or (math.isnan(got) and math.isnan(expected))


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.int64, st.integers(1, 12), elements=st.integers(-(2**62), 2**62)))
def test_median_of_integers_is_numpys(a):
    assert bits(median_of(a)) == bits(float(np.median(a)))


def test_median_of_windows_and_nothing():
    assert median_of(np.array([3.0, 1.0, 2.0, 10.0])) == 2.5
    for zeros in ([-0.0], [-0.0, -0.0], [0.0, -0.0], [-0.0, -0.0, -0.0]):  # numpy's mean adds from +0.0
        assert bits(median_of(np.array(zeros))) == bits(float(np.median(np.array(zeros)))) == bits(0.0)
    with np.errstate(over="ignore"):  # overflows alike
        assert median_of(np.array([1e308, 1.7e308])) == float(np.median(np.array([1e308, 1.7e308]))) == math.inf
    with pytest.warns(RuntimeWarning):
        assert math.isnan(median_of(np.array([], dtype=np.float64)))


@settings(max_examples=600, deadline=None)
@given(st.integers(1, 8).flatmap(lambda n: st.tuples(hnp.arrays(np.float64, n, elements=values),
                                                     hnp.arrays(np.float64, n, elements=values))),
       st.sampled_from([(1e-6, 0.0), (1e-9, 1e-9), (0.0, 1e-9), (0.0, 0)]))
def test_all_close_is_numpys(pair, tolerances):
    a, b = pair
    rtol, atol = tolerances
    with np.errstate(all="ignore"):
        near = a * (1 + rtol / 2)
    for x, y in ((a, b), (a, a), (a, near), (a.astype(np.int64, copy=False) if np.all(np.isfinite(a)) and
                                                              np.all(np.abs(a) < 2**62) else a, b)):
        with np.errstate(all="ignore"):
            assert all_close(x, y, rtol=rtol, atol=atol) == np.allclose(x, y, rtol=rtol, atol=atol)


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(np.float64, 100, elements=values), st.integers(0, 99))
def test_all_close_of_many_values_is_numpys(a, index):  # past SMALL: in numpy
    b = a.copy()
    with np.errstate(all="ignore"):
        b[index] = b[index] * (1 + 2e-6)
        assert all_close(a, b, rtol=1e-6, atol=0) == np.allclose(a, b, rtol=1e-6, atol=0)
        assert all_close(a, a, rtol=1e-6, atol=0) == np.allclose(a, a, rtol=1e-6, atol=0)


def test_all_close_with_integers_and_infinities():
    ints = np.array([1402, 1402, 1401])
    assert all_close(ints, ints.astype(np.float64), rtol=1e-6, atol=0)
    big = np.array([2**53 + 1])  # compared as float64, as numpy does (exactly, they would differ)
    assert all_close(big, np.array([2.0**53]), rtol=0, atol=0) == np.allclose(big, np.array([2.0**53]), rtol=0, atol=0)
    assert all_close(np.array([np.inf]), np.array([np.inf]), rtol=1e-6, atol=0)
    assert not all_close(np.array([1.0]), np.array([np.inf]), rtol=1e-6, atol=0)
    assert not all_close(np.array([np.nan]), np.array([np.nan]), rtol=1e-6, atol=0)


parsed_json = st.recursive(st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.floats(allow_nan=False)
                           | st.text(), lambda inner: st.lists(inner, max_size=5)
                           | st.dictionaries(st.text(max_size=5), inner, max_size=5), max_leaves=50)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=5), parsed_json, max_size=6))
def test_copy_is_the_json_round_trip(block):
    block = json.loads(json.dumps(block))  # as parsed
    copied = _copy(block)
    assert json.dumps(copied) == json.dumps(json.loads(json.dumps(block)))
    assert [type(v) for v in copied.values()] == [type(v) for v in block.values()]
    for key, value in copied.items():  # nothing shared with the original: changing the copy leaves it alone
        assert not isinstance(value, (dict, list)) or value is not block[key]


published_values = st.one_of(values, st.integers(-(10**20), 10**20), st.none(), st.booleans(), st.text(max_size=2))


@settings(max_examples=800, deadline=None)
@given(st.lists(values, max_size=8), st.lists(values, max_size=8), st.lists(published_values, max_size=8),
       st.sampled_from([1e-5, 1e-6, 0.0]), st.booleans())
def test_all_same_is_the_loop_over_same(recomputed, floats, anything, rel, near):
    with np.errstate(all="ignore"):
        close = [r * (1 + rel / 3) for r in recomputed]  # mostly the same, within rel
    for published in (floats, anything, close if near else recomputed, close[:-1], [*close, 1.0]):
        with np.errstate(all="ignore"):
            assert all_same(published, recomputed, rel) == all(same(a, b, rel) for a, b in zip(published, recomputed))


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(np.float64, st.integers(1, 50), elements=st.floats(-1e6, 1e6)))
def test_summary_fields_are_to_json(samples):
    summary = summarize(samples).scaled(1e3)
    assert list(summary_fields(summary).items()) == list(summary.to_json().items())
