"""C1 control characters (U+0080-U+009F: U+009B starts a terminal's control sequence) and bidirectional formatting
characters (Unicode's Bidi_Control set: the embeddings, overrides and isolates U+202A-U+202E, U+2066-U+2069, and the
marks U+200E, U+200F, U+061C, which make a name display as another: Trojan Source, CVE-2021-42574) are refused in
untrusted JSON strings and keys and in CSV text columns, like C0 control characters, with the place named — whether
the file writes them as escapes ("\\u202e") or as themselves (UTF-8). Before, both were accepted: a system called
"\\u202eBoard" reached the leaderboard and the export."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinybench.reports.bounded_tables import read_csv
from tinybench.reports.safe_json import Refusal, loads_untrusted, string_problem

from .scale_bundles import build_with_one_odd, real_bundle

C1 = [chr(c) for c in range(0x80, 0xA0)]
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
        "\u200e", "\u200f", "\u061c"]
# text beside those characters (one code point or one UTF-8 byte away) that is fine: NBSP, ¡, ·, µ, narrow NBSP,
# LINE/PARAGRAPH SEPARATOR, ZWJ (emoji), U+2065, U+206A, Arabic and Hebrew letters, →, ≥, DEL, an emoji
NEIGHBOURS = ["\u00a0", "\u00a1", "\u00b7", "\u00b5", "\u202f", "\u2028", "\u2029", "\u200d", "\u200b", "\u2065",
              "\u206a", "\u061b", "\u061d", "\u0628", "\u05e9", "\u2192", "\u2265", "\x7f", "\U0001f600", "é"]


def _refusal(raw: bytes) -> str:
    with pytest.raises(Refusal) as err:
        loads_untrusted(raw, "t.json")
    message = str(err.value)
    assert message.isprintable(), message  # the message itself holds none of them
    return message


@pytest.mark.parametrize("ascii_only", [True, False], ids=["escaped", "raw"])
@pytest.mark.parametrize("char", C1 + BIDI, ids=lambda c: f"U+{ord(c):04X}")
def test_each_c1_or_bidi_character_is_refused_where_it_is(char, ascii_only):
    raw = json.dumps({"target": {"system": {"name": f"Board{char}1"}}}, ensure_ascii=ascii_only).encode()
    assert (b"\\u" in raw) is ascii_only
    message = _refusal(raw)
    kind = "control character" if ord(char) < 0xA0 else "bidirectional formatting character"
    assert message.startswith(f"t.json: target/system/name: {kind} U+{ord(char):04X}"), message


@pytest.mark.parametrize("raw", [json.dumps({"k\u202e": 1}).encode(),
                                 json.dumps({"k\u009b": 1}, ensure_ascii=False).encode()])
def test_a_key_is_refused_too_and_shown_escaped(raw):
    message = _refusal(raw)
    assert "in a key" in message and ("k\\u202e" in message or "k\\x9b" in message), message


@pytest.mark.parametrize("ascii_only", [True, False], ids=["escaped", "raw"])
def test_neighbouring_text_is_kept(ascii_only):
    value = {"names": NEIGHBOURS, "rtl": "\u05e9\u05d1\u05d1 2", "text": "\\u202e is how U+202E is written",
             "units": "µs · ≥ 10 s → ok"}
    assert loads_untrusted(json.dumps(value, ensure_ascii=ascii_only).encode(), "t.json") == value
    assert loads_untrusted(b'["\\\\u202e", "\\\\u0085"]', "t.json") == ["\\u202e", "\\u0085"]  # escaped backslashes


@pytest.mark.parametrize("char", ["\u0085", "\u009f", "\u061c", "\u200e", "\u202a", "\u2069"],
                         ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("many", ["\u00b7", "\u0627", "\u2192", "\u00b7\u0627\u2192"],
                         ids=["middot", "arabic", "arrow", "mixed"])
def test_one_among_many_harmless_characters_of_the_same_first_byte_is_found(char, many):
    """Raw characters are found by their first byte (C2, D8, E2); past 16 of one, another search takes over."""
    for count in (0, 15, 16, 17, 200):
        text = many * count + "x" * 50 + char
        with pytest.raises(Refusal, match=f"U\\+{ord(char):04X}"):
            loads_untrusted(json.dumps({"notes": text}, ensure_ascii=False).encode(), "t.json")
        assert loads_untrusted(json.dumps({"notes": text[:-1]}, ensure_ascii=False).encode(), "t.json")


ALPHABET = st.sampled_from(C1[:2] + C1[-2:] + BIDI + NEIGHBOURS + list("ab\\\"\t\n") + ["\x00", "\x1b"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(ALPHABET, max_size=6), max_size=4), st.booleans())
def test_the_verdict_is_the_text_s_whatever_the_writing(strings, ascii_only):
    """Refused exactly when a string holds a C0 (but tab, newline, CR), C1 or Bidi_Control character, written as an
    escape or as itself (the raw search looks at non-ASCII bytes only: the escape search at backslashes only)."""
    bad = any(ord(c) < 0x20 and c not in "\t\n\r" or 0x80 <= ord(c) <= 0x9F or c in BIDI for s in strings for c in s)
    raw = json.dumps(strings, ensure_ascii=ascii_only).encode()
    try:
        assert loads_untrusted(raw, "t.json") == strings
        assert not bad, strings
    except Refusal as err:
        assert bad, err
    assert (string_problem("".join(strings)) is not None) is bad


@pytest.mark.parametrize("char", ["\u009b", "\u0085", "\u202e", "\u2067", "\u200f"], ids=lambda c: f"U+{ord(c):04X}")
def test_a_csv_text_column_refuses_them_with_the_row(tmp_path, char):
    path = tmp_path / "performance_windows.csv"
    path.write_text(f"window,sample_id\n0,ok \u00b7 \u05e9\n1,sample{char}x\n", encoding="utf-8")
    with pytest.raises(Refusal) as err:
        read_csv(path, "performance_windows.csv", {"window": "int", "sample_id": "text"})
    assert "performance_windows.csv: row 2: column 'sample_id': " in str(err.value)
    assert f"U+{ord(char):04X}" in str(err.value)


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    return real_bundle(tmp_path_factory.mktemp("seed"))


def test_report_build_refuses_a_bundle_whose_system_name_is_reversed_and_builds_the_others(seed, tmp_path):
    """"\u202e0 draoB" shows as "Board 0" — any name can be made to look like another's."""
    def edit(odd):
        result = json.loads((odd / "result.json").read_text())
        result["target"]["system"]["name"] = "\u202e0 draoB"
        result["target"]["system"]["processor"] = "cpu\u009b2J"
        (odd / "result.json").write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")  # as themselves

    _, rejected, pages = build_with_one_odd(seed, tmp_path, edit)
    assert "target/system/name: bidirectional formatting character U+202E" in rejected, rejected
    assert "\u202e" not in pages and "\u009b" not in pages and "Board 0" in pages


def test_terminal_lines_show_every_one_of_them_escaped():
    from tinybench.reports.safe_text import for_terminal

    for char in C1 + BIDI:
        shown = for_terminal(f"Board{char}1")
        escape = f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
        assert shown == f"Board{escape}1", shown
    assert for_terminal("\u05e9\u05d1\u05d1 \u00b5s") == "\u05e9\u05d1\u05d1 \u00b5s"


def test_a_folder_name_with_an_override_is_not_shown_raw_in_the_rejected_list(seed, tmp_path):
    """A folder name is no JSON string: it reaches the index page's list of rejected bundles as it is."""
    import shutil

    results = tmp_path / "results"
    results.mkdir()
    shutil.copytree(seed, results / seed.name)
    shutil.copytree(seed, results / "x\u202elanigiro")  # the same run id: rejected, listed by its folder
    proc = subprocess.run([sys.executable, "-m", "tinybench", "report", "build", "--results", str(results),
                           "--out", str(tmp_path / "site")], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and "rejected: " in proc.stderr and "\u202e" not in proc.stderr, proc.stderr
    assert "\u202e" not in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
