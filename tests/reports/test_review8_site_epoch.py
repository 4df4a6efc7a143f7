"""review8: a site built from a results folder whose index was started over. Each sync takes a generation (max + 1)
and an incremental build reads only what was written after the generation it saw last time; an index started over
(deleted by hand — "a cache" —, made by other checking code, or made for another folder: a folder replaced by a copy
of another) counts from 1 again, so the next build saw nothing new: the site kept the pages of bundles gone and
never showed the new ones. An index started over is a new index to the site: it compares everything once."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from .scale_bundles import copy_bundle
from .test_result_index import seed  # noqa: F401 - its fixture: a real bundle


def build(results, site) -> str:
    done = subprocess.run([sys.executable, "-m", "tinybench", "report", "build", "--results", str(results), "--out",
                           str(site)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.parametrize("how", ["index deleted", "folder replaced by a copy of another"])
def test_a_site_follows_an_index_started_over(seed, tmp_path, how):  # noqa: F811
    results, other, site = tmp_path / "results", tmp_path / "other", tmp_path / "site"
    for number in range(3):
        copy_bundle(seed, results, number)
    for number in range(6, 9):  # the same workload: the site's menu stays as it was
        copy_bundle(seed, other, number)
    for _ in range(4):  # generations climb
        build(results, site)
    if how == "index deleted":
        shutil.rmtree(results / ".tinybench-index")
        for bundle in sorted(results.glob("2*")):
            shutil.rmtree(bundle)
        for bundle in sorted(other.glob("2*")):
            shutil.copytree(bundle, results / bundle.name)
    else:
        build(other, tmp_path / "other-site")
        shutil.rmtree(results)
        shutil.copytree(other, results, symlinks=True)  # cp -a: its index comes along, made for `other`
    build(results, site)
    pages = sorted(p.name for p in (site / "runs").iterdir())
    assert pages == sorted(f"{p.name}.html" for p in other.glob("2*")), pages
