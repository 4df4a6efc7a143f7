"""`tinybench system show | tune | reset`: the command line of :mod:`tinybench.system_tune`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from tinybench.errors import TinybenchError

EXIT_PARTIAL = 1  # some settings could not be written
EXIT_NEEDS_ROOT = 2

root_option = click.option("--root", "root", type=click.Path(path_type=Path), default=None,
                           help="Read and write ROOT/proc and ROOT/sys instead of /proc and /sys "
                                "(a container's view of its host, or a test tree).")
state_option = click.option("--state-file", type=click.Path(path_type=Path), default=None,
                            help="Where tune saves the original values for reset "
                                 "(default: $TINYBENCH_CACHE or ~/.cache/tinybench, system-tune-state.json).")


def _paths(root: Path | None):  # noqa: ANN202
    from tinybench.host_state import HostPaths

    if root is None:
        return HostPaths()
    if not (root / "proc").is_dir() or not (root / "sys").is_dir():
        raise TinybenchError(f"--root {root} has no proc/ and sys/ folders")
    return HostPaths.under(root)


@click.group("system")
def system() -> None:
    """Show, tune and reset what makes host timings unstable (like `pyperf system`)."""


@system.command("show")
@root_option
@click.option("--json", "as_json", is_flag=True, help="Print the facts as JSON.")
def system_show(root: Path | None, as_json: bool) -> None:
    """What hurts stable timing on this host, with advice (samples busy processes for 0.5 s)."""
    from tinybench.system_tune import show, tunables

    paths = _paths(root)
    facts = show(paths)
    pending = [s for s in tunables(paths) if s.current != s.tuned]
    if as_json:
        click.echo(json.dumps({"facts": [vars(f) for f in facts],
                               "tunable": [{"name": s.name, "current": s.current, "tuned": s.tuned, "why": s.why}
                                           for s in pending]}, indent=2, ensure_ascii=False))
        return
    for fact in facts:
        click.echo(fact.line())
    if pending:
        click.echo(f"`tinybench system tune` would change {len(pending)} setting(s) (needs root): "
                   + "; ".join(f"{s.name} {s.current} → {s.tuned}" for s in pending))
    else:
        click.echo("nothing here for `tinybench system tune` to change")


@system.command("tune")
@root_option
@state_option
def system_tune(root: Path | None, state_file: Path | None) -> None:
    """Governor → performance, minimum frequency → maximum, turbo/boost off, perf sampling rate → 1.

    The values it replaces are saved first; `tinybench system reset` restores them. Needs root.
    """
    from tinybench.system_tune import default_state_file, tune

    report = tune(_paths(root), state_file or default_state_file())
    _finish(report, "tune", "already tuned or nothing tunable here: nothing changed")


@system.command("reset")
@root_option
@state_option
def system_reset(root: Path | None, state_file: Path | None) -> None:
    """Restore every value `tinybench system tune` changed. Needs root."""
    from tinybench.system_tune import default_state_file, reset

    state = state_file or default_state_file()
    report = reset(_paths(root), state)
    _finish(report, "reset", f"nothing to reset: no saved state in {state}")


def _finish(report, command: str, nothing: str) -> None:  # noqa: ANN001
    for line in report.changed:
        click.echo(f"changed: {line}")
    for line in report.failed:
        click.echo(f"failed: {line}", err=True)
    if report.changed and command == "tune":
        click.echo(f"the original values are saved in {report.state_file}; `tinybench system reset` restores them")
    if not report.changed and not report.needs_root and not report.failed:
        click.echo(nothing)
    if report.needs_root:
        click.echo(f"tinybench: error: `tinybench system {command}` needs root to write "
                   f"{', '.join(report.needs_root)}: run it with sudo", err=True)
        sys.exit(EXIT_NEEDS_ROOT if not report.changed else EXIT_PARTIAL)
    if report.failed:
        sys.exit(EXIT_PARTIAL)
