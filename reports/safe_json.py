"""JSON from untrusted files: size-limited, strict UTF-8, no NaN/Infinity, no duplicate keys,
bounded nesting. Every problem is a :class:`Refusal` that says what is wrong."""

from __future__ import annotations

import json
from pathlib import Path

MAX_JSON_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64


class Refusal(Exception):
    """Untrusted input that tinybench will not use; the message names the file and the reason."""


def _nesting(text: str) -> int:
    """Deepest [ / { nesting outside strings (checked before parsing, so it cannot exhaust the stack)."""
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


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        duplicate = next(k for k in keys if keys.count(k) > 1)
        raise ValueError(f"duplicate key {duplicate!r}")
    return dict(pairs)


def _no_constants(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def loads_untrusted(data: bytes, name: str, max_bytes: int = MAX_JSON_BYTES) -> object:
    if len(data) > max_bytes:
        raise Refusal(f"{name}: {len(data)} bytes of JSON exceeds the {max_bytes}-byte limit")
    try:
        text = data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise Refusal(f"{name}: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    depth = _nesting(text)
    if depth > MAX_DEPTH:
        raise Refusal(f"{name}: JSON nested {depth} levels deep (limit {MAX_DEPTH})")
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except (json.JSONDecodeError, ValueError, RecursionError) as exc:
        raise Refusal(f"{name}: malformed JSON ({exc})") from exc


def load_untrusted(path: Path, name: str | None = None, max_bytes: int = MAX_JSON_BYTES) -> object:
    name = name or str(path)
    with open(path, "rb") as fh:
        data = fh.read(max_bytes + 1)
    return loads_untrusted(data, name, max_bytes)
