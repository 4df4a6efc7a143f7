"""The site's own caches keep every value exactly, whichever writer (orjson or the standard library) wrote them."""

from __future__ import annotations

import json

import pytest

from tinybench.reports import cache_json

VALUES = [
    {"run_id": "r1", "value": 0.44256717928902634, "tiny": 5e-324, "big_float": 1.7976931348623157e308,
     "negative_zero": -0.0, "text": "é ✓ \u2028 <script>", "nested": [[{"a": None, "b": True}]]},
    {"cycles": 2**63 - 1, "also": -(2**63)},  # the edges of 64 bits: orjson's own
    {"too_big": 10**25},  # beyond 64 bits: orjson would read a float (1e25), so the standard library writes it
    {"negative": -(2**64) - 5},
    ["\udc80 a lone surrogate"],  # orjson cannot write it
]


@pytest.mark.parametrize("value", VALUES)
def test_values_come_back_exactly_with_their_types(value):
    text = cache_json.dumps(value)
    back = cache_json.loads(text)
    assert back == value
    assert json.dumps(back) == json.dumps(value)  # the same types too (an int stays an int, not 1e25)
    assert cache_json.loads(text.encode("utf-8", "surrogatepass")) == value  # as SQLite hands back a blob


def test_big_integers_are_marked_for_the_standard_library():
    assert cache_json.dumps({"n": 10**25}).startswith(" ")  # the mark
    assert not cache_json.dumps({"n": 10**18}).startswith(" ")
    assert isinstance(cache_json.loads(cache_json.dumps({"n": 10**25}))["n"], int)


def test_text_that_orjson_refuses_is_read_by_the_standard_library():
    assert cache_json.loads('{"a": NaN}')["a"] != cache_json.loads('{"a": NaN}')["a"]  # NaN, read by json
