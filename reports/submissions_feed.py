"""Accepted submissions as results for the site (filled in by the submission flow)."""

from __future__ import annotations

from pathlib import Path

from tinybench.errors import TinybenchError


def accepted_results(folder: Path) -> list[dict]:
    if not Path(folder).exists():
        raise TinybenchError(f"submissions folder not found: {folder}")
    return []
