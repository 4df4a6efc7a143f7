"""The state of each place in a `lab run`, and how it is shown while the run goes on.

On a terminal: one live table, a row per place (state, workload n/m, current step with its
progress, bundles written, last problem). Elsewhere (CI logs, pipes): one line per change
that matters — acquired, flashing, a bundle written, a failure, the end.
Every text that came from a worker (device replies end up in failure reasons) is shown as
plain text: rich markup in it is escaped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

FINAL_STATES = ("ok", "failed", "lost", "unavailable", "interrupted", "crashed")
STYLE = {"ok": "green", "failed": "red", "lost": "red", "unavailable": "yellow", "interrupted": "yellow",
         "crashed": "red", "waiting": "yellow"}


@dataclass
class PlaceStatus:
    place: str
    workloads: tuple[str, ...]
    state: str = "pending"
    detail: str = ""
    exporters: str = ""
    workload: str = ""
    index: int = 0
    task: str = ""
    completed: float = 0.0
    total: float | None = None
    bundles: list[dict] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    exit_code: int | None = None

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES

    def apply(self, event: dict) -> str | None:
        """Update from one worker event; returns a line worth logging (or None)."""
        kind = event.get("e")
        text = lambda key: str(event.get(key, ""))[:1000]  # noqa: E731
        if kind == "state":
            self.state, self.detail = text("state")[:20], text("detail")
            return f"{self.state} {self.detail}".strip()
        if kind == "acquired":
            self.exporters = text("exporters")
            return f"acquired (exporters {self.exporters}{', reset via ' + text('reset_via') if event.get('reset_via') else ''})"
        if kind == "job":
            self.workload, self.index, self.task, self.total = text("workload"), int(event.get("index", 0)), "", None
            return None
        if kind == "task":
            changed = text("text") != self.task
            self.task = text("text")
            self.completed = float(event.get("completed") or 0)
            total = event.get("total")
            self.total = float(total) if isinstance(total, (int, float)) else None
            return f"{self.workload}: {self.task}" if changed else None
        if kind == "bundle":
            self.bundles.append({k: event.get(k) for k in ("workload", "path", "failed", "modes", "reasons")})
            status = "with failures" if event.get("failed") else "ok"
            reasons = "; ".join(str(r) for r in event.get("reasons") or [])
            return f"bundle {text('workload')} {status}: {text('path')}{' — ' + reasons if reasons else ''}"
        if kind == "job_failed":
            self.failures.append(f"{text('workload')}: {text('reason')}")
            return f"{text('workload')} failed: {text('reason')}"
        if kind in ("lost", "error"):
            self.failures.append(text("reason"))
            self.not_run = [str(w) for w in event.get("not_run") or []][:64]
            return f"{'LOST' if kind == 'lost' else 'error'}: {text('reason')}"
        if kind == "done":
            self.state = text("status")[:20] or "failed"
            self.finished = time.monotonic()
            return f"done: {self.state}"
        return None

    def to_json(self) -> dict:
        return {"place": self.place, "status": self.state, "exporters": self.exporters,
                "workloads": list(self.workloads), "bundles": self.bundles, "failures": self.failures,
                "not_run": self.not_run, "seconds": round((self.finished or time.monotonic()) - self.started, 3),
                "exit_code": self.exit_code}


def _activity(status: PlaceStatus) -> str:
    if status.final:
        return escape(status.failures[-1][:120]) if status.failures else ""
    if status.state in ("waiting", "flashing", "acquiring"):
        return escape(status.detail[:120])
    if status.total:
        return f"{escape(status.task[:60])} {100 * status.completed / status.total:.0f}%"
    return escape(status.task[:80])


def render(statuses: list[PlaceStatus], started: float) -> Table:
    table = Table(title=f"lab run — {time.monotonic() - started:.0f} s", expand=False)
    for column in ("place", "hosts", "state", "workload", "activity", "bundles", "failures"):
        table.add_column(column, overflow="fold")
    for s in statuses:
        done = f"{s.index + (1 if s.final else 0)}/{len(s.workloads)}" if s.workloads else "-"
        style = STYLE.get(s.state, "")
        state = f"[{style}]{escape(s.state)}[/]" if style else escape(s.state)
        table.add_row(escape(s.place), escape(s.exporters), state,
                      f"{escape(s.workload)} ({done})" if s.workload else done, _activity(s),
                      str(len(s.bundles)), str(len(s.failures)))
    return table


class LabView:
    """Live table on a terminal, event lines otherwise. Use as a context manager."""

    def __init__(self, statuses: list[PlaceStatus], console: Console) -> None:
        self.statuses = statuses
        self.console = console
        self.started = time.monotonic()
        self.live = Live(console=console, refresh_per_second=4, transient=False) if console.is_terminal else None

    def __enter__(self) -> LabView:
        if self.live:
            self.live.start()
            self.refresh()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self.refresh()
            self.live.stop()

    def refresh(self) -> None:
        if self.live:
            self.live.update(render(self.statuses, self.started))

    def event(self, status: PlaceStatus, line: str | None) -> None:
        if self.live:
            self.refresh()
        elif line:
            self.console.print(f"[{time.monotonic() - self.started:6.1f} s] {escape(status.place)}: {escape(line)}",
                               soft_wrap=True, highlight=False)
