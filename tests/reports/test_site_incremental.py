"""The incremental site: after adds, changes and removals it is byte for byte the site a full build makes,
and it re-renders only the pages that show what changed."""

from __future__ import annotations

import json
import shutil

import pytest

from tinybench.reports import site as site_module
from tinybench.reports.site import build_site
from tinybench.reports.site_state import STATE_NAME

from .scale_bundles import copy_bundle, real_bundle, site_files


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    return real_bundle(tmp_path_factory.mktemp("seed"))


def full_copy(results, tmp_path, name):
    built = build_site([results], tmp_path / name, full=True)
    assert built.full
    return site_files(built.out)


def test_incremental_builds_equal_full_builds_after_adds_changes_and_removals(seed, tmp_path):
    results, site = tmp_path / "results", tmp_path / "site"
    for i in range(9):
        copy_bundle(seed, results, i)
    first = build_site([results], site)
    assert first.full and first.bundles == 9 and first.checked == 9

    steps = []
    added = copy_bundle(seed, results, 9)  # a new run of Board 0 on vww01 (workloads change by number // 3)
    steps.append("add")
    built = build_site([results], site)
    assert built.checked == 1 and not built.full
    # its run page, its system page, its series' history page, its leaderboard; index/systems/compare/history index
    assert built.rendered <= 8, built.rendered
    assert site_files(site) == full_copy(results, tmp_path, "full-add")

    result = json.loads((added / "result.json").read_text())
    result["created_utc"] = "2025-12-31T23:00:00Z"  # now the oldest run of its series
    (added / "result.json").write_text(json.dumps(result))
    steps.append("change")
    built = build_site([results], site)
    assert built.checked == 1 and not built.full
    assert site_files(site) == full_copy(results, tmp_path, "full-change")

    victim = sorted(p for p in results.iterdir() if p.is_dir() and not p.name.startswith("."))[0]
    run_id = victim.name
    shutil.rmtree(victim)
    steps.append("remove")
    built = build_site([results], site)
    assert built.removed >= 1 and not (site / "runs" / f"{run_id}.html").exists()
    assert site_files(site) == full_copy(results, tmp_path, "full-remove")

    (results / added.name / "spinup.csv").write_text("forged\n")  # now rejected: its pages go, a note says why
    built = build_site([results], site)
    assert any(added.name in s for s in built.skipped)
    assert not (site / "runs" / f"{added.name}.html").exists()
    assert site_files(site) == full_copy(results, tmp_path, "full-reject")

    again = build_site([results], site)
    assert (again.checked, again.rendered, again.removed) == (0, 0, 0)


def test_a_new_workload_rebuilds_every_page_menu(seed, tmp_path):
    results, site = tmp_path / "results", tmp_path / "site"
    for i in range(3):
        copy_bundle(seed, results, i, workloads=1)
    build_site([results], site)
    copy_bundle(seed, results, 3, workloads=2)  # the first vww01 run: every page's menu gains a link
    built = build_site([results], site)
    assert built.full
    assert 'leaderboard/vww01.html' in (site / "runs" / sorted(p.name for p in (site / "runs").iterdir())[0]).read_text()
    assert site_files(site) == full_copy(results, tmp_path, "full")


def built_site(seed, tmp_path, bundles=4):
    """A site of `bundles` copies: (results folder, site folder, its published files)."""
    results, site = tmp_path / "results", tmp_path / "site"
    for i in range(bundles):
        copy_bundle(seed, results, i)
    build_site([results], site)
    return results, site, site_files(site)


def test_a_lost_or_corrupt_site_state_makes_a_full_build_with_a_note(seed, tmp_path):
    results, site, before = built_site(seed, tmp_path)
    (site / STATE_NAME).write_bytes(b"garbage" * 1000)
    built = build_site([results], site)
    assert built.full and any("rebuilt in full" in n for n in built.notes)
    assert site_files(site) == before


