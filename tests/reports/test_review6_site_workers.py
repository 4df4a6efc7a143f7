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


@pytest.mark.slow
@pytest.mark.skipif((os.cpu_count() or 1) < 2 or not Path("/proc/self/task").is_dir(),
                    reason="run pages are made in worker processes only with 2 cores or more; /proc lists them")
def test_a_killed_page_worker_ends_the_build_with_an_error(tmp_path):
    seed = real_bundle(tmp_path / "seed")
    results, site = tmp_path / "results", tmp_path / "site"
    for number in range(RUNS):
        copy_bundle(seed, results, number)
    assert tb("report", "export", "--results", str(results), "--to", str(tmp_path / "t.csv")).returncode == 0
    log = open(tmp_path / "build.log", "w+")  # noqa: SIM115 - not a pipe: a stray worker would hold it open
    build = subprocess.Popen([sys.executable, "-m", "tinybench", "report", "build", "--results", str(results),
                              "--out", str(site)], stdout=log, stderr=subprocess.STDOUT, text=True)
    killed, started = None, time.monotonic()
    try:
        while killed is None and build.poll() is None and time.monotonic() - started < 120:
            if workers := _children(build.pid):  # (the index is up to date: only the run page workers fork)
                os.kill(workers[0], signal.SIGKILL)
                killed = workers[0]
            time.sleep(0.005)
        assert killed is not None, "the build made its run pages before a worker could be seen"
        build.wait(timeout=60)
    except subprocess.TimeoutExpired:
        for pid in _children(build.pid):
            os.kill(pid, signal.SIGKILL)
        build.kill()
        build.wait()
        pytest.fail("the build still waited 60 s after one of its page workers was killed")
    finally:
        log.seek(0)
        err = log.read()
        log.close()
    assert build.returncode != 0 and "Traceback" not in err, err[-2000:]
    assert "worker" in err and "ended" in err, err[-2000:]
    assert tb("report", "build", "--results", str(results), "--out", str(site)).returncode == 0  # then it builds
