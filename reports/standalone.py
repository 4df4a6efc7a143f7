"""The per-run standalone report: `report.html` inside a bundle, with CSS and JS inlined."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from tinybench.bundle import RESULT_FILE, atomic_write_bytes
from tinybench.reports.site import render_run


def write_reports(bundles: Iterable[Path | None]) -> list[Path]:
    written = []
    for bundle in bundles:
        if bundle is None:
            continue
        result = json.loads((Path(bundle) / RESULT_FILE).read_text(encoding="utf-8"))
        path = Path(bundle) / "report.html"
        atomic_write_bytes(path, render_run(result, standalone=True).encode("utf-8"))
        written.append(path)
    return written
