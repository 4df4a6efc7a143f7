"""JSON for the site's own caches: the results index's payloads and summaries and the site state's tables.

This text is written by tinybench (through :func:`dumps`) from results that already passed every check, so it
is trusted input; untrusted JSON goes through :mod:`safe_json`. orjson (a dependency; the standard library is
used if it is missing) reads it about twice and writes it about ten times as fast as the standard library,
which matters when a `--full` build reads 100,000 results and 300,000 summaries.

Values are kept exactly. orjson reads an integer beyond 64 bits as a float and cannot write one (nor a lone
surrogate): such a value is written by the standard library with one leading space — still JSON — and text
that starts with a space is read by the standard library. Text from elsewhere must not be read here.
NaN and ±Infinity are not kept (orjson writes them as null): verified results hold finite numbers only
(local_bundles.verify_bundle refuses a recomputed figure that overflowed).
"""

from __future__ import annotations

import json

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency; a bare environment still works
    orjson = None

_PLAIN = " "  # the mark of text only the standard library reads exactly


def loads(data: bytes | str) -> object:
    """The value of text written by :func:`dumps`."""
    if orjson is not None and data[:1] not in (b" ", _PLAIN):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return json.loads(data)


def dumps(value: object) -> str:
    """Compact JSON text of `value` (keys in insertion order), readable exactly by :func:`loads`."""
    if orjson is not None:
        try:
            return orjson.dumps(value).decode("utf-8")
        except TypeError:  # an integer beyond 64 bits, a lone surrogate, a key that is not a string
            pass
    return _PLAIN + json.dumps(value, separators=(",", ":"))