def test_large_leaderboards_are_split_into_linked_pages(seed, tmp_path, monkeypatch):
    monkeypatch.setattr(site_module, "ROWS_PER_PAGE", 2)
    results, site = tmp_path / "results", tmp_path / "site"
    for i in range(5):
        copy_bundle(seed, results, i, systems=5, workloads=1)
    build_site([results], site)
    pages = sorted(p.name for p in (site / "leaderboard").iterdir())
    assert pages == ["kws01.html", "kws01.p2.html", "kws01.p3.html"]
    first = (site / "leaderboard" / "kws01.html").read_text()
    assert "Rows 1–2 of 5" in first and 'href="kws01.p3.html"' in first
    assert (site / "leaderboard" / "kws01.p3.html").read_text().count('class="pick"') == 1
    shutil.rmtree(sorted(p for p in results.iterdir() if p.is_dir() and not p.name.startswith("."))[0])
    shutil.rmtree(sorted(p for p in results.iterdir() if p.is_dir() and not p.name.startswith("."))[0])
    build_site([results], site)  # 3 rows: the third page goes
    assert sorted(p.name for p in (site / "leaderboard").iterdir()) == ["kws01.html", "kws01.p2.html"]
    assert site_files(site) == full_copy(results, tmp_path, "full")


def test_system_pages_are_paged_and_a_new_run_rerenders_only_the_newest_page(seed, tmp_path, monkeypatch):
    from tinybench.reports import system_pages

    monkeypatch.setattr(system_pages, "RUNS_PER_PAGE", 2)
    results, site = tmp_path / "results", tmp_path / "site"
    for i in range(5):  # one system, 5 runs: archive pages .p1 (runs 1-2), .p2 (3-4), the main page (run 5)
        copy_bundle(seed, results, i, systems=1, workloads=1)
    build_site([results], site)
    name = next(p.stem for p in (site / "systems").glob("*.html") if "." not in p.stem)
    assert sorted(p.name for p in (site / "systems").iterdir()) == [f"{name}.html", f"{name}.p1.html",
                                                                      f"{name}.p2.html"]
    main = (site / "systems" / f"{name}.html").read_text()
    assert "Runs 5–5 of 5" in main and f'href="{name}.p1.html"' in main and main.count("../runs/") == 1
    archive = site / "systems" / f"{name}.p1.html"
    assert archive.read_text().count("../runs/") == 2 and "00000" in archive.read_text()

    copy_bundle(seed, results, 5, systems=1, workloads=1)  # the newest run: only the main page (+ run, series, board)
    mtimes = {p.name: p.stat().st_mtime_ns for p in (site / "systems").iterdir()}
    built = build_site([results], site)
    assert built.checked == 1
    assert {p.name for p in (site / "systems").iterdir() if p.stat().st_mtime_ns != mtimes.get(p.name)} == \
        {f"{name}.html"}
    assert site_files(site) == full_copy(results, tmp_path, "full-newest")

    older = json.loads((results / sorted(p.name for p in results.iterdir() if not p.name.startswith("."))[3] /
                        "result.json").read_text())
    added = copy_bundle(seed, results, 6, systems=1, workloads=1)  # a run dated in the middle: pages shift from there
    late = json.loads((added / "result.json").read_text())
    late["created_utc"] = older["created_utc"]
    (added / "result.json").write_text(json.dumps(late))
    mtimes = {p.name: p.stat().st_mtime_ns for p in (site / "systems").iterdir()}
    build_site([results], site)  # 7 runs: 4 pages now, all rendered
    assert len(list((site / "systems").iterdir())) == 4
    assert site_files(site) == full_copy(results, tmp_path, "full-middle")
    for victim in sorted(p for p in results.iterdir() if not p.name.startswith("."))[:4]:
        shutil.rmtree(victim)  # 3 runs left: 2 pages; the stale archives go
    build_site([results], site)
    assert sorted(p.name for p in (site / "systems").iterdir()) == [f"{name}.html", f"{name}.p1.html"]
    assert site_files(site) == full_copy(results, tmp_path, "full-removed")


