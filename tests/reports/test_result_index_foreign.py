"""An index tinybench did not make for this folder is not used: one copied along with someone else's results folder
(its verdicts were never reached here) is started over, and one holding triggers or views (SQL that could run for
ever) is rebuilt — by `report build` and `report export` alike, with a note, never a hang."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys

import pytest

from .test_result_index import results, seed, sync  # noqa: F401 - its fixtures: 6 real bundles
from .test_review7_hostile_index import SHAPES, hostile
from tinybench.reports.result_index import INDEX_NAME
from tinybench.reports.results_store import frame_from_index


def forge_latency(root, value):
    """Every performance row of the index says `value` ms (what a forger would ship with a folder)."""
    conn = sqlite3.connect(root / INDEX_NAME)
    conn.execute('UPDATE results SET "latency_ms" = ? WHERE mode = ?', (value, "performance"))
    conn.commit()
    conn.close()


def test_an_index_copied_with_a_folder_is_started_over_and_its_forged_figures_never_shown(results, tmp_path):
    honest = frame_from_index([results]).frame
    forge_latency(results, 0.001)
    copied = tmp_path / "received"
    shutil.copytree(results, copied, symlinks=True)  # as `cp -a` or an archive: the index comes along
    report, entries = sync(copied)
    assert report.checked == len(entries) == 6
    assert any("made for another folder" in note for note in report.notes), report.notes
    shown = frame_from_index([copied]).frame
    assert (shown["latency_ms"].dropna() > 0.001).all()
    assert shown["latency_ms"].equals(honest["latency_ms"])


def test_the_same_folder_keeps_its_index(results):
    sync(results)
    report, entries = sync(results)
    assert report.checked == 0 and len(entries) == 6 and report.notes == []


OPEN = """
import sys
from pathlib import Path
from tinybench.reports.result_index import ResultIndex
index = ResultIndex(Path(sys.argv[1]))
report = index.sync()
print(report.checked, "|".join(report.notes))
"""


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_build_rebuilds_an_index_with_triggers_or_views_instead_of_hanging(results, shape):
    hostile(results, shape)
    done = subprocess.run([sys.executable, "-c", OPEN, str(results)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    checked, notes = done.stdout.strip().split(" ", 1)
    assert checked == "6" and "triggers or views" in notes and "rebuilt" in notes
    conn = sqlite3.connect(results / INDEX_NAME)
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE type IN ('trigger', 'view')").fetchone() == (0,)
    conn.close()
