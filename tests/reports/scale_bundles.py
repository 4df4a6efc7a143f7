"""Many result bundles from one real run: copies with other run ids, systems, workloads and dates.

The raw files are the real run's, so every copy passes the site's checks (its figures are
recomputed from them); only identity fields differ.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

WORKLOADS = ("kws01", "vww01", "ic01")


def real_bundle(out: Path) -> Path:
    subprocess.run([sys.executable, "-m", "tinybench", "run", "-w", "kws01", "--quick", "--out", str(out)],
                   check=True, capture_output=True, timeout=600)
    return next(p.parent for p in out.glob("*/result.json"))


def copy_bundle(seed: Path, results: Path, number: int, systems: int = 3, workloads: int = 2) -> Path:
    """Copy number `number`: system `number % systems`, workload by `number // systems`; returns its folder."""
    result = json.loads((seed / "result.json").read_text())
    clone = copy.deepcopy(result)
    workload = WORKLOADS[(number // systems) % workloads]
    clone["run_id"] = f"20260102T000000Z-copy-{workload}-{number:05d}"
    clone["created_utc"] = f"2026-01-02T{number // 3600 % 24:02d}:{number // 60 % 60:02d}:{number % 60:02d}Z"
    clone["workload"]["id"] = workload
    clone["target"]["system"]["name"] = f"Board {number % systems}"
    clone["target"]["options"] = {"board": number % systems}
    folder = results / clone["run_id"]
    shutil.copytree(seed, folder)
    (folder / "result.json").write_text(json.dumps(clone))
    return folder


def build_with_one_odd(seed: Path, tmp_path: Path, edit) -> tuple[subprocess.CompletedProcess, str, str]:  # noqa: ANN001
    """`report build` of two copies of `seed`, the second changed by `edit(folder)`: the finished process, the one
    line of stderr that rejects the odd copy (asserted: exit 0, no traceback, one result built) and the pages' text."""
    results = tmp_path / "results"
    copy_bundle(seed, results, 0)
    odd = copy_bundle(seed, results, 1)
    edit(odd)
    proc = subprocess.run([sys.executable, "-m", "tinybench", "report", "build", "--results", str(results),
                           "--out", str(tmp_path / "site")], capture_output=True, text=True, timeout=600,
                          env=dict(os.environ))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "1 results" in proc.stdout, proc.stdout
    rejected = [line for line in proc.stderr.splitlines() if line.startswith("rejected:")]
    assert len(rejected) == 1 and odd.name in rejected[0], proc.stderr
    return proc, rejected[0], "".join(p.read_text() for p in (tmp_path / "site").rglob("*.html"))


def site_files(root: Path) -> dict[str, bytes]:
    """Every published file of a site (hidden state and lock files excluded), by relative path."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)}
