"""sww01 on the site, in a real headless Chromium: the leaderboard, the run page's stream timeline,
figures recomputed from the raw detections + truth, tampering refused, hostile names escaped.

Bundles come from a real run: the official 10-s stream through the host target with the
reference model (2 TP at 1.0 and 4.0 s, 1 FN at 7.0 s, 0 FP), plus published sww results
imported from a fixture built on the fly in the tiny_results_v1.3 layout.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tinybench.reports.local_bundles import verify_bundle
from tinybench.reports.mlperf_import import import_results
from tinybench.reports.results_store import load_bundles
from tinybench.reports.site import build_site
from tinybench.reports.sww_truth import FILE, truth_csv

from .sww_fixtures import build_published

EVIL = '<img src=x onerror="window.__pwned = 1"><svg onload="window.__pwned = 2">'


def _copy(source: Path, name: str, edit) -> Path:  # noqa: ANN001
    target = source.parent / name
    shutil.copytree(source, target)
    data = json.loads((target / "result.json").read_text())
    data["run_id"] = name
    edit(data, target)
    (target / "result.json").write_text(json.dumps(data))
    return target


@pytest.fixture(scope="module")
def sww(tmp_path_factory, reference_dir):
    root = tmp_path_factory.mktemp("sww-site")
    results = root / "results"
    subprocess.run([sys.executable, "-m", "tinybench", "run", "-w", "sww01", "-m", "stream", "--model", "reference",
                    "--data", str(reference_dir / "sww" / "sww_short_test.json"), "--out", str(results)],
                   check=True, capture_output=True, timeout=600, env=dict(os.environ, COLUMNS="200"))
    scored = next(results.iterdir())
    # the run writes the windows it scored against; they are the truth file's, as `submit pack` derives them
    assert (scored / FILE).read_text() == truth_csv(json.loads((scored / "result.json").read_text()))

    def evil(data, folder):  # noqa: ANN001, ANN202 - hostile names, no truth file
        data["target"]["system"]["name"] = EVIL
        data["modes"]["stream"]["streams"][0]["wav_file"] = EVIL
        (folder / FILE).unlink()

    def tampered(data, folder):  # noqa: ANN001, ANN202 - the detections on the first wake word removed
        path = folder / "stream_detections.csv"
        rows = list(csv.reader(path.open()))
        kept = [rows[0]] + [r for r in rows[1:] if r[-1] != "tp:0"]
        for i, row in enumerate(kept[1:]):
            row[1] = str(i)
        with path.open("w", newline="") as fh:
            csv.writer(fh).writerows(kept)

    _copy(scored, "20991231T000000Z-evil-sww01-000000", evil)
    _copy(scored, "20991231T000000Z-tampered-sww01-000000", tampered)
    imported = root / "imported"
    import_results(build_published(root), imported)
    built = build_site([results, imported], root / "site")
    return built, scored.name


def test_stream_figures_are_recomputed_from_raw_detections_and_truth(sww):
    built, run_id = sww
    bundles = {r["run_id"]: r for r in load_bundles([built.out.parent / "results"]).bundles}
    verified = verify_bundle(bundles[run_id])
    block = verified.result["modes"]["stream"]
    assert verified.problems == []
    checks = {c["rule"]: c["passed"] for c in block["checks"]}
    assert checks["recomputed"] and checks["quality_target"] and not checks["official_stream"]
    assert [block["metrics"][k]["value"] for k in ("true_positives", "false_negatives", "false_positives")] == [2, 1, 0]
    assert block["_truth_windows_s"][0][2] == [7.0, 7.358625]
    assert any("tampered" in s and "detections" in s for s in built.skipped)  # the site refuses it, with the reason
    evil = verify_bundle(bundles["20991231T000000Z-evil-sww01-000000"])  # no truth: shown, said so, never valid
    assert evil.result is not None and not evil.result["valid_for_submission"]
    assert any("cannot be recomputed" in n for n in evil.notes)


def test_an_edited_figure_is_refused(sww, tmp_path):
    built, run_id = sww
    source = built.out.parent / "results" / run_id
    copy = tmp_path / run_id
    shutil.copytree(source, copy)
    data = json.loads((copy / "result.json").read_text())
    data["modes"]["stream"]["metrics"]["false_negatives"]["value"] = 0
    data["modes"]["stream"]["metrics"]["throughput"]["value"] *= 2
    (copy / "result.json").write_text(json.dumps(data))
    problems = verify_bundle(load_bundles([copy]).bundles[0]).problems
    assert any("false negatives 0 does not match its raw data (1)" in p for p in problems)
    assert any("throughput" in p for p in problems)


def test_sww_leaderboard_and_timeline_in_chromium(sww, page):
    built, run_id = sww
    board = built.out / "leaderboard" / "sww01.html"
    page.goto(board.as_uri())
    rows = page.eval_on_selector_all("#board tbody tr", "rows => rows.map(r => Object.fromEntries("
                                     "[...r.querySelectorAll('td[data-key]')].map(c => [c.dataset.key, c.innerText])))")
    host = [r for r in rows if r["tp"] == "2"]
    assert host and (host[0]["fn"], host[0]["fp"]) == ("1", "0") and host[0]["power"] == "not measured"
    syntiant = [r for r in rows if r["tp"] == "46"]
    assert syntiant and syntiant[0]["power"] == "0.50670" and syntiant[0]["throughput"] == "1,430.8"
    assert syntiant[0]["duty"] == "0.021792" and syntiant[0]["period"] == "32.072"
    st = [r for r in rows if r["duty"] == "0.56085"]  # ST's energy run (the one with power) represents the system
    assert st and st[0]["power"] == "25.622" and st[0]["throughput"] == "55.742"
    page.goto((built.out / "runs" / f"{run_id}.html").as_uri())
    svg = page.locator("svg.timeline")
    assert svg.count() == 1
    assert page.locator("svg.timeline rect.truth").count() == 3  # the three wake words
    assert page.locator("svg.timeline path.missed").count() == 1  # 7.0 s: missed
    assert page.locator("svg.timeline line.det.tp").count() >= 2 and page.locator("svg.timeline line.det.fp").count() == 0
    page.goto((built.out / "runs" / "mlperf-STMicroelectronics-NUCLEO_L4R5ZI-P-sww01-performance.html").as_uri())
    assert page.locator("svg.timeline rect.truth").count() >= 40 and page.locator("svg.timeline path.missed").count() == 6
    assert page.locator("svg.timeline line.det").count() < 3000  # bounded: one mark per pixel column and kind
    for path in sorted(built.out.rglob("*.html")):
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        injected = page.evaluate("[window.__pwned, document.querySelectorAll('img[src=x], svg[onload]').length]")
        assert injected == [None, 0], path
    assert page.problems == []
