"""Markdown tables from a JSON Schema (draft 2020-12), for the result-schema reference page.

Every property becomes a row (dotted path, type, required, constraints, description);
nested objects are flattened, array items are written `field[]`, `patternProperties` and
`additionalProperties` schemas are written `field.<key>`. A `$ref` into `$defs` links to
that definition's own table, so a definition used in many places is described once.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CONSTRAINTS = (
    ("minimum", "≥ {}"), ("exclusiveMinimum", "&gt; {}"), ("maximum", "≤ {}"), ("exclusiveMaximum", "&lt; {}"),
    ("minLength", "length ≥ {}"), ("maxLength", "length ≤ {}"), ("minItems", "items ≥ {}"),
    ("maxItems", "items ≤ {}"), ("minProperties", "fields ≥ {}"), ("maxProperties", "fields ≤ {}"),
    ("multipleOf", "multiple of {}"), ("format", "format {}"),
)


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell: one line, HTML escaped, no pipes or brackets."""
    text = html.escape(" ".join(str(text).split()), quote=False)
    # pipes would split the cell; brackets would read as Markdown (or autorefs) references
    return text.replace("|", "&#124;").replace("[", "&#91;").replace("]", "&#93;")


def code(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return f"<code>{cell(text)}</code>"


def def_anchor(name: str) -> str:
    return "def-" + "".join(c if c.isalnum() else "-" for c in name.lower())


def ref_name(ref: str) -> str | None:
    """`#/$defs/metric` → `metric`; None for references this page cannot follow."""
    for prefix in ("#/$defs/", "#/definitions/"):
        if ref.startswith(prefix):
            return ref[len(prefix):]
    return None


def type_of(schema: Any) -> str:
    """A short human description of what a (sub)schema accepts."""
    if schema is True or schema == {}:
        return "any"
    if schema is False:
        return "nothing"
    if "$ref" in schema:
        name = ref_name(schema["$ref"])
        return f"[{name}](#{def_anchor(name)})" if name else code(schema["$ref"])
    if "const" in schema:
        return "exactly " + code(schema["const"])
    if "enum" in schema:
        return "one of " + ", ".join(code(v) for v in schema["enum"])
    for key, word in (("oneOf", "one of"), ("anyOf", "any of"), ("allOf", "all of")):
        if key in schema:
            return f"{word}: " + "; ".join(type_of(s) for s in schema[key])
    kind = schema.get("type")
    if kind is None:
        return "any"
    kinds = kind if isinstance(kind, list) else [kind]
    words = []
    for k in kinds:
        if k == "array" and isinstance(schema.get("items"), dict):
            words.append(f"array of {type_of(schema['items'])}")
        else:
            words.append(k)
    return " or ".join(words)


def constraints_of(schema: Any) -> str:
    if not isinstance(schema, dict):
        return ""
    parts = [template.format(code(schema[key])) for key, template in CONSTRAINTS if key in schema]
    if "pattern" in schema:
        parts.append("matches " + code(schema["pattern"]))
    if schema.get("uniqueItems"):
        parts.append("unique items")
    if schema.get("additionalProperties") is False and schema.get("type") == "object":
        parts.append("no other fields")
    if "propertyNames" in schema and isinstance(schema["propertyNames"], dict):
        names = constraints_of(schema["propertyNames"]) or type_of(schema["propertyNames"])
        parts.append(f"field names: {names}")
    if "default" in schema:
        parts.append("default " + code(schema["default"]))
    return "; ".join(parts)


def description_of(schema: Any) -> str:
    if not isinstance(schema, dict):
        return ""
    return cell(schema.get("description") or schema.get("title") or schema.get("$comment") or "")


def rows(schema: Any, path: str, required: bool) -> Iterator[tuple[str, str, str, str, str]]:
    """(path, type, required, constraints, description) for `schema` and what it contains."""
    if path:
        yield (code(path), type_of(schema), "yes" if required else "", constraints_of(schema), description_of(schema))
    if not isinstance(schema, dict):
        return  # a $ref's own fields are in its definition; sibling keywords are described here
    prefix = f"{path}." if path else ""
    needed = set(schema.get("required", ()))
    for name, sub in schema.get("properties", {}).items():
        yield from rows(sub, prefix + name, name in needed)
    for pattern, sub in schema.get("patternProperties", {}).items():
        yield from rows(sub, f"{prefix}<{pattern}>", False)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict) and extra:
        yield from rows(extra, f"{prefix}<key>", False)
    items = schema.get("items")
    if isinstance(items, dict) and _has_children(items):
        yield from _children(items, f"{path}[]")
    for key in ("oneOf", "anyOf", "allOf"):
        for index, sub in enumerate(schema.get(key, ())):
            if isinstance(sub, dict) and _has_children(sub):
                yield from _children(sub, f"{path} ({key} {index + 1})" if path else f"({key} {index + 1})")


def _has_children(schema: dict) -> bool:
    return any(k in schema for k in ("properties", "patternProperties", "items", "oneOf", "anyOf", "allOf")) or (
        isinstance(schema.get("additionalProperties"), dict) and bool(schema["additionalProperties"]))


def _children(schema: dict, path: str) -> Iterator[tuple[str, str, str, str, str]]:
    for row in rows(schema, path, False):
        if row[0] != code(path):
            yield row


def table(schema: Any, path: str = "") -> str:
    lines = ["| field | type | required | constraints | description |", "|---|---|---|---|---|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows(schema, path, False)]
    return "\n".join(lines)


def render(schema_path: Path, download_name: str | None = None) -> str:
    """The whole reference section for one schema file."""
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    out = []
    facts = [("title", schema.get("title")), ("$id", schema.get("$id")), ("dialect", schema.get("$schema"))]
    version = schema.get("properties", {}).get("schema", {}).get("const")
    if version:
        facts.append(("format version", version))
    out.append("| fact | value |\n|---|---|\n" + "\n".join(f"| {k} | {code(v)} |" for k, v in facts if v))
    if schema.get("description"):
        out.append(schema["description"])
    top = [f"The top-level object has {len(schema.get('properties', {}))} fields"]
    if schema.get("additionalProperties") is False:
        top.append("and refuses any other")
    out.append(" ".join(top) + "." + (f" Download the schema: [{download_name}]({download_name})." if download_name else ""))
    out.append("## Fields\n\n" + table(schema))
    definitions = schema.get("$defs") or schema.get("definitions") or {}
    if definitions:
        out.append("## Definitions")
        for name, sub in definitions.items():
            body = [f"### {name} {{#{def_anchor(name)}}}"]
            if description_of(sub):
                body.append(description_of(sub))
            body.append(f"Type: {type_of(sub)}." + (f" Constraints: {constraints_of(sub)}." if constraints_of(sub) else ""))
            if isinstance(sub, dict) and _has_children(sub):
                body.append(table(sub))
            out.append("\n\n".join(body))
    return "\n\n".join(out) + "\n"
