"""The built site in a real headless Chromium: loads cleanly, sorts, filters, compares, escapes."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tinybench.reports.formatting import number, slug
from tinybench.reports.results_store import system_id
from tinybench.reports.site import build_site

EVIL = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Quick real runs (two systems: 1 and 2 threads) plus a bundle with a malicious system name."""
    import os
    import sys

    root = tmp_path_factory.mktemp("site")
    results = root / "results"
    env = dict(os.environ, COLUMNS="200")
    for threads in ("1", "2"):
        subprocess.run([sys.executable, "-m", "tinybench", "run", "-w", "kws01,ad01", "--quick", "--threads", threads,
                        "--out", str(results)], check=True, capture_output=True, env=env, timeout=600)
    # an accuracy run too (a trained model; the confusion matrix and per-class table get rendered)
    from tinybench.workloads import get_workload
    import numpy as np

    data = root / "data"
    data.mkdir()
    w, rng = get_workload("kws01"), np.random.default_rng(3)
    rows = []
    for i in range(12):
        (data / f"s{i}.bin").write_bytes(w.synthetic_raw(rng).tobytes())
        rows.append(f"s{i}.bin,12,{i % 12}")
    (data / "y_labels.csv").write_text("\n".join(rows) + "\n")
    trained = root / "trained.tflite"  # the built-in model file, declared as a user's (trained) model
    shutil.copy(Path(__file__).resolve().parents[2] / "workloads" / "builtin" / "kws01.tflite", trained)
    subprocess.run([sys.executable, "-m", "tinybench", "run", "-w", "kws01", "--model", str(trained), "-m", "accuracy",
                    "--data", str(data), "--out", str(results / "acc")], check=True, capture_output=True, env=env,
                   timeout=600)
    source = sorted(p for p in results.iterdir() if "kws01" in p.name)[0]
    evil = results / "20991231T000000Z-evil-kws01-000000"
    shutil.copytree(source, evil)
    data = json.loads((evil / "result.json").read_text())
    data["run_id"] = evil.name
    data["target"]["system"]["name"] = EVIL
    (evil / "result.json").write_text(json.dumps(data))
    built = build_site([results], root / "site")
    bundles = {json.loads(p.read_text())["run_id"]: json.loads(p.read_text()) for p in results.glob("*/result.json")}
    return built.out, bundles


# `page` (a Chromium page recording errors and any request leaving file://) comes from conftest.py


def all_pages(site_dir: Path) -> list[Path]:
    return sorted(site_dir.rglob("*.html"))


def test_every_page_loads_without_errors_or_outside_requests(site, page):
    site_dir, _ = site
    pages = all_pages(site_dir)
    assert len(pages) >= 10
    for path in pages:
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
    assert page.problems == []


def test_sorting_a_column_reorders_rows(site, page):
    site_dir, _ = site
    page.goto((site_dir / "leaderboard" / "kws01.html").as_uri())

    def latencies():
        return page.eval_on_selector_all("#board tbody tr td[data-key=latency]",
                                         "cells => cells.map(c => c.dataset.value)")

    header = page.locator("#board th[data-key=latency]")
    header.click()
    ascending = latencies()
    values = [float(v) for v in ascending if v]
    assert values == sorted(values) and len(values) == 3
    assert header.get_attribute("aria-sort") == "ascending"
    header.click()
    descending = [float(v) for v in latencies() if v]
    assert descending == sorted(values, reverse=True)
    page.locator("#board th", has_text="System").click()
    names = page.eval_on_selector_all("#board tbody tr td:nth-child(2)", "cells => cells.map(c => c.dataset.value)")
    assert [n.lower() for n in names] == sorted(n.lower() for n in names)
    assert page.problems == []


