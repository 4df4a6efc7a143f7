"""Review of the faster site build (commits 81a516d…ac9321d): hostile or damaged inputs that the speed-ups
must handle as the slower code did."""

from __future__ import annotations

import os
import shutil

import pytest

from tinybench.reports.site import build_site

from .scale_bundles import copy_bundle, real_bundle


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    return real_bundle(tmp_path_factory.mktemp("seed"))


def test_a_runs_folder_made_a_link_between_two_builds_of_one_process_is_not_written_through(seed, tmp_path):
    """page_path caches each folder's realpath: a second build in the same process must look again (the first
    build's answer is stale once `runs/` became a symbolic link to a folder outside the site)."""
    results, site, outside = tmp_path / "results", tmp_path / "site", tmp_path / "outside"
    for i in range(3):
        copy_bundle(seed, results, i)
    build_site([results], site)
    outside.mkdir()
    shutil.rmtree(site / "runs")
    os.symlink(outside, site / "runs")
    built = build_site([results], site, full=True)
    assert os.listdir(outside) == []
    assert len(built.skipped) == 3 and all("would leave the site folder" in s for s in built.skipped)
