"""Review 6: the export's Parquet snapshot (<results>/.tinybench-index/export.parquet) is a cache: whatever happens to
the results folder or to the snapshot file, `frame_from_index` must equal an export made without it.

Found: a snapshot edited by hand (rows reordered, a row duplicated, a figure changed) was used as it was — the export
then held rows in another order, a bundle twice, or a figure no raw file gives (figures are meant to be recomputed
from raw files, never taken from a file's word)."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from tinybench.reports.result_index import INDEX_DIR
from tinybench.reports.results_store import SNAPSHOT, frame_from_index

from .scale_bundles import copy_bundle, real_bundle


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    return real_bundle(tmp_path_factory.mktemp("seed"))


def _same_as_fresh(results):
    cached = frame_from_index([results]).frame
    (results / INDEX_DIR / SNAPSHOT).unlink()
    fresh = frame_from_index([results]).frame
    assert cached.dtypes.to_dict() == fresh.dtypes.to_dict()
    assert cached.equals(fresh), (cached[["bundle", "mode"]].to_string()[:800], fresh[["bundle", "mode"]].to_string()[:800])
    return fresh


def _results(seed, root, names):
    for number, name in enumerate(names):
        folder = copy_bundle(seed, root, number)
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        folder.rename(root / name)
    frame_from_index([root])  # the snapshot
    return root


def _edit_snapshot(results, edit):
    path = results / INDEX_DIR / SNAPSHOT
    table = pd.read_parquet(path)
    attrs = dict(table.attrs)
    table = edit(table).reset_index(drop=True)
    table.attrs = attrs  # its stamp kept: only the rows differ
    table.to_parquet(path, index=False)


@pytest.mark.parametrize("edit", [
    pytest.param(lambda t: t.iloc[::-1], id="rows-reversed"),
    pytest.param(lambda t: pd.concat([t, t.iloc[:2]]).sort_values("path", kind="stable"), id="a-bundle-twice"),
    pytest.param(lambda t: t.assign(latency_ms=t["latency_ms"] / 10), id="figures-changed"),
    pytest.param(lambda t: t.iloc[2:], id="a-bundle-dropped"),
])
@pytest.mark.parametrize("then_add", [False, True])
def test_a_snapshot_edited_by_hand_is_not_used(seed, tmp_path, edit, then_add):
    results = _results(seed, tmp_path / "results", ["b", "d", "f/g", "h"])
    _edit_snapshot(results, edit)
    if then_add:  # a few bundles written since: the snapshot is patched, not made again
        _results(seed, tmp_path / "more", ["c", "e"])
        for name in ("c", "e"):
            shutil.move(tmp_path / "more" / name, results / name)
    _same_as_fresh(results)


def test_adds_removals_renames_and_edits_anywhere_keep_the_export_as_fresh(seed, tmp_path):
    """Folder names that sort first, last, between, as a prefix of another, non-ASCII, nested; many at once."""
    results = _results(seed, tmp_path / "results", ["m1", "m3", "n/a", "n/b"])
    extra = iter(range(100, 10_000))

    def add(name):
        folder = copy_bundle(seed, results, next(extra))
        (results / name).parent.mkdir(parents=True, exist_ok=True)
        folder.rename(results / name)

    steps = [lambda: add("a0"), lambda: add("zz"), lambda: add("m1x"), lambda: add("m"), lambda: add("n-a"),
             lambda: add("n/a0"), lambda: add("é 日本"), lambda: add("n.a"),
             lambda: shutil.rmtree(results / "m3"),
             lambda: (results / "m1").rename(results / "m2"),
             lambda: (results / "n" / "b").rename(results / "n" / "0b"),
             lambda: [add(f"k{i:03d}" if i % 2 else f"p/{i}") for i in range(60)]]

    def edit_in_place():
        result = json.loads((results / "m2" / "result.json").read_text())
        result["target"]["system"]["name"] = "Edited board"
        (results / "m2" / "result.json").write_text(json.dumps(result))

    saved = {}

    def reject_in_place():  # its spin-up can no longer be recomputed: the bundle is rejected, its rows go
        saved["spinup"] = (results / "zz" / "spinup.csv").read_bytes()
        (results / "zz" / "spinup.csv").write_text("kind,repetition\n")

    def accept_again():
        (results / "zz" / "spinup.csv").write_bytes(saved["spinup"])

    steps += [edit_in_place, reject_in_place, accept_again, lambda: (results / "zz").rename(results / "n" / "zz")]
    for step in steps:
        step()
        _same_as_fresh(results)
        frame_from_index([results])  # a snapshot again, for the next step to patch
