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
