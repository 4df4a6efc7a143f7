"""Markup in every string and number field of the result schema (bundles generated from the schema),
and in a submission's system description: in a real headless Chromium, no page opens a dialog, gains
an injected element, runs injected script or requests anything but file://."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tinybench.reports.site import build_site
from tinybench.reports.submissions_feed import read_submissions
from tinybench.result_schema import result_schema

from .conftest import repack
from .hostile_bundles import PAYLOADS, payload_for, write_variants

pytestmark = [pytest.mark.needs_reference, pytest.mark.slow]


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory, closed_submission, serial_submission):
    root = tmp_path_factory.mktemp("hostile-site")
    results = root / "results"
    changed = []
    bases = [p for built in (closed_submission, serial_submission)
             for p in sorted((built.archive.parent / "results").iterdir()) if (p / "result.json").exists()]
    assert len(bases) == 3  # host (performance, accuracy, spin-up); device (performance, accuracy); device energy
    for index, bundle in enumerate(bases):
        changed += write_variants(result_schema(), bundle, results, f"h{index}-")

    def describe(root_):
        system = next(root_.rglob("systems/*.json"))
        data = json.loads(system.read_text())
        name = payload_for({"maxLength": 200})
        data.update(system_name=name, board=name, accelerator=name, framework=name, notes=PAYLOADS[0],
                    memory=PAYLOADS[0], software_libraries=PAYLOADS[0])
        system.write_text(json.dumps(data))

    submissions = root / "submissions"
    submissions.mkdir()
    repack(closed_submission.archive, submissions / "hostile-description.tar.gz", describe)
    feed = read_submissions(submissions)
    assert [h["status"] for h in feed.history] == ["published"], feed.history
    built = build_site([results], root / "site", extra_results=feed.results, history=feed.history)
    return built, changed


def test_bundles_cover_every_field_and_both_outcomes(hostile_site):
    built, changed = hostile_site
    published = len(list((built.out / "runs").glob("h*.html")))
    assert len(changed) > 300 and published > 100 and len(built.skipped) > 150
    assert sum("data-pwned" in s for s in built.skipped) > 100  # refused with the value quoted, shown escaped


def test_no_page_runs_injected_markup(hostile_site, browser):
    built, _ = hostile_site
    context = browser.new_context()
    page = context.new_page()
    events: list[str] = []
    page.on("dialog", lambda d: (events.append(f"dialog {d.message}"), d.dismiss()))
    page.on("request", lambda r: events.append(f"request {r.url}") if not r.url.startswith("file://") else None)
    page.on("pageerror", lambda e: events.append(f"page error {e}"))
    pages = sorted(built.out.rglob("*.html"))
    shown = 0
    for path in pages:
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        if path.name == "compare.html":
            for box in page.locator("#compare-picker input").all()[:40]:
                box.check()
        injected, text = page.evaluate("[document.querySelectorAll('[data-pwned], img[src=x], svg[onload]').length, "
                                       "document.body.innerText.includes('data-pwned')]")
        assert injected == 0, path
        shown += text
    context.close()
    assert events == []
    assert len(pages) > 100 and shown > 40  # the markup is there, as text (many fields are not shown at all)
