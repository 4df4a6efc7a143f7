"""Labs for the lab tests: a real labgrid coordinator, real exporters (two hosts) on 127.0.0.1,
Debian's ser2net, and DUT emulators on ptys behind them. Nothing mocked."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def lab_prerequisites() -> None:
    """labgrid and ser2net, or skip — but fail under TINYBENCH_REQUIRE_ALL=1 (CI installs both)."""
    missing = None
    try:
        import labgrid  # noqa: F401
    except ImportError:
        missing = "labgrid (the lab extra) is not installed"
    if missing is None and shutil.which("ser2net") is None and not Path("/usr/sbin/ser2net").exists():
        missing = "ser2net is not installed (apt-get install ser2net)"
    if missing and os.environ.get("TINYBENCH_REQUIRE_ALL") == "1":
        pytest.fail(f"{missing} (TINYBENCH_REQUIRE_ALL=1: this test must run here)")
    if missing:
        pytest.skip(missing)


@pytest.fixture(scope="module")
def lab_env(tmp_path_factory):
    env = dict(os.environ, COLUMNS="200", TINYBENCH_CACHE=str(tmp_path_factory.mktemp("cache")))
    env.pop("LG_COORDINATOR", None)
    return env


@pytest.fixture(scope="module")
def make_lab(tmp_path_factory, lab_env):
    """make(boards) → a started EmulatedLab, stopped (every process group) when the module ends."""
    from tinybench.targets.lab.emulated_lab import EmulatedLab

    lab_prerequisites()
    labs = []

    def make(boards):
        lab = EmulatedLab(tmp_path_factory.mktemp("lab"), boards, env=lab_env)
        labs.append(lab)
        return lab.start()

    yield make
    for lab in labs:
        lab.stop()
