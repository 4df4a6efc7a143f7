"""Forked worker processes for independent parts of one job (checking bundles, rendering run pages).

A `concurrent.futures.ProcessPoolExecutor`, not a `multiprocessing.Pool`: when a worker dies (the out-of-memory
killer, `kill -9`) the executor is broken and every part still awaited raises, where a Pool replaced the worker and
waited for the lost part forever (the build or export never ended).

`end_now` ends the workers at once, those busy with a part too. It knows them from what the pool records itself —
each worker writes its pid into a pipe the pool owns, as it starts — not from the executor's private `_processes`
table, which CPython empties at the first `shutdown` (so an `end_now` that read it after cancelling ended nothing:
on Ctrl-C or a worker's error, the others went on with their parts after the command had ended)."""

from __future__ import annotations

import multiprocessing
import os
import struct
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from tinybench.errors import TinybenchError

__all__ = ["BrokenProcessPool", "end_now", "fork_pool", "lost_worker"]

_PID = struct.Struct("=q")  # one record per worker: fewer bytes than PIPE_BUF, so written whole (no lock needed)
TERM_GRACE_S = 2.0  # after SIGTERM, how long a worker may take to end before SIGKILL


class _ForkPool(ProcessPoolExecutor):
    """An executor whose workers report their pids through a pipe (`worker_pids` reads them)."""

    def __init__(self, workers: int, initializer: Callable[[], None] | None) -> None:
        self.pid_pipe: tuple[int, int] | None = os.pipe()
        os.set_blocking(self.pid_pipe[0], False)
        self.seen_pids: set[int] = set()
        super().__init__(workers, mp_context=multiprocessing.get_context("fork"), initializer=_started,
                         initargs=(self.pid_pipe[1], initializer))

    def worker_pids(self) -> set[int]:
        """The pids of every worker started so far (those whose start is recorded)."""
        while self.pid_pipe is not None:
            try:
                data = os.read(self.pid_pipe[0], 64 * _PID.size)
            except BlockingIOError:
                break
            if not data:
                break
            self.seen_pids.update(pid for (pid,) in _PID.iter_unpack(data))
        return self.seen_pids

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        super().shutdown(wait=wait, cancel_futures=cancel_futures)
        if wait and self.pid_pipe is not None:
            self.worker_pids()
            pipe, self.pid_pipe = self.pid_pipe, None
            for fd in pipe:
                os.close(fd)


def _started(pid_fd: int, initializer: Callable[[], None] | None) -> None:
    """In each worker as it starts: its pid into the pool's pipe, then the caller's initializer."""
    os.write(pid_fd, _PID.pack(os.getpid()))
    if initializer is not None:
        initializer()


def fork_pool(workers: int, initializer: Callable[[], None] | None = None) -> ProcessPoolExecutor:
    """`workers` forked processes; with fork every one is started at the first submit (they inherit what the
    caller set up for them before that)."""
    return _ForkPool(workers, initializer)


def end_now(pool: ProcessPoolExecutor) -> None:
    """Cancel the parts not started and end the workers now, not once each finishes the part it is on: SIGTERM,
    then SIGKILL to those still running after TERM_GRACE_S. Only live children of this process are signalled
    (a pid is not reused before its process is reaped); the executor reaps them. Harmless on a pool ended."""
    pids = pool.worker_pids() if isinstance(pool, _ForkPool) else set()
    ours = [child for child in multiprocessing.active_children() if child.pid in pids]
    for child in ours:
        child.terminate()
    for child in _running_after(ours, TERM_GRACE_S):
        child.kill()
    pool.shutdown(wait=True, cancel_futures=True)  # the executor sees its workers gone: nothing waits for a part


def _running_after(children: list[multiprocessing.process.BaseProcess], seconds: float) -> list:
    """Those of `children` that have not ended within `seconds` (their sentinels: nothing is reaped here)."""
    from multiprocessing.connection import wait

    running = {child.sentinel: child for child in children}
    deadline = time.monotonic() + seconds
    while running and (left := deadline - time.monotonic()) > 0:
        for ended in wait(list(running), left):
            running.pop(ended)
    return list(running.values())


def lost_worker(what: str, kept: str) -> TinybenchError:
    """The error for a worker that died: what it was doing, and what is kept."""
    return TinybenchError(f"a worker process {what} ended without finishing (killed? out of memory?): {kept}",
                          hint="run the command again; with little memory, free some first")
