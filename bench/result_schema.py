"""The result bundle's `result.json` schema (`tinybench.result/1`) and its validation.

The schema is strict: every field has a type, a range and a length limit, and unknown
fields are refused (bench/schemas/result.schema.json, structured with `$defs` so a new
field or mode is a local addition). Validation also refuses non-finite numbers, which
JSON Schema alone cannot (NaN compares false with every bound).
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from importlib import resources

SCHEMA_ID = "tinybench.result/1"
MAX_MESSAGE = 300  # characters of one validation message (messages quote the offending value)


@lru_cache(maxsize=1)
def result_schema() -> dict:
    text = resources.files("tinybench").joinpath("schemas/result.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def _validator():  # noqa: ANN202 - jsonschema.Draft202012Validator
    return ecma_draft202012()(result_schema())


@lru_cache(maxsize=1)
def ecma_draft202012():  # noqa: ANN202 - a jsonschema validator class
    """jsonschema's Draft 2020-12 validator with `pattern` read as JSON Schema defines it (see `_ecma_pattern`):
    use it, not plain jsonschema, for every schema that checks untrusted JSON."""
    import jsonschema

    return jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": _ecma_pattern})


def _ecma_pattern(validator, pattern: str, instance: object, schema: dict):  # noqa: ANN001, ANN202, ARG001
    """`pattern` as JSON Schema (ECMA-262) reads it: a final `$` is the end of the text — in Python's `re` it also
    matches before a final newline, so "run\\n" passed `^[A-Za-z0-9._-]+$` (jsonschema_rs refused it)."""
    import jsonschema

    if isinstance(instance, str) and _ecma(pattern).search(instance) is None:
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


@lru_cache(maxsize=64)
def _ecma(pattern: str) -> re.Pattern:
    end = pattern.endswith("$") and not pattern.endswith("\\$")
    return re.compile(pattern[:-1] + "\\Z" if end else pattern)


@lru_cache(maxsize=1)
def _fast_validator():  # noqa: ANN202 - jsonschema_rs validator, or None where it is not installed
    try:
        import jsonschema_rs
    except ImportError:
        return None
    return jsonschema_rs.Draft202012Validator(result_schema())


def _any_non_finite(value: object) -> bool:
    """Whether `value` holds NaN or ±Infinity: the walk below without its paths (~60 µs for a result.json,
    a third of the walk that names every node it passes)."""
    stack = [value]
    pop, extend, isfinite = stack.pop, stack.extend, math.isfinite
    while stack:
        item = pop()
        kind = type(item)  # parsed JSON's own types first (quicker than isinstance), then any subclass
        if kind is dict:
            extend(item.values())
        elif kind is list:
            extend(item)
        elif kind is float:
            if not isfinite(item):
                return True
        elif kind is str or kind is int or kind is bool or item is None:
            continue
        elif isinstance(item, dict):
            extend(item.values())
        elif isinstance(item, list):
            extend(item)
        elif isinstance(item, float) and not isfinite(item):
            return True
    return False


def non_finite_paths(value: object, path: str = "", limit: int = 5) -> list[str]:
    """Where `value` holds NaN or ±Infinity (at most `limit` paths)."""
    found: list[str] = []
    if not _any_non_finite(value):
        return found
    stack = [(path, value)]
    while stack and len(found) < limit:
        where, item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            found.append(where or "(root)")
        elif isinstance(item, dict):
            stack.extend((f"{where}/{k}" if where else str(k), v) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((f"{where}/{i}" if where else str(i), v) for i, v in enumerate(item))
    return found


def short(message: str, limit: int = MAX_MESSAGE) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"


def validation_errors(result: object) -> list[str]:
    """Every way `result` departs from the schema, as 'path: message' strings (each ≤ 300 characters)."""
    problems = [f"{p}: not a finite number" for p in non_finite_paths(result)]
    fast = _fast_validator()  # ~0.5 ms a bundle (jsonschema: ~100 ms); jsonschema words the problems
    if not problems and fast is not None and fast.is_valid(result):
        return []
    errors = sorted(_validator().iter_errors(result), key=lambda e: [str(p) for p in e.absolute_path])
    for error in errors:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        problems.append(short(f"{where}: {error.message}"))
    return problems
