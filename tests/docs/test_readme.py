"""README.md is the front door: short, the two set-up commands CI reads, links that resolve,
and every topic the long README used to hold has a home in the docs site."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"

# Every section of the README before it became the front door (484 lines, plus the sections
# added this round), and where its content lives now: page (built path) and anchor.
README_ERA_TOPICS = {
    "Set up: two commands": ("development/", "set-up-and-test"),
    "The main command": ("how-to/run-benchmarks/", "the-options-you-will-use-most"),
    "Exit codes": ("reference/exit-codes/", ""),
    "What is measured": ("explanation/measurement/", "performance"),
    "What is measured: spinup": ("explanation/measurement/", "spinup"),
    "What is measured: energy": ("explanation/measurement/", "energy"),
    "What is measured: accuracy": ("explanation/measurement/", "accuracy"),
    "What is measured: valid for submission": ("explanation/measurement/", "valid-for-submission"),
    "Result bundles": ("reference/bundle-files/", "files"),
    "Result bundles: result.json fields": ("reference/bundle-files/", "resultjson-fields"),
    "Datasets": ("reference/datasets/", "formats"),
    "Datasets: the kws01 front end": ("reference/datasets/", "the-kws01-front-end"),
    "Datasets: export-eembc": ("how-to/accuracy-datasets/", "4-export-the-eembc-set-for-a-board"),
    "Workloads and models": ("explanation/measurement/", "workloads-and-models"),
    "Workloads and models: the facts": ("reference/workloads/", "kws01"),
    "Targets": ("explanation/targets-time-energy/", "the-built-in-targets"),
    "Targets: vendor adapters": ("how-to/adapter-plugin/", ""),
    "Benchmarking a microcontroller over a serial port": ("how-to/serial-board/", "wiring-and-baud"),
    "Serial: without hardware": ("how-to/serial-board/", "without-hardware"),
    "Energy": ("how-to/energy/", "choose-a-monitor"),
    "Energy: without hardware": ("how-to/energy/", "without-hardware"),
    "det01: KITTI 2-D object detection": ("explanation/det01/", "metric"),
    "det01: training": ("how-to/det01-kitti/", "1-train"),
    "Simulated accelerators": ("how-to/simulated-accelerator/", "describe-your-own-accelerator"),
    "Simulated accelerators: the model": ("explanation/simaccel-model/", "cycles"),
    "Reports and leaderboards": ("how-to/keep-a-leaderboard/", "build-the-site-from-result-bundles"),
    "Submissions: pack": ("tutorials/first-submission/", "2-pack-them"),
    "Submissions: check": ("explanation/trust-model/", "checking-a-submission"),
    "Submissions: publishing": ("how-to/keep-a-leaderboard/", "publish-accepted-submissions"),
    "Submissions: import mlperf-tiny": ("how-to/keep-a-leaderboard/", "import-mlperf-tiny-results"),
    "det01: the two KITTI AP methods": ("explanation/det01/", "the-devkits-quirks"),
    "Stable measurements: system show, tune, reset": ("how-to/stable-timings/", "see-what-hurts-stable-timing"),
    "Stable measurements: pinning": ("how-to/stable-timings/", "pin-the-run"),
    "Stable measurements: stability of every run": ("explanation/stability-and-comparison/", "stability-of-every-run"),
    "Stable measurements: compare": ("explanation/stability-and-comparison/", "how-compare-decides"),
    "Stable measurements: compare in CI": ("how-to/compare-builds-in-ci/", "3-fail-the-ci-job-on-a-regression"),
    "Stable measurements: compare --json": ("reference/compare-json/", ""),
    "Stable measurements: history": ("explanation/stability-and-comparison/", "history"),
    "Stable measurements: compare's false-positive benchmark": (
        "explanation/stability-and-comparison/", "how-good-is-compare-on-this-machine"),
    "Serial: the model on a device is declared": ("how-to/serial-board/", "the-model-on-the-device-is-declared"),
    "Serial: against the official runner": ("how-to/serial-board/", "check-against-the-official-runner"),
    "Energy: how a window is measured": ("how-to/energy/", "how-a-window-is-measured"),
    "sww01: streaming wake word": ("how-to/sww01-stream/", "how-sww01-maps-onto-the-modes"),
    "sww01: front end": ("how-to/sww01-stream/", "front-end"),
    "sww01: detection": ("how-to/sww01-stream/", "detection"),
    "sww01: scoring": ("how-to/sww01-stream/", "scoring"),
    "sww01: what is timed": ("how-to/sww01-stream/", "what-is-timed"),
    "sww01: stream datasets": ("how-to/sww01-stream/", "3-use-your-own-streams"),
    "sww01: data build-sww": ("how-to/sww01-stream/", "2-build-the-official-stream"),
    "sww01: bundle": ("how-to/sww01-stream/", "what-the-bundle-holds"),
    "Simulated accelerators: memory": ("explanation/simaccel-model/", "memory"),
    "Repository layout": ("development/", "repository-layout"),
    "Benchmarks": ("development/", "benchmarks"),
}


def ci_command(marker: str) -> str:
    """The command of the bash block after `marker`, read as .ci/run reads it."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index(marker)
    assert lines[start + 1] == "```bash", f"{marker} must be followed by a ```bash block"
    block = []
    for line in lines[start + 2:]:
        if line.startswith("```"):
            break
        block.append(line)
    return "\n".join(block)


def test_readme_is_a_front_door() -> None:
    """Short: what tinybench is, the screenshot, the two commands, a tour, links into the docs."""
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) < 150
    assert "docs/screenshots/leaderboard.png" in text
    for part in ("tutorials/", "how-to/", "reference/", "explanation/"):
        assert f"](docs/{part}" in text, f"README does not link into docs/{part}"


def test_the_two_set_up_commands_are_there_for_ci() -> None:
    run = ci_command("<!-- ci:install-and-run -->")
    test = ci_command("<!-- ci:install-and-test -->")
    assert "pip install -e ." in run and "tinybench run --target host" in run
    extras = re.search(r"\.\[([a-z,]+)\]", test)
    assert extras and {"dev", "docs"} <= set(extras.group(1).split(",")), test
    assert test.rstrip().endswith("python -m pytest")


def test_readme_links_resolve() -> None:
    text = README.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        assert (REPO / target.split("#")[0]).exists(), f"README links to a missing file: {target}"


@pytest.mark.parametrize("topic", sorted(README_ERA_TOPICS))
def test_every_readme_era_topic_has_a_home_in_the_docs(built_site: Path, topic: str) -> None:
    page, anchor = README_ERA_TOPICS[topic]
    html_file = built_site / page / "index.html"
    assert html_file.is_file(), f"{topic}: {page} was not built"
    if anchor:
        assert f'id="{anchor}"' in html_file.read_text(encoding="utf-8"), f"{topic}: no #{anchor} on {page}"
