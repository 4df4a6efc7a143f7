"""Local result bundles as the site shows them: validated, every figure recomputed from raw files.

`report build` trusts a local bundle no more than a submission: it must match the strict
schema (checked when loading), and each measured mode's figures are recomputed from the
bundle's raw files by :mod:`recompute` (imported MLPerf Tiny bundles: re-read from the
`results.txt` they keep). A bundle whose published figure differs from its raw data, or whose
raw file is missing or malformed, is rejected with the reason; the figures shown are the
recomputed ones, the rule checks the re-derived ones.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from tinybench.reports.recompute import recompute
from tinybench.reports.safe_json import Refusal
from tinybench.reports.submission_layout import division_basis

MAX_BUNDLE_ENTRIES = 1000  # a bundle holds a handful of files


@dataclass
class Verified:
    result: dict | None  # None: rejected
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _files(folder: Path) -> set[str]:
    names = set()
    with os.scandir(folder) as entries:
        for count, entry in enumerate(entries):
            if count >= MAX_BUNDLE_ENTRIES:
                raise Refusal(f"{folder}: more than {MAX_BUNDLE_ENTRIES} entries")
            if entry.is_file(follow_symlinks=False):
                names.add(entry.name)
    return names


NOT_FINITE = "a figure recomputed from the raw files is not a finite number"


def verify_bundle(result: dict) -> Verified:
    """`result` (a loaded, schema-valid bundle with `_bundle`) with recomputed figures, or why not."""
    folder = Path(result["_bundle"])
    result = dict(result, model=dict(result["model"]), modes=dict(result["modes"]))  # the parts changed below
    result["model"]["division_basis"] = division_basis(result)
    try:
        names = _files(folder)
        if result["target"]["adapter"] == "mlperf-tiny":
            from tinybench.reports.mlperf_import import verify_imported

            problems = verify_imported(folder, result, names)
            if not problems and not _finite(result["modes"]):
                problems = [NOT_FINITE]
            return Verified(None if problems else result, problems)
        verified = Verified(result)
        for mode, block in result["modes"].items():
            if block["status"] != "measured":
                result["modes"][mode] = dict(block, valid_for_submission=False)
                continue
            outcome = recompute(folder, folder.name, mode, result, names)
            verified.problems += [f"{file}: {message}" for file, _, message in outcome.problems]
            verified.notes += outcome.notes
            if outcome.notes:
                result.setdefault("_notes", {})[mode] = outcome.notes
            result["modes"][mode] = outcome.block
    except Refusal as exc:
        return Verified(None, [str(exc)])
    except OSError as exc:
        return Verified(None, [f"{folder}: cannot be read ({exc.strerror or exc})"])
    if verified.problems:
        return Verified(None, verified.problems, verified.notes)
    if not _finite(result["modes"]):  # raw values near 1e308 (a CSV is not bounded like result.json) overflow
        return Verified(None, [NOT_FINITE], verified.notes)
    measured = [b for b in result["modes"].values() if b["status"] == "measured"]
    result["valid_for_submission"] = bool(measured) and all(b["valid_for_submission"] for b in measured) \
        and not result["errors"] and all(b["status"] != "failed" for b in result["modes"].values())
    return verified


_SCALARS = frozenset((str, int, bool, type(None)))  # leaves that are never a float, dict or list


def _finite(value: object) -> bool:
    """Whether every number in `value` (dicts and lists of scalars) is finite: the site's caches and pages hold
    finite figures only (as result.json does). Plain floats and scalars are judged as their container is walked
    (exact types: ~3x faster than an isinstance chain per item); anything else (containers, subclasses such as
    numpy's float64) takes the isinstance tests."""
    isfinite = math.isfinite
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict or kind is not list and kind is not tuple and isinstance(item, dict):
            items = item.values()
        elif kind is list or kind is tuple or isinstance(item, (list, tuple)):
            items = item
        else:
            if isinstance(item, float) and not isfinite(item):
                return False
            continue
        for child in items:
            kind = type(child)
            if kind is float:
                if not isfinite(child):
                    return False
            elif kind not in _SCALARS:
                stack.append(child)
    return True
