"""`tinybench report build | export | query`: the site, the table and ad-hoc SQL, all from the results index."""

from __future__ import annotations

from pathlib import Path

import click

from tinybench.errors import TinybenchError

RESULTS_HELP = "Folder of result bundles (repeatable; searched recursively). Its index is kept in it."


def _existing(results_dirs: tuple[Path, ...]) -> None:
    for folder in results_dirs:
        if not folder.is_dir():
            raise TinybenchError(f"results folder not found: {folder}", hint="give a folder that holds result bundles")


@click.command("build")
@click.option("--results", "results_dirs", multiple=True, required=True, type=click.Path(path_type=Path),
              help=RESULTS_HELP)
@click.option("--submissions", "submissions_dir", type=click.Path(path_type=Path), default=None,
              help="Folder of submissions (accepted ones are published beside the results).")
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Site folder to (re)write.")
@click.option("--full", is_flag=True, help="Render every page again (the result is byte-identical to an "
                                           "incremental build; use it after changing templates by hand).")
def report_build(results_dirs: tuple[Path, ...], submissions_dir: Path | None, out_dir: Path, full: bool) -> None:
    """Build the leaderboard site: a page per workload, system and run, history, and a comparison view.

    Incremental: only new or changed bundles are checked (their figures recomputed from their raw files;
    the verdicts are cached in each results folder's .tinybench-index/), and only the pages that
    show them are rendered again. Static files only: open out/index.html, or serve the folder anywhere.
    """
    from tinybench.reports.safe_text import for_terminal
    from tinybench.reports.site import build_site

    _existing(results_dirs)
    extra, history = [], []
    if submissions_dir is not None:
        from tinybench.reports.submissions_feed import read_submissions

        feed = read_submissions(submissions_dir)
        extra, history = feed.results, feed.history
        for entry in history:
            reason = f" ({entry['problems'][0]})" if entry["problems"] else ""
            click.echo(for_terminal(f"submission {entry['source']}: {entry['status']}{reason}"), err=True)
    from tinybench.progress_bars import RichProgressReporter

    with RichProgressReporter() as progress:  # (shown on a terminal only)
        built = build_site(results_dirs, out_dir, extra_results=extra, history=history, full=full, progress=progress)
    for note in built.notes:
        click.echo(for_terminal(f"note: {note}"), err=True)
    for problem in built.skipped:
        click.echo(for_terminal(f"rejected: {problem}"), err=True)
    kind = "full build" if built.full else "incremental"
    click.echo(f"{kind}: {built.bundles} results, {built.checked} bundles checked, {built.rendered} pages written, "
               f"{built.removed} removed ({built.pages} pages) in {built.seconds:.2f} s: {built.out / 'index.html'}")


@click.command("export")
@click.option("--results", "results_dirs", multiple=True, required=True, type=click.Path(path_type=Path),
              help=RESULTS_HELP)
@click.option("--to", "dest", required=True, type=click.Path(path_type=Path), help="FILE.csv, FILE.json or FILE.parquet")
def report_export(results_dirs: tuple[Path, ...], dest: Path) -> None:
    """Export every accepted result as one row per (system, workload, mode), with units in the column names.

    Figures are the ones recomputed from each bundle's raw files (read from the results index, which is
    brought up to date first); rejected bundles are listed on stderr and left out.
    """
    from tinybench.reports.results_store import export, frame_from_index
    from tinybench.reports.safe_text import for_terminal

    from tinybench.progress_bars import RichProgressReporter

    _existing(results_dirs)
    with RichProgressReporter() as progress:  # (shown on a terminal only)
        table = frame_from_index(results_dirs, progress)
    try:
        export(table.frame, dest)
    except ValueError as exc:
        raise TinybenchError(str(exc)) from exc
    for note in table.notes:
        click.echo(for_terminal(f"note: {note}"), err=True)
    for problem in table.skipped:
        click.echo(for_terminal(f"skipped: {problem}"), err=True)
    click.echo(f"wrote {len(table.frame)} rows from {table.bundles} bundles to {dest}")


@click.command("query")
@click.argument("sql")
@click.option("--results", "results_dir", required=True, type=click.Path(path_type=Path),
              help="Folder of result bundles whose index to query.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--limit", type=click.IntRange(1, 1_000_000), default=1000, show_default=True,
              help="Rows printed at most (the output says when there were more).")
@click.option("--timeout", type=click.FloatRange(0.1, 3600), default=30.0, show_default=True,
              help="Seconds a query may run.")
@click.option("--no-sync", is_flag=True, help="Query the index as it is (default: bring it up to date first).")
def report_query(sql: str, results_dir: Path, fmt: str, limit: int, timeout: float, no_sync: bool) -> None:
    """Read-only SQL over a results folder's index, for ad-hoc questions.

    Tables: `results` (one row per bundle × mode, the columns of `report export`, figures recomputed
    from the raw files) and `bundles` (path, sha256, status 'ok' or 'rejected', reason, run_id,
    created_utc, workload, system_id, division). The database is opened read-only (mode=ro and
    PRAGMA query_only), ATTACH is refused, and a query is stopped after --timeout seconds. Example:

        tinybench report query --results results "SELECT system, workload, min(latency_ms) FROM results GROUP BY 1, 2"
    """
    from tinybench.reports.query_cli import print_query

    _existing((results_dir,))
    print_query(results_dir, sql, fmt, limit, timeout, sync=not no_sync)


def register(group: click.Group) -> None:
    for command in (report_build, report_export, report_query):
        group.add_command(command)
