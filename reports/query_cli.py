"""`tinybench report query "SQL"`: read-only, bounded SQL over a results folder's index.

Read-only three ways: the file is opened with the `mode=ro` URI, `PRAGMA query_only` is set, and
an authorizer refuses ATTACH/DETACH and any PRAGMA that is not a plain read. Bounded: at most
`limit` rows are fetched (the output says when there were more), a progress handler stops a query
after `timeout` seconds, and each value is cut to `MAX_CELL` characters and escaped for the terminal.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
from pathlib import Path

import click

from tinybench.errors import TinybenchError
from tinybench.reports.result_index import INDEX_NAME, ResultIndex
from tinybench.reports.safe_text import for_terminal

MAX_CELL = 200
READ_PRAGMAS = {"table_info", "table_xinfo", "table_list", "index_list", "index_info", "database_list"}
HINT = ("tables: results (one row per bundle × mode: the columns of `report export`) and bundles (path, sha256, "
        "status, reason, run_id, created_utc, workload, system_id, division)")


def _authorizer(action: int, arg1: str | None, *_: object) -> int:
    if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() not in READ_PRAGMAS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def run_query(results_dir: Path, sql: str, limit: int, timeout: float,
              sync: bool = True) -> tuple[list[str], list[tuple], bool]:
    """(column names, at most `limit` rows, whether there were more). Raises TinybenchError on bad SQL."""
    path = Path(results_dir) / INDEX_NAME
    notes: list[str] = []
    if sync:
        index = ResultIndex(Path(results_dir))
        try:
            notes = index.sync().notes
        finally:
            index.close()
    # only an index made here for this folder, by this code (not a link, no trigger or view, not copied along with
    # another folder: its verdicts were never reached here)
    made_here = ResultIndex.existing(Path(results_dir), deadline=time.monotonic() + timeout)
    if made_here is None:
        raise TinybenchError(f"no results index made for {results_dir} by this tinybench (missing, made elsewhere, "
                             "or something else in its place)" + "".join(f"; {note}" for note in notes[-1:]),
                             hint="run `tinybench report build` or drop --no-sync")
    made_here.close()
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=60)
    try:
        conn.execute("PRAGMA query_only = ON")
        conn.set_authorizer(_authorizer)
        deadline = time.monotonic() + timeout
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        try:
            cursor = conn.execute(sql)
            rows = cursor.fetchmany(limit + 1)
        except sqlite3.Error as exc:
            message = "interrupted" if "interrupt" in str(exc) else str(exc)
            if message == "interrupted":
                raise TinybenchError(f"query stopped after {timeout:g} s", hint="narrow it, or raise --timeout") from exc
            raise TinybenchError(f"the query failed: {message}", hint=HINT) from exc
        names = [d[0] for d in cursor.description or []]
        return names, rows[:limit], len(rows) > limit
    finally:
        conn.close()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    text = str(value)
    return for_terminal(text if len(text) <= MAX_CELL else text[:MAX_CELL] + "…")


def print_query(results_dir: Path, sql: str, fmt: str, limit: int, timeout: float, sync: bool = True) -> None:
    names, rows, more = run_query(results_dir, sql, limit, timeout, sync)
    if fmt == "json":
        click.echo(json.dumps([{n: (_cell(v) if isinstance(v, (str, bytes)) else v) for n, v in zip(names, row)}
                               for row in rows], indent=1, ensure_ascii=False))
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(names)
        writer.writerows([_cell(v) for v in row] for row in rows)
        click.echo(buffer.getvalue(), nl=False)
    else:
        cells = [[_cell(n) for n in names]] + [[_cell(v) for v in row] for row in rows]
        widths = [max(len(r[i]) for r in cells) for i in range(len(names))]
        for number, row in enumerate(cells):
            click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
            if number == 0:
                click.echo("  ".join("-" * w for w in widths))
    if more:
        click.echo(f"(more than {limit} rows: only the first {limit} shown; raise --limit or add LIMIT/WHERE)",
                   err=True)
    elif fmt == "table":
        click.echo(f"({len(rows)} rows)", err=True)
