"""Shared by the browser tests of the site."""

import pytest


@pytest.fixture
def page(browser):
    """A fresh Chromium page that records console errors, page errors and any request leaving file://."""
    context = browser.new_context()
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: page.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: page.problems.append(f"page error: {e}"))
    page.on("request", lambda r: page.problems.append(f"fetched {r.url}") if not r.url.startswith("file://") else None)
    yield page
    context.close()
