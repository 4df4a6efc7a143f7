"""The command-line reference, made from the click commands at build time.

Walks the `tinybench` group (so a command registered by any module appears), and writes for
each command its help text, usage line, arguments and options exactly as `--help` words
them (click's own help records: names, metavar, `[default: …]`, `[required]`), with links
between groups and their subcommands.
"""

from __future__ import annotations

import inspect

import click

from schema_page import cell


def anchor(path: str) -> str:
    return path.replace(" ", "-")


def _help_paragraphs(text: str) -> str:
    """click help → Markdown paragraphs (`\\b` blocks keep their line breaks, as click does)."""
    out = []
    for para in inspect.cleandoc(text or "").split("\n\n"):
        if para.startswith("\b\n"):
            out.append("\n".join(f"    {line}" for line in para.splitlines()[1:]))
        else:
            out.append(cell(para))
    return "\n\n".join(p for p in out if p.strip())


def _options_table(command: click.Command, ctx: click.Context) -> str:
    rows = []
    for param in command.get_params(ctx):
        if isinstance(param, click.Argument):
            continue
        record = param.get_help_record(ctx)
        if record is None:
            continue
        names, help_text = record
        rows.append(f"| <code>{cell(names)}</code> | {cell(help_text)} |")
    if not rows:
        return ""
    return "| option | description |\n|---|---|\n" + "\n".join(rows)


def _arguments(command: click.Command) -> str:
    args = [p for p in command.params if isinstance(p, click.Argument)]
    if not args:
        return ""
    items = [f"- `{a.make_metavar(click.Context(command))}`" + (" (required)" if a.required else "") for a in args]
    return "Arguments:\n\n" + "\n".join(items)


def command_section(command: click.Command, path: str, parent: click.Context | None, level: int) -> list[str]:
    ctx = click.Context(command, info_name=path.split(" ")[-1], parent=parent, **command.context_settings)
    heading = "#" * min(level, 6)
    parts = [f"{heading} `{path}` {{#{anchor(path)}}}", _help_paragraphs(command.help or command.short_help or "")]
    usage = " ".join([path, *command.collect_usage_pieces(ctx)])
    parts.append(f"```text\n{usage}\n```")
    parts += [p for p in (_arguments(command), _options_table(command, ctx)) if p]
    sections = ["\n\n".join(p for p in parts if p)]
    if isinstance(command, click.Group):
        names = command.list_commands(ctx)
        listing = [f"- [`{path} {name}`](#{anchor(f'{path} {name}')}) — "
                   f"{cell(command.get_command(ctx, name).get_short_help_str(limit=200))}" for name in names]
        sections[0] += "\n\nCommands:\n\n" + "\n".join(listing)
        for name in names:
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                sections += command_section(sub, f"{path} {name}", ctx, level + 1)
    return sections


def render() -> str:
    from tinybench.cli import cli

    return "\n\n".join(command_section(cli, "tinybench", None, 2)) + "\n"
