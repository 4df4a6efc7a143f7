"""Accepted submissions → results for the site; newer revisions supersede older ones.

Every entry of the submissions folder (archives and directories) is checked; accepted
ones are published. For each (organization, system) only the highest revision's
results reach the leaderboard; every revision, with its verdict, is kept as history.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

from tinybench.errors import TinybenchError
from tinybench.reports.submission_check import CheckReport, check_submission

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")


@dataclass
class Feed:
    results: list[dict] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)  # one entry per submission looked at


def submission_entries(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).iterdir()
                  if not p.name.startswith(".") and (p.is_dir() or p.name.endswith(ARCHIVE_SUFFIXES)))


def read_submissions(folder: Path) -> Feed:
    if not Path(folder).is_dir():
        raise TinybenchError(f"submissions folder not found: {folder}")
    reports = [check_submission(entry) for entry in submission_entries(folder)]
    newest: dict[tuple[str, str], CheckReport] = {}
    for report in reports:
        if report.accepted:
            key = (report.organization, report.system)
            if key not in newest or report.revision > newest[key].revision:
                newest[key] = report
    feed = Feed()
    for report in reports:
        key = (report.organization, report.system)
        current = report.accepted and newest.get(key) is report
        feed.history.append({
            "source": Path(report.source).name, "organization": report.organization or "?",
            "system": report.system or "?", "revision": report.revision, "created": report.created_utc or "",
            "status": "published" if current else ("superseded" if report.accepted else "rejected"),
            "problems": [f"{p.rule}: {p.message}" for p in report.problems][:5],
        })
        if current:
            feed.results += [published(result, report) for result in report.results]
    feed.history.sort(key=lambda h: (h["organization"], h["system"], -(h["revision"] or 0)))
    return feed


def published(result: dict, report: CheckReport) -> dict:
    """A submitted result as the site shows it: under the submitter's system name, with its origin."""
    result = copy.deepcopy(result)
    description = report.system_description or {}
    name = description.get("system_name") or report.system
    result["target"]["system"]["name"] = f"{report.organization}: {name}"
    result["origin"] = f"submission {report.organization}/{report.system} r{report.revision}"
    result["run_id"] = f"sub-{report.organization}-{report.system}-r{report.revision}-{result['run_id']}"[:200]
    return result
