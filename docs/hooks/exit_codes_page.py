"""Exit codes, read from the code: which command can end with which code, and why.

Sources, all found at build time:
- module-level constants `EXIT_<NAME> = <int>  # meaning` in the modules that define commands;
- `sys.exit(<constant or int>)` / `raise SystemExit(...)` / `ctx.exit(...)` in each command's function;
- `TinybenchError.exit_code` and its subclasses (any command, through the CLI group);
- click's own usage errors (`click.UsageError.exit_code`);
- codes above 128 are 128 + a signal number (130 = interrupted by SIGINT, Ctrl-C).
"""

from __future__ import annotations

import ast
import inspect
import signal
import textwrap
from collections import defaultdict
from types import ModuleType
from typing import Any

import click

from schema_page import cell, code


def exit_constants(module: ModuleType) -> dict[str, tuple[int, str]]:
    """{EXIT_NAME: (value, comment)} declared at module level."""
    try:
        source = inspect.getsource(module)
    except (OSError, TypeError):
        return {}
    lines = source.splitlines()
    found = {}
    for node in ast.parse(source).body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id.startswith("EXIT_") and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, int)):
            line = lines[node.lineno - 1]
            comment = line.split("#", 1)[1].strip() if "#" in line else ""
            found[node.targets[0].id] = (node.value.value, comment)
    return found


def _exit_arguments(function: Any) -> list[ast.expr]:
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return []
    args = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if name in ("exit", "SystemExit"):
                args.append(node.args[0])
        elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
            if getattr(node.exc.func, "id", "") == "SystemExit":
                args.append(node.exc.args[0])
    return args


def walk_commands(group: click.Command, prefix: str = "tinybench") -> list[tuple[str, click.Command]]:
    out = [(prefix, group)]
    if isinstance(group, click.Group):
        for name in sorted(group.commands):
            out += walk_commands(group.commands[name], f"{prefix} {name}")
    return out


def signal_meaning(value: int) -> str:
    try:
        sig = signal.Signals(value - 128)
    except ValueError:
        return ""
    extra = " (Ctrl-C): interrupted; completed work is kept" if sig == signal.SIGINT else ""
    return f"128 + {sig.name}{extra}"


def collect(cli: click.Command, prog: str = "tinybench") -> dict[int, dict[str, Any]]:
    """{code: {"meanings": [...], "commands": [...]}} for every code the CLI can return."""
    codes: dict[int, dict[str, Any]] = defaultdict(lambda: {"meanings": [], "commands": []})
    codes[0]["meanings"].append("success")
    codes[0]["commands"].append("every command")
    from tinybench.errors import TinybenchError

    def error_classes(cls: type) -> list[type]:
        return [cls] + [c for sub in cls.__subclasses__() for c in error_classes(sub)]

    for cls in error_classes(TinybenchError):
        doc = (inspect.getdoc(cls) or "").split("\n")[0]
        codes[cls.exit_code]["meanings"].append(f"{code(cls.__name__)}: {cell(doc)}")
    codes[click.UsageError.exit_code]["meanings"].append(
        "a usage error (unknown option, missing argument), reported by click")
    for cls_code in {c.exit_code for c in error_classes(TinybenchError)} | {click.UsageError.exit_code}:
        codes[cls_code]["commands"].append("every command")
    constants: dict[str, tuple[int, str]] = {}
    for _, command in walk_commands(cli, prog):
        if command.callback is not None:
            module = inspect.getmodule(command.callback)
            if module is not None:
                constants.update(exit_constants(module))
    for value, comment in constants.values():
        if comment and cell(comment) not in codes[value]["meanings"]:
            codes[value]["meanings"].append(cell(comment))
    for path, command in walk_commands(cli, prog):
        if command.callback is None:
            continue
        for arg in _exit_arguments(command.callback):
            if isinstance(arg, ast.Name) and arg.id in constants:
                value = constants[arg.id][0]
            elif isinstance(arg, ast.Constant) and isinstance(arg.value, int):
                value = arg.value
                if value > 128 and signal_meaning(value) not in codes[value]["meanings"]:
                    codes[value]["meanings"].append(signal_meaning(value))
            else:
                continue
            if f"`{path}`" not in codes[value]["commands"]:
                codes[value]["commands"].append(f"`{path}`")
    return dict(sorted(codes.items()))


def render() -> str:
    from tinybench.cli import cli

    lines = ["| code | meaning | returned by |", "|---|---|---|"]
    for value, facts in collect(cli).items():
        meanings = "<br>".join(facts["meanings"]) or "—"
        lines.append(f"| **{value}** | {meanings} | {', '.join(facts['commands']) or '—'} |")
    return "\n".join(lines) + "\n"
