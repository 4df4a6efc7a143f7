"""Shared fixtures.

Tests that need the official reference files or TensorFlow skip when those are
absent on a developer's machine — but `.ci/run` sets TINYBENCH_REQUIRE_ALL=1, and
then a missing prerequisite fails the test instead, so CI can never skip them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

REQUIRE_ALL = os.environ.get("TINYBENCH_REQUIRE_ALL") == "1"


def _unavailable(reason: str) -> None:
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (TINYBENCH_REQUIRE_ALL=1: this test must run here)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The official MLPerf Tiny files (`TINYBENCH_REFERENCE_DIR`, ../shared/reference in CI)."""
    value = os.environ.get("TINYBENCH_REFERENCE_DIR")
    if not value:
        _unavailable("TINYBENCH_REFERENCE_DIR is not set")
    path = Path(value).resolve()
    if not (path / "models").is_dir():
        _unavailable(f"TINYBENCH_REFERENCE_DIR={value} has no models/ folder")
    return path


@pytest.fixture(scope="session")
def tensorflow():
    """TensorFlow (the train extra)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    try:
        import tensorflow as tf
    except ImportError:
        _unavailable("TensorFlow (the train extra) is not installed")
    return tf


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment for running the real `tinybench` CLI in a subprocess."""
    env = dict(os.environ)
    env["TINYBENCH_CACHE"] = str(tmp_path / "cache")
    env["COLUMNS"] = "200"
    return env


@pytest.fixture
def tinybench_cmd() -> list[str]:
    return [sys.executable, "-m", "tinybench"]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)
