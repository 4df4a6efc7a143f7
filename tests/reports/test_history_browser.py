"""The history pages in a real headless Chromium: series over time, regression marks, links to runs, escaping."""

import copy
import json
import os
import subprocess
import sys

import pytest

from tinybench.reports.formatting import slug
from tinybench.reports.results_store import system_id
from tinybench.reports.site import build_site
from tinybench.stability import assess

EVIL = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
SHAPE = [1.0, 1.003, 0.997, 1.001, 0.999]  # each run's windows around its level: well under 1 % spread
LEVELS = [1.0, 1.0, 0.999, 0.90, 0.90, 1.0]  # throughput levels: run 4 is 10 % slower, run 6 recovers


@pytest.fixture(scope="module")
def history_site(tmp_path_factory):
    """One real quick host run, re-dated and re-levelled into a six-run series, plus an evil-named system."""
    root = tmp_path_factory.mktemp("history")
    results = root / "results"
    env = dict(os.environ, COLUMNS="200", TINYBENCH_CACHE=str(root / "cache"))
    subprocess.run([sys.executable, "-m", "tinybench", "run", "-w", "kws01", "-m", "performance", "--quick",
                    "--out", str(results / "real")], check=True, capture_output=True, env=env, timeout=600)
    source = json.loads(next((results / "real").glob("*/result.json")).read_text())
    base = source["modes"]["performance"]["metrics"]["throughput_median"]["value"]
    runs = []
    for i, level in enumerate(LEVELS):
        runs.append(_variant(source, f"20260{i + 1}01T000000Z-host-kws01-hist0{i}", f"2026-0{i + 1}-01T00:00:00Z",
                             [base * level * s for s in SHAPE]))
    for i in range(2):
        evil = _variant(source, f"20260{i + 1}02T000000Z-evil-kws01-00000{i}", f"2026-0{i + 1}-02T00:00:00Z",
                        [base * s for s in SHAPE])
        evil["target"]["system"]["name"] = EVIL
        runs.append(evil)
    for run in runs:
        # the site recomputes every figure from the raw files: write the windows file the figures come from
        folder = results / "series" / run["run_id"]
        folder.mkdir(parents=True)
        perf = run["modes"]["performance"]
        lines = ["window,sample_id,iterations,warmup,elapsed_s,throughput_inf_s,attempts"]
        lines += [f"{w['window']},{w.get('sample_id', '')},{w['iterations']},{w.get('warmup', 0)},"
                  f"{w['elapsed_s']!r},{w['iterations'] / w['elapsed_s']!r},{w.get('attempts', 1)}"
                  for w in perf["windows"]]
        (folder / "performance_windows.csv").write_text("\n".join(lines) + "\n")
        (folder / "result.json").write_text(json.dumps(run))
    build_site([results / "series"], root / "site")
    return root / "site", runs


def _variant(source: dict, run_id: str, created: str, throughputs: list[float]) -> dict:
    run = copy.deepcopy(source)
    run["run_id"], run["created_utc"], run["finished_utc"] = run_id, created, created
    perf = run["modes"]["performance"]
    for window, thr in zip(perf["windows"], throughputs):
        window["throughput_inf_s"] = thr
        window["elapsed_s"] = window["iterations"] / thr
    perf.pop("per_inference_latency", None)  # no per-inference file in the re-levelled copies
    perf["files"] = {k: v for k, v in perf["files"].items() if v == "performance_windows.csv"}
    run["files"] = [f for f in run.get("files", []) if f in ("performance_windows.csv",)] \
        if isinstance(run.get("files"), list) else run.get("files")
    perf["stability"] = assess(throughputs, perf["clock_source"], None)  # the edited windows' own verdict
    median = sorted(throughputs)[len(throughputs) // 2]
    perf["metrics"]["throughput_median"]["value"] = median
    perf["metrics"]["latency_median"]["value"] = 1e3 / median
    return run


def series_page(site_dir, run):
    return site_dir / "history" / f"{slug(system_id(run) + '|kws01')}.html"


def test_history_pages_load_cleanly_and_are_reachable(history_site, page):
    site_dir, runs = history_site
    pages = sorted((site_dir / "history").glob("*.html"))
    assert len(pages) == 3  # the index and two series
    for path in pages:
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
    page.goto((site_dir / "leaderboard" / "kws01.html").as_uri())
    page.click("header nav a:has-text('history')")
    assert page.url.endswith("history/index.html")
    rows = page.eval_on_selector_all("#history tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText))")
    real = next(r for r in rows if r[0] != EVIL)
    assert real[1:] == ["kws01", "6", real[3], "1"]  # six runs, one regression
    assert page.problems == []


def test_every_point_links_to_its_run_and_the_regression_is_marked(history_site, page):
    site_dir, runs = history_site
    series = [r for r in runs if r["target"]["system"]["name"] != EVIL]
    page.goto(series_page(site_dir, series[0]).as_uri())
    links = page.eval_on_selector_all("#latency svg a.run-link", "a => a.map(x => x.getAttribute('href'))")
    assert links == [f"../runs/{r['run_id']}.html" for r in series]
    assert all((site_dir / "history" / link).resolve().is_file() for link in links)
    verdicts = page.eval_on_selector_all("#latency tbody tr", "rows => rows.map(r => r.dataset.verdict)")
    assert verdicts == ["", "no significant difference", "no significant difference", "slower",
                        "no significant difference", "faster"]
    assert page.locator("#latency svg path.mark[fill='#b42318']").count() == 1
    assert page.locator("#latency svg path.mark[fill='#1a7f37']").count() == 1
    shown = page.eval_on_selector_all("#latency tbody td[data-value]", "c => c.map(x => +x.dataset.value)")
    assert shown == pytest.approx([r["modes"]["performance"]["metrics"]["latency_median"]["value"] for r in series])
    page.click(f"#latency svg a.run-link[data-run='{series[3]['run_id']}']")
    assert page.url.endswith(f"runs/{series[3]['run_id']}.html")
    assert page.problems == []


def test_a_malicious_system_name_is_text_on_history_pages(history_site, page):
    site_dir, runs = history_site
    evil = next(r for r in runs if r["target"]["system"]["name"] == EVIL)
    for path in (site_dir / "history" / "index.html", series_page(site_dir, evil)):
        page.goto(path.as_uri())
        assert page.evaluate("window.__pwned") is None
        assert page.locator("img[src=x]").count() == 0
        assert EVIL in page.inner_text("body")
    assert page.problems == []
