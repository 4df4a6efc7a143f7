"""`tinybench submit check`: is a submission acceptable? Stricter than MLPerf Tiny's checker.

Everything is read from a private copy made by :mod:`safe_archive` (nothing is executed,
no link followed, metadata bounded before it is parsed) and every JSON by :mod:`safe_json`.
Checked here: the manifest (every file listed with the right SHA-256, nothing unlisted), the
layout, the system description; each mode folder by :mod:`submission_records` (schema, one
mode per record, every figure recomputed from raw data, rules re-derived, division claims
verified by the model file's hash or marked declared). Accepted means no problem at all; any
input, however malformed, ends in a verdict that names the entry.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tinybench.reports.safe_archive import Limits, SafeTree
from tinybench.reports.safe_json import Refusal, load_untrusted
from tinybench.reports.safe_text import for_terminal
from tinybench.reports.submission_layout import MANIFEST, MODEL_FILE, WORKLOAD_OF, allowed_modes, schema_problem


@dataclass
class Problem:
    path: str
    rule: str
    message: str


@dataclass
class CheckReport:
    source: str
    problems: list[Problem] = field(default_factory=list)
    organization: str | None = None
    division: str | None = None
    system: str | None = None
    revision: int | None = None
    created_utc: str | None = None
    system_description: dict | None = None
    results: list[dict] = field(default_factory=list)  # one checked record per (workload, mode), for publishing
    checked: list[str] = field(default_factory=list)  # "<model>/<mode>" folders looked at
    notes: list[str] = field(default_factory=list)  # facts worth knowing that are not problems

    @property
    def accepted(self) -> bool:
        return not self.problems and bool(self.checked)

    def add(self, path: str, rule: str, message: str) -> None:
        self.problems.append(Problem(path, rule, message))

    def to_json(self) -> dict:
        return {"source": self.source, "accepted": self.accepted, "organization": self.organization,
                "division": self.division, "system": self.system, "revision": self.revision,
                "checked": self.checked, "notes": self.notes, "problems": [asdict(p) for p in self.problems]}

    def to_text(self) -> str:
        """The verdict for a terminal: every name from the submission is shown with control characters escaped."""
        head = f"{self.source}: {'ACCEPTED' if self.accepted else 'REJECTED'}"
        if self.organization:
            head += f" — {self.division}/{self.organization}/{self.system} revision {self.revision}"
        lines = [head, f"  checked: {', '.join(self.checked) or 'nothing'}"]
        lines += [f"  note: {n}" for n in self.notes]
        lines += [f"  ✗ [{p.rule}] {p.path}: {p.message}" for p in self.problems]
        return "\n".join(for_terminal(line) for line in lines)


def check_submission(path: Path, limits: Limits | None = None) -> CheckReport:
    """Check an archive or folder; never raises for anything the submission holds."""
    report = CheckReport(str(path))
    try:
        with SafeTree(Path(path), limits) as tree:
            _check_tree(tree.root, tree.files, report)
    except Refusal as exc:
        report.add(str(path), "archive", str(exc))
    except RecursionError as exc:
        report.add(str(path), "archive", f"too deeply nested to check ({exc})")
    except Exception as exc:  # noqa: BLE001 - a verdict, never a traceback, whatever the input holds
        report.add(str(path), "internal", f"the checker could not finish on this input ({type(exc).__name__}: "
                                          f"{str(exc)[:300]}); please report it to the tinybench maintainers")
    if not report.checked and not report.problems:
        report.add(str(path), "layout", "no results in the submission")
    return report


def _json(root: Path, name: str, schema_name: str, report: CheckReport) -> dict | None:
    try:
        data = load_untrusted(root / name, name)
    except Refusal as exc:
        report.add(name, "json", str(exc))
        return None
    if (problem := schema_problem(schema_name, data)) is not None:
        report.add(name, "schema", problem)
        return None
    return data


def _sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _check_tree(root: Path, files: list[str], report: CheckReport) -> None:
    from tinybench.reports.submission_records import check_records

    if MANIFEST not in files:
        report.add(MANIFEST, "manifest", "missing: a submission starts with submission.json")
        return
    manifest = _json(root, MANIFEST, "submission", report)
    if manifest is None:
        return
    report.organization, report.division = manifest["organization"], manifest["division"]
    report.system, report.revision = manifest["system"], manifest["revision"]
    report.created_utc = manifest["created_utc"]
    listed = manifest["files"]
    present = set(files) - {MANIFEST}
    for name in sorted(present - set(listed)):
        report.add(name, "manifest", "file not listed in submission.json")
    for name in sorted(set(listed) - present):
        report.add(name, "manifest", "listed in submission.json but missing")
    for name in sorted(present & set(listed)):
        if _sha256(root / name) != (listed[name]["sha256"], listed[name]["bytes"]):
            report.add(name, "manifest", "SHA-256 or size differs from submission.json (the file was altered)")
    prefix = f"{manifest['division']}/{manifest['organization']}/"
    system_file = f"{prefix}systems/{manifest['system']}.json"
    results = f"{prefix}results/{manifest['system']}/"
    folders: dict[tuple[str, str], set[str]] = {}
    model_files: set[str] = set()
    for name in sorted(present - {system_file}):
        rest = name[len(results):].split("/") if name.startswith(results) else []
        if len(rest) == 2 and rest[0] in WORKLOAD_OF and rest[1] == MODEL_FILE:
            model_files.add(rest[0])
        elif len(rest) == 3 and rest[0] in WORKLOAD_OF and rest[1] in allowed_modes(rest[0]):
            folders.setdefault((rest[0], rest[1]), set()).add(rest[2])
        elif len(rest) == 3 and rest[0] in WORKLOAD_OF:
            report.add(name, "layout", f"a {rest[0]} result has no '{rest[1][:40]}' folder (expected one of "
                                       f"{', '.join(allowed_modes(rest[0]))})")
        else:
            report.add(name, "layout", f"not where a file may be (expected {results}<kws|vww|ic|ic2|ad|sww>/<mode>/"
                                       f"<file> or {results}<model>/{MODEL_FILE})")
    if system_file not in present:
        report.add(system_file, "layout", "missing system description")
    else:
        report.system_description = _json(root, system_file, "system", report)
    check_records(root, results, folders, model_files, manifest, report)
