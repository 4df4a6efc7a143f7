"""worker_pool: `end_now` ends the workers at once — a worker busy with a long part too — knowing them from what the
pool itself recorded (each worker's pid, written by the pool's initializer), not from the executor's private
`_processes` table (CPython's internals: renamed or restructured in any release, and then `end_now` silently ended
nothing and waited for every part in progress)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tinybench.reports.worker_pool import end_now, fork_pool

pytestmark = pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(),
                                reason="the pools fork")


def _long_part(marker: str) -> int:
    Path(marker).write_text(str(os.getpid()))
    time.sleep(30)
    return os.getpid()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").is_file() and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def _busy_pool(tmp_path: Path, part=None):  # noqa: ANN001, ANN202
    pool = fork_pool(2)
    marker = tmp_path / "started"
    pool.submit(part or _long_part, str(marker))
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert marker.exists(), "the worker never started its part"
    time.sleep(0.05)  # (the pid is written before the file is closed)
    return pool, int(marker.read_text())


@pytest.mark.parametrize("hidden", [False, True], ids=["as-is", "private-table-hidden"])
def test_end_now_ends_a_busy_worker_at_once_without_the_executor_s_private_table(tmp_path, hidden):
    pool, busy = _busy_pool(tmp_path)
    if hidden:  # as if CPython kept its workers elsewhere (the executor's own threads hold their own reference)
        pool._processes = {}
    started = time.monotonic()
    end_now(pool)
    took = time.monotonic() - started
    assert took < 10, f"end_now waited {took:.1f} s for the part in progress"
    deadline = time.monotonic() + 10
    while _alive(busy) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _alive(busy), "the busy worker is still running"


def _mark_initialized(folder: str) -> None:
    Path(folder, f"init-{os.getpid()}").write_text("")


def test_the_caller_s_initializer_still_runs_in_every_worker(tmp_path):
    pool = fork_pool(2, initializer=lambda: _mark_initialized(str(tmp_path)))
    try:
        pids = set(pool.map(_pid, range(20)))
    finally:
        pool.shutdown(wait=True)
    assert pids and {int(p.name.split("-")[1]) for p in tmp_path.glob("init-*")} >= pids


def _pid(_: int) -> int:
    time.sleep(0.01)
    return os.getpid()


def test_end_now_on_a_pool_that_never_started_a_worker_and_twice_is_harmless():
    pool = fork_pool(2)
    end_now(pool)
    end_now(pool)


def _deaf_part(marker: str) -> int:
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    return _long_part(marker)


def test_a_worker_that_ignores_sigterm_is_killed_after_the_grace(tmp_path):
    from tinybench.reports import worker_pool

    pool, busy = _busy_pool(tmp_path, _deaf_part)
    started = time.monotonic()
    end_now(pool)
    took = time.monotonic() - started
    assert worker_pool.TERM_GRACE_S <= took < worker_pool.TERM_GRACE_S + 8, took
    assert not _alive(busy)
