"""Screenshots of the site, so anyone can see what it shows.

    python scripts/screenshots.py [--results DIR …] [--out docs/screenshots]

Without --results it first makes a small demo: quick host runs of two workloads, with
two thread settings (two systems). It builds the site, opens it in headless Chromium
(Debian's `chromium`, or $TINYBENCH_CHROMIUM) through Playwright and writes
`leaderboard.png` and `run.png`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tinybench.reports.site import build_site

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    return os.environ.get("TINYBENCH_CHROMIUM", "/usr/bin/chromium")


def demo_results(folder: Path) -> Path:
    for threads in ("1", "2"):
        subprocess.run([sys.executable, "-m", "tinybench", "run", "-w", "kws01,ic01", "--quick", "--threads", threads,
                        "--out", str(folder)], check=True, capture_output=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", nargs="*", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        results = args.results or [demo_results(Path(tmp) / "results")]
        site = build_site(results, Path(tmp) / "site").out
        board = sorted((site / "leaderboard").glob("*.html"))[0]
        # the run page with the most to show (the largest page)
        run = max((site / "runs").glob("*.html"), key=lambda p: p.stat().st_size)
        args.out.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            for name, path in (("leaderboard", board), ("run", run)):
                page.goto(path.as_uri())
                page.screenshot(path=str(args.out / f"{name}.png"), full_page=True)
                print(f"wrote {args.out / f'{name}.png'}")
            browser.close()


if __name__ == "__main__":
    main()
