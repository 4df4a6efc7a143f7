"""Review 6: the run pages of a large build are made by forked worker processes. One of them killed (the kernel's
out-of-memory killer, a `kill -9`) left `tinybench report build` waiting forever: multiprocessing.Pool replaces
a dead worker but never answers for the pages it was making. Reproduced by hand over 3,000 bundles: no end 90 s
after the kill. A build must end, with an error that says what happened, and leave the site as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import tb
from .scale_bundles import copy_bundle, real_bundle

RUNS = 1200  # forked workers from 200 run pages; enough pages that a worker is still busy when it is killed


def _children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _kill_a_worker(tmp_path: Path, *args: str) -> tuple[int, str]:
    """Run `tinybench *args`, SIGKILL its first worker process as soon as there is one; its exit code and output."""
    log = open(tmp_path / "command.log", "w+")  # noqa: SIM115 - not a pipe: a stray worker would hold it open
    command = subprocess.Popen([sys.executable, "-m", "tinybench", *args], stdout=log, stderr=subprocess.STDOUT,
                               text=True)
    killed, started = None, time.monotonic()
    try:
        while killed is None and command.poll() is None and time.monotonic() - started < 120:
            if workers := _children(command.pid):
                os.kill(workers[0], signal.SIGKILL)
                killed = workers[0]
            time.sleep(0.005)
        assert killed is not None, "the command ended before a worker could be seen"
        command.wait(timeout=60)
    except subprocess.TimeoutExpired:
        for pid in _children(command.pid):
            os.kill(pid, signal.SIGKILL)
        command.kill()
        command.wait()
        pytest.fail(f"tinybench {args[0]} {args[1]} still waited 60 s after one of its workers was killed")
    finally:
        log.seek(0)
        output = log.read()
        log.close()
    return command.returncode, output


@pytest.mark.slow
@pytest.mark.skipif((os.cpu_count() or 1) < 2 or not Path("/proc/self/task").is_dir(),
                    reason="run pages are made in worker processes only with 2 cores or more; /proc lists them")
def test_a_killed_page_worker_ends_the_build_with_an_error(tmp_path):
    seed = real_bundle(tmp_path / "seed")
    results, site = tmp_path / "results", tmp_path / "site"
    for number in range(RUNS):
        copy_bundle(seed, results, number)
    assert tb("report", "export", "--results", str(results), "--to", str(tmp_path / "t.csv")).returncode == 0
    code, err = _kill_a_worker(tmp_path, "report", "build", "--results", str(results), "--out", str(site))
    assert code != 0 and "Traceback" not in err, err[-2000:]
    assert "worker" in err and "ended" in err, err[-2000:]
    assert tb("report", "build", "--results", str(results), "--out", str(site)).returncode == 0  # then it builds


@pytest.mark.slow
@pytest.mark.skipif((os.cpu_count() or 1) < 2 or not Path("/proc/self/task").is_dir(),
                    reason="bundles are checked in worker processes only with 2 cores or more; /proc lists them")
def test_a_killed_check_worker_ends_the_export_with_an_error_and_the_next_export_has_every_bundle(tmp_path):
    """The same with the index's check workers (a first `report export` of many bundles): it waited forever too."""
    seed = real_bundle(tmp_path / "seed")
    results = tmp_path / "results"
    for number in range(RUNS):
        copy_bundle(seed, results, number)
    code, err = _kill_a_worker(tmp_path, "report", "export", "--results", str(results), "--to", str(tmp_path / "t.csv"))
    assert code != 0 and "Traceback" not in err and "worker" in err and "ended" in err, err[-2000:]
    done = tb("report", "export", "--results", str(results), "--to", str(tmp_path / "t.csv"))
    assert done.returncode == 0 and f"from {RUNS} bundles" in done.stdout, (done.stdout, done.stderr[-1000:])


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="run pages are made in worker processes only with 2 cores or more")
@pytest.mark.parametrize("attempt", range(5))
def test_workers_that_die_while_parts_are_handed_out_end_with_the_error_not_a_traceback(tmp_path, monkeypatch, attempt):
    """Found by the lead on a clean clone: a worker killed while the build was still handing out parts made
    `submit` raise BrokenProcessPool out of start_run_pages — a traceback instead of the one-line error. Workers
    here die as they start (real forked processes), so the break is met in `submit` or in `wait`, whichever the
    executor notices first: both must give the same error."""
    from tinybench.errors import TinybenchError
    from tinybench.reports import site_pages

    monkeypatch.setattr(site_pages, "_worker_memory", lambda: os._exit(1))
    refs = [(f"run{i}", None, None, None, {}) for i in range(100_000)]  # 200 parts to hand out
    with pytest.raises(TinybenchError, match="ended without finishing"):
        site_pages.start_run_pages(tmp_path, refs, {})()
