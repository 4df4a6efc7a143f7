"""Command line for labgrid labs: `tinybench lab run|places` and `run --place/--coordinator/--wait`.

Registered in :mod:`tinybench.cli` with two lines; labgrid is imported only when one of
these is used.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path

import click

from tinybench.errors import TinybenchError


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (value or "").split(",") if p.strip())


def place_options(run: Callable) -> Callable:
    """Add --place/--coordinator/--wait to `tinybench run`: hold the place around the whole run."""

    @click.option("--wait", "wait_s", type=float, default=None,
                  help="serial + --place: wait up to this many seconds for a place someone else holds.")
    @click.option("--coordinator", default=None, envvar="LG_COORDINATOR", show_envvar=True,
                  help="serial + --place: the labgrid coordinator, HOST:PORT.")
    @click.option("--place", default=None,
                  help="serial: a labgrid place instead of --port (acquired for the run, released after; "
                       "needs the lab extra).")
    @functools.wraps(run)
    def wrapper(*args, place: str | None, coordinator: str | None, wait_s: float | None, **kwargs):  # noqa: ANN002, ANN003, ANN202
        if not place:
            if wait_s is not None:
                raise TinybenchError("--wait needs --place")
            return run(*args, **kwargs)
        if kwargs.get("target") != "serial":
            raise TinybenchError("--place works with --target serial")
        if kwargs.get("port"):
            raise TinybenchError("give --place or --port, not both")
        from tinybench.cli import _key_values
        from tinybench.console import stderr
        from tinybench.lab_session import hold_place

        options = _key_values(kwargs["target_options"], "--target-option")
        powers = _key_values(kwargs["power_options"], "--power-option")
        modes = _split(kwargs.get("modes"))
        with hold_place(place, coordinator, wait_s or 0.0, modes, options, kwargs.get("power"), powers,
                        on_wait=lambda text: stderr.print(text, highlight=False)) as held:
            kwargs["target_options"] = tuple(f"{k}={v}" for k, v in held.target_options.items())
            kwargs["power_options"] = tuple(f"{k}={v}" for k, v in held.power_options.items())
            return run(*args, **kwargs)

    return wrapper


@click.group()
def lab() -> None:
    """Boards in a labgrid lab: run a matrix over places (needs the lab extra)."""


@lab.command("run")
@click.option("--lab", "lab_file", required=True, type=click.Path(path_type=Path),
              help="Lab description (TOML): places, their workloads/firmware, per-place options.")
@click.option("--places", default=None, help="Comma-separated places (default: every place the lab names).")
@click.option("--tag", default=None, help="Every place with this labgrid tag: KEY or KEY=VALUE.")
@click.option("--workload", "-w", "workloads", default=None,
              help="Comma-separated workloads (default: each place's own list).")
@click.option("--mode", "-m", "modes", default="performance,spinup", show_default=True,
              help="Comma-separated modes: performance, spinup, accuracy, energy.")
@click.option("--model", default=None, help="builtin, reference or a .tflite PATH (default: the lab's, builtin).")
@click.option("--data", type=click.Path(path_type=Path), default=None, help="Dataset folder (accuracy mode).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("tinybench-results"),
              show_default=True, help="The one folder that receives every place's bundles.")
@click.option("--coordinator", default=None, envvar="LG_COORDINATOR", show_envvar=True,
              help="labgrid coordinator HOST:PORT (default: the lab description's).")
@click.option("--wait", "wait_s", type=float, default=None,
              help="Wait up to this many seconds for places others hold (default: the lab's, 0).")
@click.option("--quick", is_flag=True, help="Short windows for a smoke run (never valid for submission).")
@click.option("--windows", type=int, default=None, help="Override the number of performance windows.")
@click.option("--min-window-s", type=float, default=None, help="Override the minimum window length (s).")
@click.option("--json", "as_json", is_flag=True, help="Print the run's summary as JSON on stdout.")
def lab_run(lab_file: Path, places: str | None, tag: str | None, workloads: str | None, modes: str,
            model: str | None, data: Path | None, out_dir: Path, coordinator: str | None, wait_s: float | None,
            quick: bool, windows: int | None, min_window_s: float | None, as_json: bool) -> None:
    """Run workloads × modes × places in parallel, one worker per place.

    Each place is acquired for all of its workloads (flashed first when the lab says how),
    each bundle lands in --out as soon as it is complete, and a place that fails or
    disappears is reported while the others carry on. Exit code 0 only if everything ran;
    1 if anything failed; 2 for a problem found before starting; 130 on Ctrl-C.
    """
    from tinybench.console import stderr
    from tinybench.lab_description import read_lab
    from tinybench.lab_run import MatrixRequest, build_jobs, run_matrix, select_places
    from tinybench.modes import MODES
    from tinybench.rules import resolve_profile
    from tinybench.targets.lab.coordinator import CoordinatorClient, coordinator_address, require_labgrid
    from tinybench.workloads import get_workload

    require_labgrid()
    description = read_lab(lab_file)
    mode_list = _split(modes)
    bad = [m for m in mode_list if m not in MODES]
    if bad or not mode_list:
        raise TinybenchError(f"unknown mode {bad[0]!r}" if bad else "no mode selected", hint=f"modes: {', '.join(MODES)}")
    for workload in _split(workloads):
        get_workload(workload)
    if wait_s is not None and not 0 <= wait_s <= 7 * 24 * 3600:
        raise TinybenchError("--wait must be between 0 and 604800 seconds")
    if "accuracy" in mode_list and data is None:
        raise TinybenchError("accuracy mode needs a labelled dataset", hint="pass --data DIR")
    request = MatrixRequest(places=_split(places), tag=tag, workloads=_split(workloads), modes=mode_list, model=model,
                            coordinator=coordinator_address(coordinator or description.coordinator), wait_s=wait_s,
                            data=str(data.resolve()) if data else None)
    with CoordinatorClient(request.coordinator) as client:
        known = {name: view.tags for name, view in client.places().items()}
    rules = resolve_profile(quick, windows, min_window_s).to_json()
    jobs = build_jobs(description, select_places(description, known, request), request, out_dir.resolve(), rules)
    out_dir.mkdir(parents=True, exist_ok=True)
    stderr.print(f"lab run: {len(jobs)} places, {sum(len(j.workloads) for j in jobs)} bundles to make, "
                 f"modes {', '.join(mode_list)} → {out_dir}", highlight=False)
    report = run_matrix(jobs, out_dir, stderr)
    _print_summary(report, as_json)
    sys.exit(report.exit_code)


def _print_summary(report, as_json: bool) -> None:  # noqa: ANN001
    from rich.markup import escape

    from tinybench.console import stderr

    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
    for status in report.statuses:
        bundles = sum(1 for b in status.bundles if not b["failed"])
        stderr.print(f"{escape(status.place)}: {status.state} — {bundles}/{len(status.workloads)} bundles complete"
                     + (f", {len(status.bundles) - bundles} with failures" if len(status.bundles) > bundles else ""),
                     highlight=False)
        for failure in status.failures:
            stderr.print(f"    ✗ {escape(failure)}", highlight=False, soft_wrap=True)
        if status.not_run:
            stderr.print(f"    not run: {', '.join(status.not_run)}", highlight=False)
    stderr.print(f"worker logs and summary: {report.log_dir}", highlight=False)


@lab.command("places")
@click.option("--coordinator", default=None, envvar="LG_COORDINATOR", show_envvar=True,
              help="labgrid coordinator HOST:PORT.")
def lab_places(coordinator: str | None) -> None:
    """List the coordinator's places: who holds each, its tags."""
    from tinybench.targets.lab.coordinator import CoordinatorClient, coordinator_address

    with CoordinatorClient(coordinator_address(coordinator)) as client:
        places = client.places()
    for name, view in sorted(places.items()):
        tags = " ".join(f"{k}={v}" for k, v in sorted(view.tags.items()))
        click.echo(_printable(f"{name:24} {view.acquired or 'free':24} {tags}"))


def _printable(text: str) -> str:
    """The coordinator's strings without control characters (no terminal escapes from a lab)."""
    return "".join(c if c.isprintable() else "?" for c in text)[:500]
