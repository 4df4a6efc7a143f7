"""Progress bars on stderr (Rich), apart from the run summary (`console`): `report build` and `report export`
use them without importing the runner. Every text shown is escaped: control characters and Rich markup."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress as RichProgress, SpinnerColumn, TextColumn, TimeElapsedColumn

from tinybench.reports.safe_text import for_terminal

stderr = Console(stderr=True)


def safe(text: object) -> str:
    """`text` for Rich markup strings: control characters escaped, markup brackets escaped."""
    return escape(for_terminal(text))


class _RichTask:
    def __init__(self, progress: RichProgress, task_id: int) -> None:
        self._progress = progress
        self._id = task_id

    def advance(self, amount: float = 1.0) -> None:
        self._progress.advance(self._id, amount)

    def describe(self, text: str) -> None:
        self._progress.update(self._id, description=safe(text))

    def finish(self) -> None:
        self._progress.remove_task(self._id)


class RichProgressReporter:
    """Progress bars with elapsed time on stderr (silent when stderr is not a terminal)."""

    def __init__(self) -> None:
        self._progress = RichProgress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
            console=stderr, transient=True,
        )

    def __enter__(self) -> RichProgressReporter:
        if stderr.is_terminal:  # (off a terminal Rich draws nothing, but wrote an empty line on stopping)
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress.live.is_started:
            self._progress.stop()

    def task(self, description: str, total: float | None = None) -> _RichTask:
        return _RichTask(self._progress, self._progress.add_task(safe(description), total=total))

    def note(self, text: str) -> None:
        self._progress.console.print(f"[bold]▶[/bold] {safe(text)}")
