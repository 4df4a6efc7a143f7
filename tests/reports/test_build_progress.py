"""`report build` and `report export` say what they are doing on long work: a bar while new bundles are checked
(the first build of 100,000 takes minutes) and while many run pages are written; nothing when there is nothing."""

from __future__ import annotations

import subprocess
import sys

from .test_result_index import results, seed  # noqa: F401 - its fixtures: 6 real bundles
from tinybench.reports import site
from tinybench.reports.results_store import frame_from_index
from tinybench.reports.site import build_site


class Recorder:
    """A Progress that keeps what it was told: [description, total, advanced, finished] per task."""

    def __init__(self) -> None:
        self.tasks: list[list] = []
        self.notes: list[str] = []

    def task(self, description: str, total: float | None = None):  # noqa: ANN201
        record = [description, total, 0, False]
        self.tasks.append(record)
        recorder = self

        class Task:
            def advance(self, amount: float = 1.0) -> None:
                assert not record[3], "advanced after finish"
                record[2] += amount

            def describe(self, text: str) -> None:
                record[0] = text

            def finish(self) -> None:
                record[3] = True

        assert recorder is self
        return Task()

    def note(self, text: str) -> None:
        self.notes.append(text)


def test_a_build_shows_the_bundles_it_checks_and_nothing_when_nothing_is_new(results, tmp_path, monkeypatch):
    monkeypatch.setattr(site, "PAGES_SHOWN", 3)
    first = Recorder()
    build_site([results], tmp_path / "site", progress=first)
    checking = [t for t in first.tasks if t[0].startswith("checking")]
    assert checking == [[f"checking 6 new or changed bundles in {results.resolve()}", 6, 6, True]]
    writing = [t for t in first.tasks if t[0].startswith("writing")]
    assert len(writing) == 1 and writing[0][0].startswith("writing 6 run pages") and writing[0][3]
    again = Recorder()
    build_site([results], tmp_path / "site", progress=again)
    assert again.tasks == [], "a build with nothing to do showed progress"


def test_an_export_shows_the_bundles_it_checks(results):
    recorder = Recorder()
    frame_from_index([results], recorder)
    assert [t[1:] for t in recorder.tasks] == [[6, 6, True]]
    recorder = Recorder()
    frame_from_index([results], recorder)
    assert recorder.tasks == []


def test_the_cli_prints_no_progress_when_stderr_is_not_a_terminal(results, tmp_path):
    done = subprocess.run([sys.executable, "-m", "tinybench", "report", "build", "--results", str(results),
                           "--out", str(tmp_path / "site")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "checking" not in done.stderr and "\x1b" not in done.stderr, done.stderr
    assert "6 bundles checked" in done.stdout
