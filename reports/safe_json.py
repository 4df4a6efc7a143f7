"""JSON from untrusted files: size-limited, strict UTF-8, finite numbers only (no NaN,
Infinity or 1e400), integers of at most 30 digits, no duplicate keys, bounded nesting.
Every problem is a :class:`Refusal` that says what is wrong.

Strings and keys must be text to show: no lone surrogate, no control character (C0 but tab, newline and carriage
return; C1, U+0080-U+009F) and no bidirectional formatting character (the Unicode Bidi_Control set: embeddings,
overrides and isolates U+202A-U+202E, U+2066-U+2069, and the marks U+200E, U+200F, U+061C), which could make a name
display as another (Trojan Source, CVE-2021-42574). `visible_controls` writes each of them as visible text.

`allow_identical_duplicates=True` (the MLPerf Tiny import) accepts a key repeated with the
same value and reports it in `notes`; a repeated key with another value is still refused.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from itertools import accumulate
from pathlib import Path

MAX_JSON_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64
MAX_INT_DIGITS = 30


class Refusal(Exception):
    """Untrusted input that tinybench will not use; the message names the file and the reason."""


_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)  # a string, or one left open
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_SPLIT_QUOTES = 100_000  # up to this many quotes, strings are cut out by splitting (a result.json: ~600)
_CHUNK = 1 << 20  # brackets summed at a time in the vectorised walk (bounded memory)
_NUMBER_SHAPE = bytes(48 if 48 <= b <= 57 else 101 if b in b"eE" else 43 if b in b"+-" else 32 for b in range(256))
_LONG_RUN = b"0" * (MAX_INT_DIGITS + 1)
# escapes that may put no text in a string: a surrogate ("\\ud800".."\\udfff": a pair is text, one alone is not), a
# C0 control character but tab, newline and carriage return ("\\u0000".."\\u001f", "\\b", "\\f"), a C1 control
# character ("\\u0080".."\\u009f") or a bidirectional formatting character ("\\u202e", …); a match preceded by an odd
# number of backslashes is no escape ("\\\\u0000" is the harmless text "\\u0000"). One literal first: fast search.
_SUSPECT_ESCAPE = re.compile(rb"\\(?:u[dD][89a-fA-F]|u00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F]|[89][0-9a-fA-F])"
                             rb"|u20(?:0[eEfF]|2[a-eA-E]|6[6-9])|u061[cC]|[bf])")
# the same characters written as themselves (UTF-8: C2 80..C2 9F, D8 9C, E2 80 8E.., E2 81 A6..), matched where
# their first byte is (see _raw_non_text); in valid UTF-8 every byte of a character of two or more bytes is >= 0x80,
# so the text without its ASCII bytes keeps each such character whole
_RAW_NOT_TEXT = re.compile(rb"\xc2[\x80-\x9f]|\xd8\x9c|\xe2(?:\x80[\x8e\x8f\xaa-\xae]|\x81[\xa6-\xa9])")
_ASCII = bytes(range(128))
_C0 = "\x00-\x08\x0b\x0c\x0e-\x1f"  # C0 controls but tab, newline, carriage return
_C1 = "\x80-\x9f"
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # Unicode's Bidi_Control characters (TR#9)
_CONTROL = re.compile(f"[{_C0}{_C1}{_BIDI}]")  # what no string of untrusted JSON or CSV text may hold


def _outside_strings(data: bytes) -> bytes:
    """UTF-8 `data` without its strings (from a quote to the next quote not escaped by a backslash, or to the end).
    Quotes and backslashes are single bytes in UTF-8, never part of a longer character, so bytes are scanned."""
    if b"\\" not in data and data.count(b'"') <= _SPLIT_QUOTES:
        return b"".join(data.split(b'"')[::2])  # no escapes: every other quote opens a string
    return _STRING.sub(b"", data)


def _nesting(data: bytes) -> int:
    """Deepest [ / { nesting outside strings of UTF-8 `data` (checked before parsing, so it cannot exhaust the
    stack)."""
    return _depth(_outside_strings(data))


def _depth(outside: bytes) -> int:
    """Deepest [ / { nesting of text without strings: the running depth's maximum over its brackets, in C and
    numpy (a Python walk over a short list)."""
    brackets = outside.translate(None, _NOT_BRACKET)
    if len(brackets) < 4096:
        return max(0, max(accumulate(map(_STEP.__getitem__, brackets)), default=0))
    import numpy as np

    deepest = depth = 0
    for start in range(0, len(brackets), _CHUNK):
        codes = np.frombuffer(brackets, dtype=np.uint8, count=min(_CHUNK, len(brackets) - start), offset=start)
        running = np.cumsum(np.where((codes == 91) | (codes == 123), 1, -1), dtype=np.int64) + depth
        deepest, depth = max(deepest, int(running.max())), int(running[-1])
    return deepest


def _plain_numbers(outside: bytes) -> bool:
    """True when no number of the text without strings can break a bound: no run of more than MAX_INT_DIGITS
    digits and no exponent of 3 digits or more (a float overflows only with one of them: otherwise a JSON number
    is below 10^(30+99)). Then the numbers are parsed natively — the same values the checking hooks return.
    (Digits become 0, e/E e, signs +, all else a space; then three substring searches, in C.)"""
    shape = outside.translate(_NUMBER_SHAPE)
    return _LONG_RUN not in shape and b"e000" not in shape and b"e+000" not in shape


def _no_constants(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:40]} is not finite")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"integer of {len(text)} digits (limit {MAX_INT_DIGITS})")
    return int(text)


def _pairs_hook(notes: list[str] | None):  # noqa: ANN202
    def hook(pairs: list[tuple[str, object]]) -> dict:
        out = dict(pairs)
        if len(out) == len(pairs):  # no key repeated (nearly always): the dict is the answer
            return out
        out = {}
        for key, value in pairs:
            if key in out:
                if notes is None or out[key] != value:
                    raise ValueError(f"duplicate key {key[:100]!r}" + (" with different values" if notes is not None else ""))
                notes.append(f"key {key[:100]!r} appears twice with the same value")
            out[key] = value
        return out

    return hook


def loads_untrusted(data: bytes, name: str, max_bytes: int = MAX_JSON_BYTES,
                    notes: list[str] | None = None) -> object:
    """Parse `data`; `notes` (a list) makes identical repeated keys acceptable and records them."""
    if len(data) > max_bytes:
        raise Refusal(f"{name}: {len(data)} bytes of JSON exceeds the {max_bytes}-byte limit")
    try:
        text = data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise Refusal(f"{name}: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    outside = _outside_strings(data)
    depth = _depth(outside)
    if depth > MAX_DEPTH:
        raise Refusal(f"{name}: JSON nested {depth} levels deep (limit {MAX_DEPTH})")
    numbers = {} if _plain_numbers(outside) else {"parse_float": _finite, "parse_int": _bounded_int}
    try:
        value = json.loads(text, object_pairs_hook=_pairs_hook(notes), parse_constant=_no_constants, **numbers)
    except (json.JSONDecodeError, ValueError, RecursionError) as exc:
        raise Refusal(f"{name}: malformed JSON ({str(exc)[:300]})") from exc
    # strict JSON holds no raw C0 control character in a string: only an escape can make one (~0.5 µs for a
    # result.json without a backslash; the search, ~10-25 µs for 28 kB, runs only when there is one); a C1 or
    # bidirectional character may also be written as itself: looked for where the bytes C2, D8, E2 are (~3 µs)
    if ((b"\\" in data and _escaped_non_text(data)) or _raw_non_text(data)) and (problem := _text_problem(value)):
        raise Refusal(f"{name}: {problem}")
    return value


def _raw_non_text(data: bytes) -> bool:
    """Whether UTF-8 `data` holds a C1 control or bidirectional formatting character written as itself. Each
    begins with the byte C2, D8 or E2, found by memchr (a result.json holds a few such characters, ·, →, ≥: ~3 µs
    for 12 kB where deleting the ASCII bytes takes 5); past 16 of one, the non-ASCII bytes are searched at once."""
    if data.isascii():
        return False
    match, find = _RAW_NOT_TEXT.match, data.find
    for lead in b"\xc2\xd8\xe2":
        at, seen = find(lead), 0
        while at >= 0:
            if match(data, at):
                return True
            seen += 1
            if seen == 16:
                return _RAW_NOT_TEXT.search(data.translate(None, _ASCII)) is not None
            at = find(lead, at + 2)
    return False


def _escaped_non_text(data: bytes) -> bool:
    """Whether JSON `data` may hold an escape of a control or bidirectional character or of a surrogate (then its
    strings are looked at: a surrogate pair is text). A backslash after an odd number of backslashes is no
    escape; when that cannot be told quickly (a long run of backslashes, many look-alikes), the answer is yes."""
    for count, match in enumerate(_SUSPECT_ESCAPE.finditer(data)):
        start = match.start()
        before = data[max(0, start - 64):start]
        run = len(before) - len(before.rstrip(b"\\"))
        if count >= 64 or run == 64 or run % 2 == 0:
            return True
    return False


def _text_problem(value: object) -> str | None:
    """Where a string or key of `value` is no text to show, as "path: what", or None: a lone surrogate (SQLite
    and UTF-8 refuse it), a C0 control character other than tab, newline and carriage return (HTML shows
    U+0000 as U+FFFD; terminals obey the others), a C1 control character (U+009B starts a terminal's control
    sequence) or a bidirectional formatting character (it reorders what is shown)."""
    if _all_text(value):
        return None
    stack: list[tuple[str, object]] = [("", value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, dict):
            for key, child in reversed(item.items()):
                place = f"{where}/{_shown(key)}" if where else _shown(key)
                if problem := string_problem(key):
                    return f"{place}: {problem} in a key"
                stack.append((place, child))
        elif isinstance(item, list):
            stack.extend((f"{where}/{i}" if where else str(i), child) for i, child in reversed(list(enumerate(item))))
        elif isinstance(item, str) and (problem := string_problem(item)):
            return f"{where or '(root)'}: {problem} in a string"
    return None


def _all_text(value: object) -> bool:
    """`_text_problem(value) is None`, without naming places (a quarter of the time)."""
    stack, search = [value], _CONTROL.search
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            if search(item):
                return False
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
    return True


def string_problem(text: str) -> str | None:
    """Why `text` is no text to show (a control character other than tab, newline and carriage return, a
    bidirectional formatting character, or a lone surrogate), or None: for readers of other untrusted text, e.g. a
    CSV's text columns."""
    if found := _CONTROL.search(text):
        code = ord(found.group())
        if code > 0x9F:
            return (f"bidirectional formatting character U+{code:04X} (it can make a name display as another; "
                    "remove it: a name in a right-to-left script shows correctly without it)")
        return f"control character U+{code:04X} (only tab, newline and carriage return are allowed)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "a lone surrogate (\\ud800-\\udfff without its pair): not Unicode text"
    return None


def first_string_problem(texts: list[str]) -> tuple[int, str] | None:
    """The index of the first of `texts` that is no text to show, and why (`string_problem`), or None: one search
    over all of them (a table's column), each looked at only when it fails."""
    if string_problem("".join(texts)) is None:
        return None
    return next((i, problem) for i, text in enumerate(texts) if (problem := string_problem(text)))


def visible_controls(value: object) -> object:
    """`value` (JSON-like) with each C0 control character but tab, newline and carriage return in its strings and
    keys written as visible text (`\\x1b`), each C1 control and bidirectional formatting character too (`\\u009b`,
    `\\u202e`), and each lone surrogate (a byte of a file name or argument that is not UTF-8, U+DC80-U+DCFF, as
    `\\xff`; any other as `\\ud800`): what tinybench writes of a device's words and of names it was given, since its
    readers refuse them (a copy)."""
    if isinstance(value, str):
        return _NOT_TEXT.sub(_visible, value) if _NOT_TEXT.search(value) else value
    if isinstance(value, dict):
        return {visible_controls(k): visible_controls(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [visible_controls(v) for v in value]
    return value


_NOT_TEXT = re.compile(f"[{_C0}{_C1}{_BIDI}\ud800-\udfff]")  # no character of a Python str in U+D800-U+DFFF encodes


def _visible(found: re.Match) -> str:
    code = ord(found.group())
    return f"\\x{code & 0xFF:02x}" if code < 0x20 or 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def _shown(key: str) -> str:
    """A key as a path step: at most 60 characters, control characters and surrogates escaped."""
    return repr(key[:60])[1:-1]


def load_untrusted(path: Path, name: str | None = None, max_bytes: int = MAX_JSON_BYTES,
                   notes: list[str] | None = None) -> object:
    name = name or str(path)
    return loads_untrusted(read_regular(path, max_bytes, name), name, max_bytes, notes)


def read_regular(path: Path, max_bytes: int, name: str | None = None) -> bytes:
    """At most `max_bytes` + 1 bytes of a regular file (never a link, FIFO or device, which could block)."""
    name = name or str(path)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise Refusal(f"{name}: cannot be read ({exc.strerror or exc})") from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise Refusal(f"{name}: not a regular file")
        chunks, size = [], 0
        while size <= max_bytes and (chunk := os.read(fd, min(1 << 20, max_bytes + 1 - size))):
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise Refusal(f"{name}: cannot be read ({exc.strerror or exc})") from exc
    finally:
        os.close(fd)
