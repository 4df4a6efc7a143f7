"""The site state's bulk load: a full build fills `shown` with its indexes dropped and made again after."""

from __future__ import annotations

import pytest

from tinybench.reports.site_state import SiteState


def _indexes(state):
    return sorted(state.conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND "
                                     "tbl_name = 'shown' AND sql IS NOT NULL").fetchall())


def test_rows_loaded_without_indexes_get_them_back_and_are_found_through_them(tmp_path):
    state = SiteState(tmp_path, full=True)
    before = _indexes(state)
    assert len(before) >= 4
    rows = [(f"run-{i:05d}", "src", "0" * 64, "ok", None, f"w{i % 3}", f"s{i % 7}", "closed", f"2026-01-{i % 28 + 1:02d}")
            for i in range(6000)]
    with state.indexes_made_after("shown"):
        assert _indexes(state) == []
        state.conn.executemany("INSERT INTO shown VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    assert _indexes(state) == before
    plan = " ".join(r[-1] for r in state.conn.execute(
        "EXPLAIN QUERY PLAN SELECT run_id FROM shown WHERE system_id = 's3' AND status = 'ok' ORDER BY created_utc"))
    assert "USING" in plan and "INDEX" in plan, plan
    (count,) = state.conn.execute("SELECT count(*) FROM shown WHERE system_id = 's3' AND status = 'ok'").fetchone()
    assert count == sum(1 for r in rows if r[6] == "s3")
    state.commit()


def test_an_error_while_loading_still_remakes_the_indexes(tmp_path):
    state = SiteState(tmp_path, full=True)
    before = _indexes(state)
    with pytest.raises(RuntimeError), state.indexes_made_after("shown"):
        raise RuntimeError("a failure while loading")
    assert _indexes(state) == before
    state.abandon()


def test_a_full_build_that_fails_leaves_the_old_state_and_no_new_file(tmp_path, monkeypatch):
    from tinybench.reports import site as site_module
    from tinybench.reports.site import build_site

    from .scale_bundles import copy_bundle, real_bundle

    seed = real_bundle(tmp_path / "seed")
    results, site = tmp_path / "results", tmp_path / "site"
    for i in range(3):
        copy_bundle(seed, results, i)
    build_site([results], site)
    state = site / ".tinybench-site.sqlite"
    before = state.read_bytes()
    (site / ".tinybench-site.sqlite.new-1").write_bytes(b"left by a build that died")

    def broken(self, *args):
        raise RuntimeError("disk full while making the system pages")

    monkeypatch.setattr(site_module._Builder, "_groups", broken)
    with pytest.raises(RuntimeError):
        build_site([results], site, full=True)
    assert state.read_bytes() == before
    assert not list(site.glob(".tinybench-site.sqlite.new-*"))  # its own and the stale one
    monkeypatch.undo()
    again = build_site([results], site)
    assert not again.full and again.checked == 0 and again.rendered == 0
