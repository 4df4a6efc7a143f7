"""The non-finite walk of result validation: its quick pre-check (no paths) never hides a NaN or infinity."""

import math
import struct

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tinybench.result_schema import _any_non_finite, non_finite_paths


def walked(value, path=""):
    """The reference: every non-finite float's path, visiting dict values and list items."""
    if isinstance(value, float) and not math.isfinite(value):
        return [path or "(root)"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in walked(v, f"{path}/{k}" if path else str(k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in walked(v, f"{path}/{i}" if path else str(i))]
    return []


NAN_PAYLOAD = struct.unpack("<d", b"\x01\x00\x00\x00\x00\x00\xf8\x7f")[0]
floats = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [math.nan, -math.inf, math.inf, NAN_PAYLOAD, -NAN_PAYLOAD, 1.5, np.float64("nan"), np.float64(2.0)])
leaves = st.none() | st.booleans() | st.integers() | floats | st.text()
json_like = st.recursive(leaves, lambda inner: st.lists(inner, max_size=5) | st.tuples(inner, inner)
                         | st.dictionaries(st.text(max_size=5), inner, max_size=5), max_leaves=40)


@settings(max_examples=500, deadline=None)
@given(json_like)
def test_the_same_paths_as_the_plain_walk(value):
    found = walked(value)
    assert sorted(non_finite_paths(value, limit=10**6)) == sorted(found)
    assert _any_non_finite(value) == bool(found)


def test_shared_floats_tuples_and_deep_lists():
    nan = float("nan")
    value = {"a": [nan, nan], "b": {"c": nan}, "d": (nan,)}
    assert sorted(non_finite_paths(value)) == ["a/0", "a/1", "b/c"]
    assert non_finite_paths({"k": 1.0, "big": 10**40, "s": "x" * 1000}) == []
    deep = current = []
    for _ in range(5000):  # deeper than a recursive walk could go
        current.append([])
        current = current[0]
    current.append(math.inf)
    assert non_finite_paths(deep) == ["0/" * 5000 + "0"]
