"""Fixtures for the documentation tests: the repository, the hooks' modules, one strict build.

The docs need the `docs` extra (MkDocs, Material, mkdocstrings). Without it
these tests skip on a developer's machine, and fail under TINYBENCH_REQUIRE_ALL=1 (CI).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
HOOKS = DOCS / "hooks"


def _require(module: str) -> None:
    try:
        __import__(module)
    except ImportError:
        reason = f"{module} is not installed (the docs extra: pip install -e '.[docs]')"
        if os.environ.get("TINYBENCH_REQUIRE_ALL") == "1":
            pytest.fail(f"{reason} (TINYBENCH_REQUIRE_ALL=1: this test must run here)")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def hooks_path() -> Path:
    """docs/hooks on sys.path, so the generators can be tested one by one."""
    _require("mkdocs")
    if str(HOOKS) not in sys.path:
        sys.path.insert(0, str(HOOKS))
    return HOOKS


def build_site(out: Path) -> subprocess.CompletedProcess:
    """`mkdocs build --strict` of this repository into `out` (a fresh process, as CI runs it)."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(REPO / "mkdocs.yml"),
         "--site-dir", str(out)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The site, built once per test session with warnings as errors."""
    for module in ("mkdocs", "material", "mkdocstrings_handlers.python"):
        _require(module)
    out = tmp_path_factory.mktemp("site")
    result = build_site(out)
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}"
    return out
