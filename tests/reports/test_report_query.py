"""`report export` and the results store read the index; `report query` is read-only and bounded."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tinybench.reports.result_index import INDEX_NAME
from tinybench.reports.results_store import frame_from_index, load_bundles, to_frame

from .conftest import tb
from .scale_bundles import copy_bundle, real_bundle


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    seed = real_bundle(tmp_path_factory.mktemp("seed"))
    folder = tmp_path_factory.mktemp("results")
    for i in range(4):
        copy_bundle(seed, folder, i)
    forged = copy_bundle(seed, folder, 4)
    (forged / "spinup.csv").write_text("kind,repetition\n")  # its spin-up can no longer be recomputed
    return folder


def test_the_frame_from_the_index_is_the_frame_of_the_verified_bundles(results):
    table = frame_from_index([results])
    assert table.bundles == 4 and len(table.skipped) == 1 and "copy-kws01-00004" not in set(table.frame["run_id"])
    direct = to_frame(b for b in load_bundles([results]).bundles if b["run_id"] in set(table.frame["run_id"]))
    assert table.frame.dtypes.to_dict() == direct.dtypes.to_dict()
    assert table.frame.equals(direct)  # the same rows, the same values, the same nullable types
    assert (results / INDEX_NAME).is_file()


def test_export_lists_the_rejected_bundle_and_writes_the_others(results, tmp_path):
    done = tb("report", "export", "--results", str(results), "--to", str(tmp_path / "t.json"))
    assert done.returncode == 0, done.stderr
    assert "wrote 8 rows from 4 bundles" in done.stdout and "skipped:" in done.stderr and "00004" in done.stderr
    assert len(json.loads((tmp_path / "t.json").read_text())) == 8


def test_query_answers_and_is_bounded(results):
    done = tb("report", "query", "--results", str(results), "--format", "json",
              "SELECT workload, count(*) AS n FROM results WHERE mode = 'performance' GROUP BY workload ORDER BY 1")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{"workload": "kws01", "n": 3}, {"workload": "vww01", "n": 1}]
    done = tb("report", "query", "--results", str(results), "--limit", "2", "--format", "csv",
              "SELECT run_id FROM bundles ORDER BY path")
    assert done.stdout.count("\n") == 3 and "more than 2 rows" in done.stderr


@pytest.mark.parametrize("sql, message", [
    ("DELETE FROM results", "readonly"),
    ("DROP TABLE bundles", "readonly"),
    ("ATTACH DATABASE 'other.sqlite' AS other", "not authorized"),
    ("PRAGMA query_only = OFF", "not authorized"),
    ("SELEKT 1", "syntax error"),
    ("SELECT nope FROM results", "no such column"),
])
def test_query_refuses_writes_and_explains_bad_sql(results, sql, message):
    before = sqlite3.connect(results / INDEX_NAME).execute("SELECT count(*) FROM results").fetchone()
    done = tb("report", "query", "--results", str(results), sql)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert "tables: results" in done.stderr
    assert sqlite3.connect(results / INDEX_NAME).execute("SELECT count(*) FROM results").fetchone() == before


def test_a_runaway_query_is_stopped(results):
    done = tb("report", "query", "--results", str(results), "--timeout", "0.5", "--no-sync",
              "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n")
    assert done.returncode == 2 and "stopped after 0.5 s" in done.stderr


def test_the_export_snapshot_follows_additions_changes_and_removals(tmp_path):
    """The Parquet snapshot beside the index is a cache: after each change the table equals one made without it."""
    import shutil

    from tinybench.reports.results_store import SNAPSHOT as NAME
    from tinybench.reports.result_index import INDEX_DIR

    SNAPSHOT = f"{INDEX_DIR}/{NAME}"

    seed = real_bundle(tmp_path / "seed")
    results = tmp_path / "results"
    for i in range(4):
        copy_bundle(seed, results, i)

    def both():
        cached = frame_from_index([results]).frame
        (results / SNAPSHOT).unlink()
        fresh = frame_from_index([results]).frame
        assert cached.equals(fresh) and cached.dtypes.to_dict() == fresh.dtypes.to_dict()
        return cached

    first = frame_from_index([results]).frame
    assert (results / SNAPSHOT).is_file() and len(first) == 8
    copy_bundle(seed, results, 4)
    assert len(both()) == 10
    frame_from_index([results])  # a snapshot again
    folder = sorted(p for p in results.iterdir() if p.is_dir() and not p.name.startswith("."))[0]
    result = json.loads((folder / "result.json").read_text())
    result["target"]["system"]["name"] = "Renamed board"
    (folder / "result.json").write_text(json.dumps(result))
    assert "Renamed board" in set(both()["system"])
    frame_from_index([results])
    shutil.rmtree(sorted(p for p in results.iterdir() if p.is_dir() and not p.name.startswith("."))[1])
    assert len(both()) == 8
    frame_from_index([results])
    early = copy_bundle(seed, results, 5)  # a bundle whose folder sorts before every other one: put in its place
    early.rename(results / "20250101T000000Z-early")
    assert len(both()) == 10
    (results / SNAPSHOT).write_bytes(b"not parquet")
    assert len(frame_from_index([results]).frame) == 10  # an unreadable snapshot is made again


@pytest.mark.parametrize("seed", range(12))
def test_fresh_rows_are_merged_into_the_snapshot_in_path_order(seed):
    """The snapshot's patch puts a few new bundles' rows in their places without sorting everything again; it must
    give the table a stable sort by path gives, wherever the new paths fall (first, last, between, together)."""
    import random

    import pandas as pd

    from tinybench.reports.results_store import _merged

    rnd = random.Random(seed)
    paths = sorted({f"{rnd.choice('abcxyz')}{rnd.randrange(10 ** rnd.randint(1, 4))}" for _ in range(200)})
    rows = [(path, mode) for path in paths for mode in range(rnd.randint(1, 3))]  # a bundle has one row per mode
    table = pd.DataFrame({"path": pd.array([r[0] for r in rows], dtype="string"), "mode": [r[1] for r in rows],
                          "value": pd.array([rnd.random() for _ in rows], dtype="Float64")})
    chosen = set(rnd.sample(paths, rnd.choice([1, 2, 5, 40, 60])) + ([paths[0]] if seed % 3 == 0 else []))
    fresh = table[table["path"].isin(chosen)].reset_index(drop=True)
    kept = table[~table["path"].isin(chosen)].reset_index(drop=True)
    merged = _merged(kept, fresh)
    assert merged.equals(table), f"paths {sorted(chosen)[:5]}…: {merged['path'].tolist()[:10]}"


def test_the_first_export_after_the_first_build_reads_no_row_again(tmp_path, monkeypatch):
    """The build's snapshot holds every bundle it checked: the export after it re-reads none of them (it did re-read
    them all — 6.4 s at 100,000 bundles — because the snapshot's generation is one less than the build's), and
    after one more bundle only that one."""
    from tinybench.reports import results_store
    from tinybench.reports.site import build_site

    seed = real_bundle(tmp_path / "seed")
    results = tmp_path / "results"
    for i in range(4):
        copy_bundle(seed, results, i)
    build_site([results], tmp_path / "site")
    read = []
    original = results_store._rows

    def spy(index, *args):
        read.append(list(args[1]) if len(args) > 1 else "every row")
        return original(index, *args)

    monkeypatch.setattr(results_store, "_rows", spy)
    assert len(frame_from_index([results]).frame) == 8 and read == []
    added = copy_bundle(seed, results, 4)
    assert len(frame_from_index([results]).frame) == 10 and read == [[added.name]]


@pytest.mark.parametrize("damage", ["no sha256 column", "no path column", "paths as numbers", "no run_id column"])
def test_a_snapshot_with_missing_or_mistyped_columns_is_made_again(tmp_path, damage):
    """Found by hand: a snapshot whose attributes are right but whose columns are not ended in a KeyError."""
    import pandas as pd

    from tinybench.reports.result_index import INDEX_DIR
    from tinybench.reports.results_store import SNAPSHOT

    seed = real_bundle(tmp_path / "seed")
    results = tmp_path / "results"
    for i in range(3):
        copy_bundle(seed, results, i)
    good = frame_from_index([results]).frame
    snapshot = results / INDEX_DIR / SNAPSHOT
    frame = pd.read_parquet(snapshot)
    attrs = frame.attrs
    frame = {"no sha256 column": lambda f: f.drop(columns=["sha256"]),
             "no path column": lambda f: f.drop(columns=["path"]),
             "paths as numbers": lambda f: f.assign(path=range(len(f))),
             "no run_id column": lambda f: f.drop(columns=["run_id"])}[damage](frame)
    frame.attrs = attrs
    frame.to_parquet(snapshot, index=False)
    copy_bundle(seed, results, 3)
    after = frame_from_index([results]).frame
    snapshot.unlink()
    assert after.equals(frame_from_index([results]).frame) and len(after) == len(good) + 2