def test_a_run_whose_page_cannot_be_rendered_is_listed_and_left_off_its_system_page(seed, tmp_path, monkeypatch):
    from tinybench.reports import site_pages

    results, site = tmp_path / "results", tmp_path / "site"
    for i in range(4):
        copy_bundle(seed, results, i, systems=1, workloads=1)
    build_site([results], site)
    bad = copy_bundle(seed, results, 4, systems=1, workloads=1).name
    real = site_pages.run_view

    def failing(result):  # a page that cannot be rendered (run pages are rendered in this process below 200 runs)
        if result["run_id"] == bad:
            raise ValueError("no such figure")
        return real(result)

    monkeypatch.setattr(site_pages, "run_view", failing)
    built = build_site([results], site)
    assert any(bad in s and "cannot be rendered" in s for s in built.skipped)
    assert not (site / "runs" / f"{bad}.html").exists()
    system = next(p for p in (site / "systems").glob("*.html")).read_text()
    assert bad not in system and system.count("../runs/") == 4
    assert f"{bad}" in (site / "index.html").read_text()
    assert site_files(site) == full_copy(results, tmp_path, "full-failed")


READER = """
import sys, time
from pathlib import Path
site, stop = Path(sys.argv[1]), Path(sys.argv[2])
seen = bad = 0
while not stop.exists():
    for page in [site / "index.html", *sorted((site / "leaderboard").glob("*.html")), *sorted((site / "systems").glob("*.html"))]:
        try:
            text = page.read_text()
        except FileNotFoundError:
            continue
        seen += 1
        bad += not text.rstrip().endswith("</html>")
print(seen, bad)
"""


def test_a_reader_never_sees_half_a_page_while_the_site_is_rebuilt(seed, tmp_path):
    """A reader in another process reads pages in a loop while builds add runs: every page it reads is whole."""
    import subprocess
    import sys

    results, site, stop = tmp_path / "results", tmp_path / "site", tmp_path / "stop"
    for i in range(3):
        copy_bundle(seed, results, i)
    build_site([results], site)
    reader = subprocess.Popen([sys.executable, "-c", READER, str(site), str(stop)], stdout=subprocess.PIPE, text=True)
    try:
        for i in range(3, 9):
            copy_bundle(seed, results, i)
            build_site([results], site)
    finally:
        stop.touch()
        out, _ = reader.communicate(timeout=120)
    seen, bad = map(int, out.split())
    assert seen > 0 and bad == 0
    assert not [p for p in site.rglob(".*.tmp")]  # no temporary page left behind


def test_full_repairs_damaged_pages_and_leaves_identical_run_pages_unwritten(seed, tmp_path):
    results, site, before = built_site(seed, tmp_path)
    pages = sorted((site / "runs").glob("*.html"))
    inodes = {p.name: p.stat().st_ino for p in pages}
    damaged = pages[0]
    damaged.write_text("<html>half a page")  # an edited or truncated page, e.g. after a full disk
    (site / "index.html").unlink()
    again = build_site([results], site, full=True)
    assert site_files(site) == before  # repaired, byte for byte
    rewritten = [p.name for p in pages if p.stat().st_ino != inodes[p.name]]
    assert rewritten == [damaged.name]  # the other run pages had their bytes already: not written again
    assert again.rendered < again.pages


def test_a_full_build_deletes_pages_no_run_has_and_keeps_hidden_files(seed, tmp_path):
    results, site, before = built_site(seed, tmp_path)
    strays = ["runs/20990101T000000Z-gone.html", "systems/deadbeef0000.html", "history/deadbeef0000.html",
              "leaderboard/zz99.html", "old/page.html", "stray.html"]
    for name in strays:
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text("<p>an older site's page</p>")
    kept = [site / ".hidden" / "x.html", site / "runs" / ".draft.html", site / "notes.txt"]
    for path in kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("not a page of the site")
    built = build_site([results], site, full=True)
    assert built.removed == len(strays)
    assert not any((site / name).exists() for name in strays)
    assert all(path.exists() for path in kept)
    kept[2].unlink()  # (not a page, so the site's published files would differ by it)
    assert site_files(site) == before
