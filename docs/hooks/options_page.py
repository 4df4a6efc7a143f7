"""Target adapters and power monitors with their options, read from the registries.

Each adapter declares its options as a dataclass (`Options`); the table shows every field
with its type, default and the comment written beside it in the source, so a new option
or a new adapter appears here without an edit.
"""

from __future__ import annotations

import dataclasses
import inspect
import io
import tokenize
import typing
from typing import Any

from schema_page import cell, code


def field_comments(cls: type) -> dict[str, str]:
    """`name: type = default  # comment` → {name: comment} from the class's source."""
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return {}
    comments: dict[str, str] = {}
    pending_name: str | None = None
    line_of_name: int | None = None
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.NAME and tok.start[1] == 4 and pending_name is None:
            pending_name, line_of_name = tok.string, tok.start[0]
        elif tok.type == tokenize.COMMENT and pending_name and tok.start[0] == line_of_name:
            comments[pending_name] = tok.string.lstrip("#").strip()
        if tok.type in (tokenize.NEWLINE, tokenize.NL):
            pending_name = None
    return comments


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def options_table(options_cls: type | None) -> str:
    if options_cls is None or not dataclasses.is_dataclass(options_cls):
        return "No options.\n"
    comments = field_comments(options_cls)
    try:
        hints = typing.get_type_hints(options_cls)
    except Exception:  # noqa: BLE001 - a plugin's odd annotations must not break the docs
        hints = {}
    lines = ["| option | type | default | meaning |", "|---|---|---|---|"]
    for f in dataclasses.fields(options_cls):
        if f.default is not dataclasses.MISSING:
            default = code(f.default) if f.default != "" else "(empty)"
        elif f.default_factory is not dataclasses.MISSING:
            default = code(f.default_factory())
        else:
            default = "required"
        lines.append(f"| {code(f.name)} | {cell(_type_name(hints.get(f.name, f.type)))} | {default} | "
                     f"{cell(comments.get(f.name, ''))} |")
    return "\n".join(lines) + "\n"


def _summary(obj: Any) -> str:
    doc = inspect.cleandoc(obj.__dict__.get("__doc__") or "")  # its own, not its base class's
    return cell(doc.split("\n\n")[0])


def registry_section(registry: Any, flag: str, heading: str) -> str:
    parts = [f"## {heading}\n"]
    for name, reg in registry.registrations().items():
        parts.append(f"### `{name}` {{#{heading.split()[0].lower()}-{name}}}\n")
        parts.append(f"From {code(reg.reference)} ({cell(reg.origin)}).\n")
        try:
            cls = registry.get(name)
        except Exception as exc:  # noqa: BLE001 - an uninstalled extra: say so, keep building
            parts.append(f"Cannot be loaded in this environment: {cell(str(exc))}\n")
            continue
        if _summary(cls):
            parts.append(_summary(cls) + "\n")
        caps = getattr(cls, "capabilities", None)
        if caps:
            parts.append("Capabilities: " + ", ".join(code(getattr(c, "value", c)) for c in sorted(caps, key=str)) + ".\n")
        parts.append(f"Options (`{flag} key=value`):\n")
        parts.append(options_table(getattr(cls, "Options", None)))
    return "\n".join(parts)


def render() -> str:
    from tinybench.targets import TARGETS
    from tinybench.targets.power import POWER_MONITORS

    return (registry_section(TARGETS, "-O", "Target adapters") + "\n"
            + registry_section(POWER_MONITORS, "-P", "Power monitors"))
