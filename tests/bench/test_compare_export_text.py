"""`tinybench compare` also reads `report export` files (CSV, JSON, Parquet) — untrusted like bundles. Their text
columns (run id, workload, system) are refused when they hold what untrusted JSON strings may not: a control
character (C0 but tab, newline, CR; C1) or a bidirectional formatting character. Before, a system called
"Evil\\u202eDER" in someone's export reached the terminal as it was (reordering the comparison's line), and an escape
sequence reached a real terminal too."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from tinybench.reports.safe_text import for_terminal


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    subprocess.run([sys.executable, "-m", "tinybench", "run", "-w", "kws01", "--quick", "--out", str(folder / "results")],
                   check=True, capture_output=True, timeout=600)
    subprocess.run([sys.executable, "-m", "tinybench", "report", "export", "--results", str(folder / "results"),
                    "--to", str(folder / "a.csv")], check=True, capture_output=True, timeout=600)
    return folder / "a.csv"


@pytest.mark.parametrize(("suffix", "name"), [("csv", "Evil\u202eDER"), ("json", "Evil\u009b2J"),
                                              ("parquet", "Evil\u2067x"), ("csv", "Evil\x1b[2J")])
def test_an_export_with_a_hostile_system_name_is_skipped_with_the_reason(export, tmp_path, suffix, name):
    frame = pd.read_csv(export)
    frame["system"] = name
    frame["run_id"] = frame["run_id"] + "b"
    other = tmp_path / f"b.{suffix}"
    {"csv": lambda: frame.to_csv(other, index=False), "json": lambda: frame.to_json(other, orient="records"),
     "parquet": lambda: frame.to_parquet(other)}[suffix]()
    done = subprocess.run([sys.executable, "-m", "tinybench", "compare", str(export), str(other)],
                          capture_output=True, text=True, timeout=600)
    assert "Traceback" not in done.stderr, done.stderr
    assert name not in done.stdout + done.stderr, done.stdout
    assert done.returncode != 0 and "column 'system'" in done.stderr and for_terminal(name) not in done.stdout
