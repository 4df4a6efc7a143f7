"""Review 6: a sync interrupted while it checks new bundles (Ctrl-C during the first `report export` or `report
build` of a large results folder) had already remembered the results folder's stamp as listed. The next sync then
took the "nothing changed" path and never listed the folder again: the bundles not yet checked were missing from
every export and site, without a word, until something was added to the results folder. Reproduced by hand with a
SIGINT to `tinybench report export` over 3,000 bundles: the next export wrote 1,128 of them."""

from __future__ import annotations

import pytest

from tinybench.reports.result_index import ResultIndex
from tinybench.reports.results_store import frame_from_index

from .scale_bundles import copy_bundle, real_bundle

BUNDLES = 1100  # the check yields its records in batches of 1,000: the interrupt comes between two


@pytest.mark.slow
def test_bundles_not_checked_before_an_interrupt_are_checked_by_the_next_sync(tmp_path):
    seed = real_bundle(tmp_path / "seed")
    results = tmp_path / "results"
    for number in range(BUNDLES):
        copy_bundle(seed, results, number)

    def interrupt(done: int, total: int) -> None:
        if done < total:
            raise KeyboardInterrupt  # what Ctrl-C raises in the main thread, here between two stored batches

    index = ResultIndex(results)
    try:
        with pytest.raises(KeyboardInterrupt):
            index.sync(progress=interrupt)
    finally:
        index.close()
    table = frame_from_index([results])
    assert table.bundles == BUNDLES and len(table.frame) == 2 * BUNDLES, table.notes
