"""Hostile result bundles generated from the result schema: markup in every string and number field.

Walking `result.schema.json` alongside a real bundle, every scalar leaf the schema allows (present
in the bundle, or an optional scalar property it lacks), and every key of a free-form map, becomes
one variant bundle with markup there: strings get the longest payload their `maxLength` allows (or
the full one, which the schema refuses), numbers get the payload as a string (refused, and the
refusal — quoting the value — is shown on the index). Raw files are copied from the real bundle.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

PAYLOADS = [  # longest first; every one would run script, add an element or fetch something if unescaped
    '"\'><img src=x onerror="alert(1)" data-pwned=1><script>alert(2)</script><svg onload=alert(3) data-pwned=1>'
    '</svg><a href="javascript:alert(4)" data-pwned=1>x</a><link rel=stylesheet href="http://127.0.0.1:9/x.css">'
    '<img src="http://127.0.0.1:9/p.png" data-pwned=1></script><!--\u2028{{7*7}}',
    '"><img src=x onerror=alert(1) data-pwned=1>',
    "<b data-pwned=1>x</b>",
    "<i data-pwned>",
    "<b>",
]
MAX_MAP_KEYS = 1  # keys of a free-form map walked into (each map also gets a markup key)


def _deref(schema: dict, node: dict) -> dict:
    """`node` with its $ref merged in (local properties win), recursively."""
    if "$ref" not in node:
        return node
    target = _deref(schema, schema["$defs"][node["$ref"].split("/")[-1]])
    merged = dict(target, **{k: v for k, v in node.items() if k != "$ref"})
    merged["properties"] = {**target.get("properties", {}), **node.get("properties", {})}
    return merged


def _matches(node: dict, value: object) -> bool:
    kind = node.get("type")
    if kind is None:
        return True
    kinds = kind if isinstance(kind, list) else [kind]
    checks = {"null": value is None, "boolean": isinstance(value, bool), "object": isinstance(value, dict),
              "array": isinstance(value, list), "string": isinstance(value, str),
              "integer": isinstance(value, int) and not isinstance(value, bool),
              "number": isinstance(value, (int, float)) and not isinstance(value, bool)}
    return any(checks.get(k, False) for k in kinds)


def leaves(schema: dict, node: dict, value: object, path: tuple = ()) -> Iterator[tuple[tuple, dict, str]]:
    """(path, schema of the leaf, kind) with kind 'set' (replace a scalar), 'add' (absent optional scalar)
    or 'key' (a new key in a free-form map at `path`)."""
    node = _deref(schema, node)
    if "anyOf" in node:
        branches = [_deref(schema, b) for b in node["anyOf"]]
        chosen = next((b for b in branches if _matches(b, value) and b.get("type") != "null"), None) or \
            next((b for b in branches if b.get("type") != "null"), branches[0])
        yield from leaves(schema, chosen, value, path)
        return
    if isinstance(value, dict):
        properties = node.get("properties", {})
        for key, sub in properties.items():
            if key in value:
                yield from leaves(schema, sub, value[key], path + (key,))
            elif _deref(schema, sub).get("type") in ("string", "number", "integer"):
                yield path + (key,), _deref(schema, sub), "add"
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            for key in [k for k in value if k not in properties][:MAX_MAP_KEYS]:
                yield from leaves(schema, extra, value[key], path + (key,))
            yield path, node, "key"
    elif isinstance(value, list):
        if value and isinstance(node.get("items"), dict):
            yield from leaves(schema, node["items"], value[0], path + (0,))
    elif not isinstance(value, bool):
        yield path, node, "set"


def payload_for(node: dict) -> str:
    limit = node.get("maxLength")
    return next((p for p in PAYLOADS if limit is None or len(p) <= limit), PAYLOADS[0])


def _put(result: dict, path: tuple, value: object) -> None:
    target = result
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


def variants(schema: dict, base: dict) -> Iterator[tuple[str, dict]]:
    """(what was changed, the hostile result) for every leaf of the schema reachable from `base`."""
    for path, node, kind in leaves(schema, schema, base):
        result = copy.deepcopy(base)
        where = "/".join(map(str, path))
        if kind == "key":
            target = result
            for step in path:
                target = target[step]
            sample = next(iter(target.values()), "x")
            target[payload_for({"maxLength": 100})] = copy.deepcopy(sample)
            yield f"{where}/<key>", result
        else:
            _put(result, path, payload_for(node))
            yield where, result


def write_variants(schema: dict, bundle: Path, out: Path, prefix: str) -> list[str]:
    """Write one variant bundle per leaf into `out` (raw files copied); returns what each changed."""
    base = json.loads((bundle / "result.json").read_text())
    changed = []
    for index, (where, result) in enumerate(variants(schema, base)):
        folder = out / f"{prefix}{index:04d}"
        shutil.copytree(bundle, folder)
        if where != "run_id":
            result["run_id"] = folder.name
        (folder / "result.json").write_text(json.dumps(result, ensure_ascii=False))
        changed.append(where)
    return changed
