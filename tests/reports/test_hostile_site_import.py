"""Crafted bundles and submissions for `report build`, crafted published results for `import`:
each refused or published correctly with a reason, the build going on, no traceback, under
300 MB, nothing written outside --out (checked by `run_isolated`)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.needs_reference

SCRIPT = '<script>window.__pwned=1</script>'


def cli(*args: str) -> str:
    return f"""
        import sys
        sys.argv = ["tinybench", *{list(args)!r}]
        from tinybench.cli import main
        main()
    """


def bundle_copy(source: Path, results: Path, name: str, change=None) -> Path:  # noqa: ANN001
    folder = results / name
    shutil.copytree(source, folder)
    data = json.loads((folder / "result.json").read_text())
    data["run_id"] = name
    if change is not None:
        change(data)
    (folder / "result.json").write_text(json.dumps(data, allow_nan=True))
    return folder


def test_bad_bundles_are_listed_and_the_build_goes_on(closed_submission, run_isolated, tmp_path, escape_name):
    source = next(p for p in sorted((closed_submission.archive.parent / "results").iterdir())
                  if not p.name.startswith("."))  # a bundle, not the results index a build leaves beside them
    results = tmp_path / "results"
    bundle_copy(source, results, "good")
    bundle_copy(source, results, "markup", lambda d: (d["target"]["system"].update(name=f"evil {SCRIPT}"),
                                                      d["target"]["options"].update(note=SCRIPT)))
    bundle_copy(source, results, "traversal", lambda d: d["workload"].update(id=f"../../{escape_name}"))
    bundle_copy(source, results, "absolute", lambda d: d.update(run_id=f"/tmp/{escape_name}"))
    bundle_copy(source, results, "mistyped", lambda d: d["modes"]["performance"]["metrics"]["latency_median"]
                .update(value="fast"))
    bundle_copy(source, results, "forged", lambda d: d["modes"]["performance"]["metrics"]["latency_median"]
                .update(value=d["modes"]["performance"]["metrics"]["latency_median"]["value"] / 2))
    bundle_copy(source, results, "duplicate-id", lambda d: d.update(run_id="good"))
    huge = bundle_copy(source, results, "infinite")
    (huge / "result.json").write_text((huge / "result.json").read_text().replace('"bytes": 53936', '"bytes": 1e400', 1))
    fifo = results / "fifo"
    fifo.mkdir()
    os.mkfifo(fifo / "result.json")  # reading it would block forever
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copy(closed_submission.archive, submissions / "acme.tar.gz")
    (submissions / "broken.tar.gz").write_bytes(b"\x1f\x8b not really gzip")
    (submissions / "evil.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    out = tmp_path / "site"
    index = [results / ".tinybench-index"]  # the results index
    result = run_isolated(cli("report", "build", "--results", str(results), "--submissions", str(submissions),
                              "--out", str(out)), writable=(out, *index))
    assert result.returncode == 0, result.stderr
    index = (out / "index.html").read_text()
    for reason in ("workload/id", "run_id", "latency_median/value: 'fast' is not of type 'number'",
                   "does not match its raw data", "is already used by", "is not finite", "not a regular file"):
        assert reason in index or reason.replace("'", "&#39;") in index, reason
    assert (out / "runs" / "good.html").exists() and (out / "runs" / "markup.html").exists()
    assert not list(out.rglob(f"*{escape_name}*"))
    board = (out / "leaderboard" / "kws01.html").read_text()
    assert "Acme: " in board and "evil &lt;script&gt;" in board and SCRIPT not in board
    for page in out.rglob("*.html"):
        assert page.read_text().count("<script") == page.read_text().count("<script src=") + \
            page.read_text().count('<script type="application/json"'), page
    assert "submission broken.tar.gz: rejected" in result.stderr and "rejected: " in result.stderr


def test_run_ids_that_would_collide_after_truncation_stay_apart(closed_submission, tmp_path):
    from tinybench.reports.site import build_site
    from tinybench.reports.submissions_feed import read_submissions

    from .conftest import repack

    submissions = tmp_path / "subs"
    submissions.mkdir()
    long_org = "O" * 64
    for suffix in ("a", "b"):
        def rename(root, suffix=suffix):
            manifest = json.loads((root / "submission.json").read_text())
            old_org, old_system = manifest["organization"], manifest["system"]
            system = "S" * 126 + suffix
            manifest.update(organization=long_org, system=system)
            (root / "submission.json").write_text(json.dumps(manifest))
            base = root / manifest["division"]
            (base / old_org).rename(base / long_org)
            (base / long_org / "results" / old_system).rename(base / long_org / "results" / system)
            (base / long_org / "systems" / f"{old_system}.json").rename(base / long_org / "systems" / f"{system}.json")
        repack(closed_submission.archive, submissions / f"{suffix}.tar.gz", rename)
    feed = read_submissions(submissions)
    assert [h["status"] for h in feed.history] == ["published", "published"], feed.history
    ids = [r["run_id"] for r in feed.results]
    assert len(ids) == len(set(ids)) == 6 and all(len(i) <= 150 for i in ids)
    site = build_site([], tmp_path / "site", extra_results=feed.results, history=feed.history)
    assert len(list((site.out / "runs").glob("*.html"))) == 6 and not site.skipped


# -- import of published MLPerf Tiny results ------------------------------------------------------------------

def published_repository(root: Path) -> Path:
    base = root / "repo" / "closed" / "Org"
    systems = base / "systems"
    systems.mkdir(parents=True)
    (systems / "A.json").write_text('{"Board Name": "Board A", "Status": "available", "Status": "available"}')
    (systems / "B.json").write_text('{"Board Name": "Board B", "Status": "available", "Status": "preview"}')
    (systems / "C1.json").write_text('{"Board Name": "Twin", "Processor(s) Name": "M4"}')
    (systems / "C2.json").write_text('{"Board Name": "Twin", "Processor(s) Name": "M7"}')
    texts = {
        ("A", "performance"): "0808.1 ulp-mlperf: Median throughput is      0.000 inf./sec.\n",
        ("A", "energy"): "0810.1 ulp-mlperf: Median throughput is     12.500 inf./sec.\n"
                         "0810.2 ulp-mlperf: Median energy cost is 1430.6681 uJ/inf.\n",
        ("A", "accuracy"): "0809.1 ulp-mlperf: Top 1% = 91.3\n0809.2 ulp-mlperf: AUC = 0.990\n",
        ("B", "performance"): "0808.1 ulp-mlperf: Median throughput is     20.000 inf./sec.\n",
        ("C1", "performance"): "0808.1 ulp-mlperf: Median throughput is     21.000 inf./sec.\n",
        ("C2", "performance"): "0808.1 ulp-mlperf: Median throughput is     42.000 inf./sec.\n",
    }
    for (system, mode), text in texts.items():
        folder = base / "results" / system / "kws" / mode
        folder.mkdir(parents=True)
        (folder / "results.txt").write_text(text)
    (base / "results" / "C1" / "kws" / "performance" / "log.txt").write_text(
        "2024-08-08 23:24:15,123 INFO runner started\nm-model-[kws01]\n")
    return root / "repo"


def test_import_keeps_going_invents_nothing_and_drops_nothing(run_isolated, tmp_path):
    repo = published_repository(tmp_path)
    out = tmp_path / "imported"
    first = run_isolated(cli("import", "mlperf-tiny", str(repo), "--out", str(out)), writable=(out,))
    assert first.returncode == 0, first.stderr
    assert "imported 5 results" in first.stdout
    assert "'Status' appears twice with the same value" in first.stderr
    assert "B.json" in first.stderr and "duplicate key 'Status' with different values" in first.stderr
    from tinybench.reports.results_store import load_bundles

    bundles = {b["run_id"]: b for b in load_bundles([out]).bundles}
    zero = next(b for k, b in bundles.items() if k.endswith("-A-kws01-performance"))["modes"]["performance"]
    assert zero["status"] == "not_measured" and "0.0 inf./sec.: no latency can be derived" in zero["reason"]
    energy = next(b for k, b in bundles.items() if k.endswith("-A-kws01-energy"))["modes"]["energy"]
    assert energy["instrument"]["sample_rate_hz"] is None  # not stated by the source: not invented
    assert energy["metrics"]["throughput_median"]["value"] == 12.5  # the energy run's throughput is kept
    accuracy = next(b for k, b in bundles.items() if k.endswith("-A-kws01-accuracy"))["modes"]["accuracy"]
    assert set(accuracy["metrics"]) == {"top1", "auc"}  # every accuracy figure the runner printed
    twins = sorted(b["target"]["system"]["name"] for b in bundles.values() if "Twin" in b["target"]["system"]["name"])
    assert twins == ["Org: Twin (C1)", "Org: Twin (C2)"]
    dated = next(b for k, b in bundles.items() if "-C1-" in k)
    assert dated["created_utc"] == "2024-08-08T23:24:15Z"
    assert {b["created_utc"] for k, b in bundles.items() if "-C1-" not in k} == {"unknown"}
    again = run_isolated(cli("import", "mlperf-tiny", str(repo), "--out", str(out)), writable=(out,))
    assert again.returncode == 0 and "imported 0 results" in again.stdout and "already imported" in again.stderr
    site = tmp_path / "site"
    index = [out / ".tinybench-index"]  # the results index
    built = run_isolated(cli("report", "build", "--results", str(out), "--out", str(site)), writable=(site, *index))
    assert built.returncode == 0 and "rejected" not in built.stderr, built.stderr
    board = (site / "leaderboard" / "kws01.html").read_text()
    assert ">Org: Twin (C1)</a>" in board and ">Org: Twin (C2)</a>" in board
    energy_page = next((site / "runs").glob("*-A-kws01-energy.html")).read_text()
    assert "sample rate not stated" in energy_page and "samples/s" not in energy_page


def test_an_imported_figure_edited_after_import_is_rejected_by_the_site(tmp_path):
    from tinybench.reports.mlperf_import import import_results
    from tinybench.reports.site import build_site

    import_results(published_repository(tmp_path), tmp_path / "imported")
    path = next((tmp_path / "imported").glob("*-C2-*/result.json"))
    data = json.loads(path.read_text())
    data["modes"]["performance"]["metrics"]["throughput_median"]["value"] = 4200.0
    path.write_text(json.dumps(data))
    built = build_site([tmp_path / "imported"], tmp_path / "site")
    assert any("is not what its results.txt says (42.0)" in s for s in built.skipped)


def test_a_mode_the_site_cannot_recompute_is_shown_with_a_note(tmp_path):
    """A mode this version cannot recompute: no crash, no invented validity, a note on the run page."""
    from tinybench.reports.recompute import recompute

    block = {"status": "measured", "reason": None, "metrics": {"f1": {"value": 0.9, "unit": "fraction"}},
             "checks": [{"rule": "x", "passed": True, "detail": "declared"}], "valid_for_submission": True,
             "files": {}}
    outcome = recompute(tmp_path, "bundle", "future", {"modes": {"future": block}}, set())
    assert outcome.problems == [] and outcome.block["valid_for_submission"] is False
    assert "does not yet recompute future results" in outcome.notes[0]


def test_a_stream_result_without_its_raw_files_is_refused(tmp_path):
    """sww01's stream mode is recomputed from its raw files: without them it is a problem, never valid."""
    from tinybench.reports.recompute import recompute

    block = {"status": "measured", "reason": None, "metrics": {"f1": {"value": 0.9, "unit": "fraction"}},
             "checks": [{"rule": "x", "passed": True, "detail": "declared"}], "valid_for_submission": True,
             "files": {}, "streams": []}
    outcome = recompute(tmp_path, "bundle", "stream", {"modes": {"stream": block}}, set())
    assert outcome.block["valid_for_submission"] is False
    assert any("stream_detections.csv: missing" in message for _, _, message in outcome.problems)
