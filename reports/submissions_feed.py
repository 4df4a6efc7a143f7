"""Accepted submissions → results for the site; newer revisions supersede older ones.

Every entry of the submissions folder (archives and directories) is checked on its own: a
bad one is listed as rejected with its reasons and never stops its neighbours. For each
(organization, system) only the highest accepted revision reaches the leaderboard; every
revision, with its verdict, is kept as history. Published records carry the checker's
recomputed figures, its re-derived checks and its division basis, under a run id made from
validated names (unique per organization, system, revision, workload and mode).
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from tinybench.errors import TinybenchError
from tinybench.reports.safe_text import for_terminal
from tinybench.reports.submission_check import CheckReport, check_submission
from tinybench.reports.recompute import without_private
from tinybench.result_schema import validation_errors

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".tar.bz2", ".zip")
MAX_RUN_ID = 150


@dataclass
class Feed:
    results: list[dict] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)  # one entry per submission looked at


def submission_entries(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).iterdir()
                  if not p.name.startswith(".") and (p.is_dir() or p.name.endswith(ARCHIVE_SUFFIXES)))


def _check(entry: Path) -> CheckReport:
    try:
        return check_submission(entry)
    except Exception as exc:  # noqa: BLE001 - one entry never stops the others
        report = CheckReport(str(entry))
        report.add(entry.name, "internal", f"could not be checked ({type(exc).__name__}: {str(exc)[:200]})")
        return report


def read_submissions(folder: Path) -> Feed:
    if not Path(folder).is_dir():
        raise TinybenchError(f"submissions folder not found: {for_terminal(folder)}")
    reports = [_check(entry) for entry in submission_entries(folder)]
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
        records, problems = [], [f"{p.rule}: {p.path}: {p.message}" for p in report.problems]
        if current:
            records, problems = _publishable(report)
            current = not problems
        feed.history.append({
            "source": Path(report.source).name, "organization": report.organization or "?",
            "system": report.system or "?", "revision": report.revision, "created": report.created_utc or "",
            "status": "published" if current else ("superseded" if report.accepted else "rejected"),
            "problems": problems[:5], "more_problems": max(0, len(problems) - 5),
        })
        feed.results += records
    feed.history.sort(key=lambda h: (h["organization"], h["system"], -(h["revision"] or 0)))
    return feed


def _publishable(report: CheckReport) -> tuple[list[dict], list[str]]:
    records = [published(result, report) for result in report.results]
    problems = [f"publish: {p}" for r in records for p in validation_errors(without_private(r))[:1]]
    return (records, []) if not problems else ([], problems)


def run_id_for(report: CheckReport, result: dict) -> str:
    """A file-name-safe id, unique per (organization, system, revision, workload, mode); never truncated."""
    mode = next(iter(result["modes"]))
    readable = f"sub-{report.organization}-{report.system}-r{report.revision}-{result['workload']['id']}-{mode}"
    if len(readable) <= MAX_RUN_ID:
        return readable
    digest = hashlib.sha256(f"{report.organization}/{report.system}".encode()).hexdigest()[:16]
    return f"sub-{digest}-r{report.revision}-{result['workload']['id']}-{mode}"


def published(result: dict, report: CheckReport) -> dict:
    """A checked record as the site shows it: under the submitter's system name, with its origin."""
    result = copy.deepcopy(result)
    description = report.system_description or {}
    name = description.get("system_name") or report.system
    system = result["target"]["system"]
    system["name"] = f"{report.organization}: {name}"[:200]
    details = system.setdefault("details", {})
    for key, value in result["target"]["options"].items():  # the run's options stay as facts of the system page
        details.setdefault(f"option {key}"[:100], value)
    for key in ("board", "processor", "processor_frequency_mhz", "accelerator", "memory", "framework",
                "software_libraries", "status", "notes"):
        if description.get(key) is not None:
            value = description[key]
            details[f"submitted {key}"] = value[:2000] if isinstance(value, str) else value
    # one leaderboard row per submitted system, whatever options each mode's run used
    result["target"]["options"] = {"organization": report.organization, "system_file": report.system}
    result["origin"] = f"submission {report.organization}/{report.system} r{report.revision}"
    result["run_id"] = run_id_for(report, result)
    return result