def test_numbers_shown_equal_the_bundles(site, page):
    site_dir, bundles = site
    page.goto((site_dir / "leaderboard" / "kws01.html").as_uri())
    cells = page.eval_on_selector_all(
        "#board tbody tr td[data-key]", "cells => cells.map(c => [c.dataset.key, c.dataset.value, c.innerText])")
    by_value = {}
    for key, value, text in cells:
        if value:
            by_value.setdefault(key, {})[float(value)] = text
    kws = [b for b in bundles.values() if b["workload"]["id"] == "kws01"]
    for bundle in kws:
        latency = bundle["modes"]["performance"]["metrics"]["latency_median"]["value"]
        spinup = bundle["modes"]["spinup"]["metrics"]["spinup_cold_median"]["value"]
        assert by_value["latency"][latency] == number(latency)
        assert by_value["spinup"][spinup] == number(spinup)
    # the run page shows each window's exact figures
    bundle = kws[0]
    page.goto((site_dir / "runs" / f"{bundle['run_id']}.html").as_uri())
    shown = page.eval_on_selector_all("#performance table.windows td[data-value]", "c => c.map(x => +x.dataset.value)")
    expected = [v for w in bundle["modes"]["performance"]["windows"] for v in (w["elapsed_s"], w["throughput_inf_s"])]
    assert shown == pytest.approx(expected, rel=0, abs=0)
    page.goto((site_dir / "leaderboard" / "kws01.html").as_uri())
    energy = page.eval_on_selector_all("#board td[data-key=energy]", "c => c.map(x => [x.dataset.value, x.innerText])")
    assert all(value == "" and text == "not measured" for value, text in energy)  # never zero


def test_a_malicious_system_name_is_shown_as_text(site, page):
    site_dir, bundles = site
    evil = next(b for b in bundles.values() if b["target"]["system"]["name"] == EVIL)
    pages = [site_dir / "leaderboard" / "kws01.html", site_dir / "systems.html", site_dir / "compare.html",
             site_dir / "runs" / f"{evil['run_id']}.html", site_dir / "systems" / f"{slug(system_id(evil))}.html"]
    for path in pages:
        page.goto(path.as_uri())
        if path.name == "compare.html":
            page.locator("#compare-picker input").first.check()
            page.locator("#compare-picker input").nth(1).check()
            page.locator("#compare-picker input").nth(2).check()
        assert page.evaluate("window.__pwned") is None
        assert page.locator("img[src=x]").count() == 0
        assert EVIL in page.inner_text("body")
    assert page.problems == []


def test_filter_hides_rows(site, page):
    site_dir, _ = site
    page.goto((site_dir / "leaderboard" / "kws01.html").as_uri())
    page.fill("input[data-filter-for=board]", "2 threads")
    visible = page.eval_on_selector_all("#board tbody tr", "rows => rows.filter(r => !r.hidden).length")
    assert visible == 1
    page.fill("input[data-filter-for=board]", "")
    assert page.eval_on_selector_all("#board tbody tr", "rows => rows.filter(r => !r.hidden).length") == 3


def test_compare_two_systems_side_by_side(site, page):
    site_dir, bundles = site
    page.goto((site_dir / "leaderboard" / "kws01.html").as_uri())
    boxes = page.locator("#board tbody tr").filter(has_not_text="pwned").locator("input.pick")  # the two real systems
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.click("button[data-compare-for=board]")
    page.wait_for_selector("#comparison")
    headers = page.eval_on_selector_all("#comparison thead th", "h => h.map(x => x.textContent)")
    assert headers[:2] == ["workload", "figure"] and len(headers) == 4
    rows = page.eval_on_selector_all("#comparison tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))")
    latency_rows = [r for r in rows if r[1] == "latency (ms)"]
    assert {r[0] for r in latency_rows} == {"ad01", "kws01"}
    assert all(cell != "not measured" for r in latency_rows for cell in r[2:])
    assert page.problems == []


def test_standalone_run_report(site, page, tmp_path):
    import os
    import sys

    out = tmp_path / "r"
    subprocess.run([sys.executable, "-m", "tinybench", "run", "-w", "kws01", "--quick", "--report", "--out", str(out)],
                   check=True, capture_output=True, env=dict(os.environ), timeout=300)
    report = next(out.glob("*/report.html"))
    text = report.read_text()
    assert "<link" not in text and "<script src" not in text  # CSS and JS are inline
    page.goto(report.as_uri())
    page.locator("svg.chart").first.wait_for()
    assert page.problems == []
