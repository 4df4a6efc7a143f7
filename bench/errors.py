"""Errors a user can act on.

Every failure the user can fix (bad input, a wrong port, a corrupt model, a missing
extra) is raised as a :class:`TinybenchError`. The CLI prints it as one line and exits
with :attr:`TinybenchError.exit_code` (2), never with a traceback. Anything else is a bug.
"""

from __future__ import annotations


class TinybenchError(Exception):
    """A problem with the user's input or environment, with what to do about it."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        """The message and the hint as a single line for the terminal."""
        text = " ".join(self.message.split())
        if self.hint:
            text += f" ({' '.join(self.hint.split())})"
        return text

    def __str__(self) -> str:
        return self.one_line()


class UnknownNameError(TinybenchError):
    """A workload, target, mode or preset name that is not registered."""


class ModelError(TinybenchError):
    """A model file that is missing, corrupt or does not fit the workload."""


class TargetError(TinybenchError):
    """A target adapter that cannot be created or failed while measuring."""


class DatasetError(TinybenchError):
    """A dataset that is missing, malformed or does not fit the workload."""


class MissingExtraError(TinybenchError):
    """An optional dependency (extra) that the requested feature needs."""

    def __init__(self, feature: str, extra: str, module: str) -> None:
        super().__init__(
            f"{feature} needs the optional module '{module}'",
            hint=f"install it with: pip install 'tinybench[{extra}]'",
        )
