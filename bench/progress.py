"""Progress reporting as an interface, so modes stay free of terminal code."""

from __future__ import annotations

from typing import Protocol


class Task(Protocol):
    def advance(self, amount: float = 1.0) -> None: ...
    def describe(self, text: str) -> None: ...
    def finish(self) -> None: ...


class Progress(Protocol):
    def task(self, description: str, total: float | None = None) -> Task: ...
    def note(self, text: str) -> None: ...


class _NullTask:
    def advance(self, amount: float = 1.0) -> None:
        pass

    def describe(self, text: str) -> None:
        pass

    def finish(self) -> None:
        pass


class NullProgress:
    """Reports nothing (library use, tests)."""

    def task(self, description: str, total: float | None = None) -> Task:
        return _NullTask()

    def note(self, text: str) -> None:
        pass
