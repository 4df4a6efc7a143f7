"""Forked worker processes for independent parts of one job (checking bundles, rendering run pages).

A `concurrent.futures.ProcessPoolExecutor`, not a `multiprocessing.Pool`: when a worker dies (the out-of-memory
killer, `kill -9`) the executor is broken and every part still awaited raises, where a Pool replaced the worker and
waited for the lost part forever (the build or export never ended)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from tinybench.errors import TinybenchError

__all__ = ["BrokenProcessPool", "end_now", "fork_pool", "lost_worker"]


def fork_pool(workers: int, initializer: Callable[[], None] | None = None) -> ProcessPoolExecutor:
    """`workers` forked processes; with fork every one is started at the first submit (they inherit what the
    caller set up for them before that)."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=initializer)


def end_now(pool: ProcessPoolExecutor) -> None:
    """Cancel the parts not started and end the workers now, not once each finishes the part it is on."""
    pool.shutdown(wait=False, cancel_futures=True)
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
    pool.shutdown(wait=True)


def lost_worker(what: str, kept: str) -> TinybenchError:
    """The error for a worker that died: what it was doing, and what is kept."""
    return TinybenchError(f"a worker process {what} ended without finishing (killed? out of memory?): {kept}",
                          hint="run the command again; with little memory, free some first")
