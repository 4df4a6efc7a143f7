"""The untrusted-JSON reader: the nesting bound (a byte scan in C and numpy) gives the depth the plain
character-by-character walk gives, on any input, and the refusals keep their messages."""

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinybench.reports import safe_json
from tinybench.reports.safe_json import MAX_DEPTH, Refusal, _nesting, loads_untrusted


def walked(text: str) -> int:
    """The reference: deepest [ / { outside strings, one character at a time (the reader's former code)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


CASES = ["", "{}", "[[]]", '"[[["', '["]]]"]', '["\\"[[["]', '"\\', '[[["\\', "]]][[", '{"a":"]]]","b":[[["x\\\\"]]]}',
         '"abc\\"[[[', '\n"[\\\n[["[[', '\\"[[[', '[\\"[[', 'é"[ü\\"]"[', '"\\\\"[[', '"\\\\\\"[["', "[" * 70,
         "[" * 10_000 + "]" * 10_000, '{"k": [' * 65 + "1" + "]}" * 65, '["' + "\\" * 7 + '"]', '"a"' * 5 + "[["]


@pytest.mark.parametrize("text", CASES)
def test_depth_is_the_character_walks(text):
    assert _nesting(text.encode()) == walked(text)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet='[]{}"\\ a\né', max_size=300))
def test_depth_is_the_character_walks_on_any_text(text):
    assert _nesting(text.encode()) == walked(text)


@pytest.mark.parametrize("seed", range(20))
def test_depth_is_the_character_walks_on_long_text(seed):  # the numpy path (≥ 4,096 brackets)
    rng = random.Random(seed)
    text = "".join(rng.choices('[]{}"\\a', weights=[30, 20, 10, 8, 3, 1, 5], k=rng.randrange(5000, 20000)))
    assert _nesting(text.encode()) == walked(text)


def test_large_inputs_take_the_bounded_paths(monkeypatch):
    deep = "[" * 3_000_000 + "]" * 3_000_000  # several chunks of the vectorised walk
    assert _nesting(deep.encode()) == 3_000_000
    quotes = '["a", "[", "b"]' * 30_000  # more quotes than are split: cut out by the regular expression
    assert _nesting(quotes.encode()) == 1
    monkeypatch.setattr(safe_json, "_CHUNK", 7)
    text = '[{"a": [1, "]]", [[2]]]}, ' * 500 + "[[[[[" + "]" * 5 + "]"
    assert _nesting(text.encode()) == walked(text)


def test_deep_nesting_is_refused_with_its_depth():
    with pytest.raises(Refusal, match=rf"x.json: JSON nested 10000 levels deep \(limit {MAX_DEPTH}\)"):
        loads_untrusted(b"[" * 10_000 + b"]" * 10_000, "x.json")
    with pytest.raises(Refusal, match="nested 65 levels deep"):  # even when the text is also malformed
        loads_untrusted(b'{"a": ' * 65 + b'NaN', "x.json")
    at_limit = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert loads_untrusted(at_limit, "x.json") is not None


def test_brackets_inside_strings_are_not_counted():
    text = json.dumps({"name": "[" * 200, "escaped": '\\"' + "{" * 100, "list": [["ok"]]})
    assert loads_untrusted(text.encode(), "x.json")["name"] == "[" * 200


def test_an_unterminated_string_is_malformed_not_deep():
    with pytest.raises(Refusal, match="malformed JSON"):
        loads_untrusted(b'{"a": "' + b"[" * 100, "x.json")
    with pytest.raises(Refusal, match="nested 100 levels deep"):  # a backslash outside a string opens nothing
        loads_untrusted(b"\\" + b"[" * 100, "x.json")


@pytest.mark.parametrize(("data", "reason"), [
    (b'{"a": NaN}', "NaN is not valid JSON"), (b'{"a": 1e400}', "number 1e400 is not finite"),
    (b'{"a": -Infinity}', "-Infinity is not valid JSON"), (b'{"a": ' + b"9" * 31 + b"}", "integer of 31 digits"),
    (b'{"a": 1, "a": 1}', "duplicate key 'a'"), (b"\xff", "not UTF-8"),
])
def test_refusals_keep_their_reasons(data, reason):
    with pytest.raises(Refusal, match=reason):
        loads_untrusted(data, "x.json")


def parsed_with_every_hook(data: bytes):
    """The reference: the reader with its number hooks always on (its former code; the nesting bound is apart)."""
    try:
        return json.loads(data.decode("utf-8"), object_pairs_hook=safe_json._pairs_hook(None),
                          parse_constant=safe_json._no_constants, parse_float=safe_json._finite,
                          parse_int=safe_json._bounded_int)
    except (json.JSONDecodeError, ValueError, RecursionError) as exc:
        raise Refusal(f"x.json: malformed JSON ({str(exc)[:300]})") from exc


def outcome(parse, data: bytes):
    try:
        value = parse(data)
    except Refusal as exc:
        return "refused", str(exc)
    return "parsed", json.dumps(value), repr(value)


numbers = st.one_of(st.integers(-(10**40), 10**40).map(str), st.sampled_from(
    ["1e400", "-1E+308", "1e-400", "2.5e99", "1" * 31, "-" + "9" * 30, "1" * 30 + ".5e99", "1" * 31 + ".0",
     "NaN", "-Infinity", "1.7976931348623157e308", "0.1", "-0", "01", "1.", "1e", "12e0003"]),
    st.floats(allow_nan=False).map(repr))
strings = st.text(alphabet='ab"\\e1[', max_size=8).map(json.dumps) | st.sampled_from(['"e400"', '"1234567890' * 4 + '"'])
documents = st.recursive(numbers | strings | st.sampled_from(["true", "null"]), lambda inner: st.one_of(
    st.lists(inner, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
    st.lists(st.tuples(strings, inner), max_size=4).map(
        lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"),
    st.tuples(inner, inner).map(lambda pair: pair[0] + " " + pair[1])), max_leaves=12)


@settings(max_examples=1500, deadline=None)
@given(documents)
def test_numbers_parsed_natively_only_when_the_hooks_would_agree(text):
    data = text.encode()
    ours = outcome(lambda d: loads_untrusted(d, "x.json"), data)
    if ours[0] == "refused" and "nested" in ours[1]:
        return
    assert ours == outcome(parsed_with_every_hook, data)


def test_risky_numbers_in_strings_do_not_matter_and_outside_they_do():
    assert safe_json._plain_numbers(safe_json._outside_strings(b'{"sha": "e441' + b"1" * 40 + b'", "n": 12}'))
    assert not safe_json._plain_numbers(b"[1e100]")
    assert not safe_json._plain_numbers(b"[" + b"1" * 31 + b"]")
    assert safe_json._plain_numbers(b"[" + b"1" * 30 + b", 1.5e99, true, false]")
