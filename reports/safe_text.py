"""Untrusted text on a terminal: control and format characters shown escaped.

A name from a submission, a bundle or a device may hold ANSI escapes, carriage returns,
backspaces or bidirectional overrides that would repaint or reorder what the terminal
shows (e.g. a false "ACCEPTED" over the real verdict). `for_terminal` replaces every such
character with a visible escape (`\\x1b`, `\\r`, `\\u202e`); printable text, including
non-ASCII letters, is unchanged.
"""

from __future__ import annotations

import unicodedata

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def _escaped(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _unsafe(ch: str) -> bool:
    return ch == "\\" or (ch not in " " and unicodedata.category(ch) in _UNSAFE_CATEGORIES)


def for_terminal(text: object, keep_backslash: bool = True) -> str:
    """`text` with every control/format/separator character escaped (backslashes kept as they are
    unless `keep_backslash` is False, which doubles them so the escaping is unambiguous)."""
    text = str(text)
    if text.isprintable() and (keep_backslash or "\\" not in text):
        return text
    return "".join(_escaped(ch) if _unsafe(ch) and (ch != "\\" or not keep_backslash) else ch for ch in text)


def utf8_problem(name: str) -> str | None:
    """Why `name` (decoded with surrogateescape) is not valid UTF-8 text, or None."""
    try:
        name.encode("utf-8", errors="strict")
    except UnicodeEncodeError:
        return "is not valid UTF-8"
    return None
