"""Every command a tutorial shows is run, so the tutorials cannot rot.

A fenced ```bash block preceded by `<!-- runnable -->` is executed; one preceded by
`<!-- not-runnable: reason -->` is not (it needs hardware, data or a long time). Every bash
block of a tutorial must carry one of the two markers. The runnable blocks of one page run
in order as one script (`set -euo pipefail`), in a fresh folder, with this environment's
`tinybench` first on PATH — offline, on the built-in models and the device emulators.
Background processes a page starts are killed with its process group when it ends.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCK = re.compile(r"(?:^(<!-- (runnable|not-runnable: [^>]+) -->)\n)?^```bash\n(.*?)^```$", re.M | re.S)
PAGE_TIMEOUT_S = 240


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    marker: str | None  # "runnable", "not-runnable: reason" or None
    code: str


def bash_blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    return [Block(page, text.count("\n", 0, m.start()) + 1, m.group(2), m.group(3)) for m in BLOCK.finditer(text)]


def pages_with_runnable_blocks() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if any(b.marker == "runnable" for b in bash_blocks(p)))


def test_block_extraction_reads_markers(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text("<!-- runnable -->\n```bash\necho a\n```\n\n```bash\necho b\n```\n"
                    "<!-- not-runnable: needs a board -->\n```bash\necho c\n```\n", encoding="utf-8")
    assert [(b.line, b.marker, b.code) for b in bash_blocks(page)] == [
        (1, "runnable", "echo a\n"), (6, None, "echo b\n"), (9, "not-runnable: needs a board", "echo c\n")]


def test_every_tutorial_block_is_marked() -> None:
    unmarked = [f"{b.page.relative_to(DOCS)}:{b.line}" for p in sorted((DOCS / "tutorials").glob("*.md"))
                for b in bash_blocks(p) if b.marker is None]
    assert not unmarked, "bash blocks without <!-- runnable --> or <!-- not-runnable: why -->: " + ", ".join(unmarked)


def test_every_tutorial_runs_something() -> None:
    for page in sorted((DOCS / "tutorials").glob("*.md")):
        if page.name != "index.md":
            assert any(b.marker == "runnable" for b in bash_blocks(page)), f"{page.name} has no runnable block"


def run_page(page: Path, workdir: Path) -> subprocess.CompletedProcess:
    blocks = [b for b in bash_blocks(page) if b.marker == "runnable"]
    script = "set -euo pipefail\n" + "".join(f"# --- {page.name}:{b.line}\n{b.code}" for b in blocks)
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["TINYBENCH_CACHE"] = str(workdir / ".cache")
    env["TINYBENCH_MODEL_URL_BASE"] = "http://127.0.0.1:9/no-network-in-tests/"  # a download would fail loudly
    env["COLUMNS"] = "120"
    proc = subprocess.Popen(["bash", "-c", script], cwd=workdir, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=PAGE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"{page.name}: the runnable blocks took more than {PAGE_TIMEOUT_S} s\n{out}")
    finally:
        try:  # emulators a page left in the background
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, "")


@pytest.mark.slow
@pytest.mark.parametrize("page", pages_with_runnable_blocks(), ids=lambda p: str(p.relative_to(DOCS)))
def test_runnable_blocks_run(page: Path, tmp_path: Path) -> None:
    result = run_page(page, tmp_path)
    assert result.returncode == 0, f"{page.relative_to(DOCS)} failed (exit {result.returncode}):\n{result.stdout}"
