"""review8: two builds of a copied results folder at once. Each read the index's meta (made for another folder)
before its write transaction, so the second, after the first had started the index over and stored its checks,
started it over again — deleting what the first stored (and, mid-sync, leaving rows missing under a remembered
"nothing changed" stamp). The meta is read again inside the transaction."""

from __future__ import annotations

import contextlib
import shutil

from tinybench.reports.result_index import ResultIndex

from .test_result_index import results, seed, sync  # noqa: F401 - its fixtures: 6 real bundles


def test_an_index_started_over_meanwhile_by_another_build_is_not_started_over_again(results, tmp_path,  # noqa: F811
                                                                                    monkeypatch):
    sync(results)
    copy = tmp_path / "copy"
    shutil.copytree(results, copy, symlinks=True)  # its index comes along, made for `results`
    real, others = ResultIndex._write, []

    @contextlib.contextmanager
    def another_build_first(conn, wait=None):  # noqa: ANN001, ANN202
        if not others:  # the other build starts the index over and checks everything while this one waits
            others.append("started")
            other = ResultIndex(copy)
            assert other.sync().checked == 6
            other.close()
        with real(conn, wait):
            yield

    monkeypatch.setattr(ResultIndex, "_write", staticmethod(another_build_first))
    index = ResultIndex(copy)
    try:
        assert index.sync().checked == 0, "the other build's checks were thrown away"
    finally:
        index.close()
