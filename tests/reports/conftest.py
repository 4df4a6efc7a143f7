"""Valid submissions built on the fly by real runs, and the harness for hostile inputs.

- `closed_submission`: a closed-division kws01 submission from the host target (the official
  reference model, whose file the checker hashes; full-rules performance with per-inference
  times, spin-up, accuracy on 12 copies of the official sample, whose label the reference
  model gets right) — about a minute, once per session.
- `serial_submission`: the same workload on the DUT emulator over real ptys (performance and
  accuracy with the performance firmware; energy through the interface board with the LPM01A
  emulator): the division is *declared* (a device runs its own flashed model). Device time
  is simulated, so full-rules windows take seconds.
- `run_isolated`: runs Python code in a subprocess with its own cwd, HOME and TMPDIR, reads
  its peak RSS (`os.wait4`), and checks that nothing appeared outside the folders it may write.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

MEMORY_LIMIT_MB = 300
HWM_PROBE = """import atexit as _a, os as _o
def _hwm():
    for _l in open('/proc/self/status'):
        if _l.startswith('VmHWM'):
            open(_o.path.join(_o.environ['TMPDIR'], 'hwm'), 'w').write(_l.split()[1])
_a.register(_hwm)
"""


def tb(*args: str, env: dict | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tinybench", *args], capture_output=True, text=True,
                          env=env or os.environ.copy(), timeout=timeout)


def kws_dataset(folder: Path, reference_dir: Path, count: int = 12) -> Path:
    """`count` copies of the official KWS sample, labelled as the reference model classifies it (5, "on")."""
    folder.mkdir(parents=True, exist_ok=True)
    sample = (reference_dir / "samples" / "kws01_sample_input_int8.bin").read_bytes()
    rows = []
    for i in range(count):
        (folder / f"s{i}.bin").write_bytes(sample)
        rows.append(f"s{i}.bin,12,5")
    (folder / "y_labels.csv").write_text("\n".join(rows) + "\n")
    return folder


def unpack(archive: Path, work: Path) -> Path:
    with tarfile.open(archive) as tar:
        tar.extractall(work, filter="data")
    return work


def refresh_manifest(root: Path) -> None:
    """Make submission.json list every file with its current hash (a forger would do the same)."""
    manifest = json.loads((root / "submission.json").read_text())
    manifest["files"] = {p.relative_to(root).as_posix(): {"sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
                                                          "bytes": p.stat().st_size}
                         for p in sorted(root.rglob("*")) if p.is_file() and p.name != "submission.json"}
    (root / "submission.json").write_text(json.dumps(manifest))


def repack(archive_or_folder: Path, out: Path, edit) -> Path:  # noqa: ANN001
    """Unpack a real submission, let `edit(root)` change it, refresh the manifest, pack it again."""
    work = Path(tempfile.mkdtemp(prefix="repack-", dir=out.parent))
    if Path(archive_or_folder).is_dir():
        shutil.copytree(archive_or_folder, work, dirs_exist_ok=True)
    else:
        unpack(archive_or_folder, work)
    edit(work)
    refresh_manifest(work)
    with tarfile.open(out, "w:gz") as tar:
        for path in sorted(work.rglob("*")):
            tar.add(path, arcname=path.relative_to(work).as_posix(), recursive=False)
    shutil.rmtree(work)
    return out


def mode_folder(root: Path, mode: str, model: str = "kws") -> Path:
    return next(p for p in root.rglob(f"{model}/{mode}") if p.is_dir())


@dataclass
class Built:
    archive: Path
    folder: Path  # unpacked, read-only for tests: copy before editing
    env: dict


@pytest.fixture(scope="session")
def closed_submission(tmp_path_factory, reference_dir) -> Built:
    root = tmp_path_factory.mktemp("closed")
    env = dict(os.environ, TINYBENCH_REFERENCE_DIR=str(reference_dir), TINYBENCH_CACHE=str(root / "cache"))
    data = kws_dataset(root / "data", reference_dir)
    proc = tb("run", "-w", "kws01", "--model", "reference", "--no-download", "-m", "performance,accuracy,spinup",
              "--data", str(data), "--out", str(root / "results"), env=env)
    assert proc.returncode == 0, proc.stderr
    archive = root / "acme-r1.tar.gz"
    proc = tb("submit", "pack", "--results", str(root / "results"), "--org", "Acme", "--out", str(archive), env=env)
    assert proc.returncode == 0, proc.stderr
    return Built(archive, unpack(archive, root / "unpacked"), env)


class Emulator:
    """`tinybench emulate …` in its own process: `.info` holds what it printed (pty, pid, dut-socket)."""

    def __init__(self, env: dict, *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "tinybench", "emulate", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)
        self.info: dict[str, str] = {}
        wanted = {"pty", "pid"} | ({"dut-socket"} if args[0] == "lpm01a" else set())
        while not wanted <= set(self.info):
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"emulator did not start: {self.proc.stderr.read()}")
            key, _, value = line.partition(": ")
            self.info[key] = value.strip()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="session")
def serial_submission(tmp_path_factory, reference_dir) -> Built:
    root = tmp_path_factory.mktemp("serial")
    env = dict(os.environ, TINYBENCH_REFERENCE_DIR=str(reference_dir), TINYBENCH_CACHE=str(root / "cache"))
    data = kws_dataset(root / "data", reference_dir)
    emulators = []
    try:
        dut = Emulator(env, "dut", "-w", "kws01", "--model", "reference", "--time-scale", "0")
        emulators.append(dut)
        proc = tb("run", "-t", "serial", "-O", f"port={dut.info['pty']}", "-w", "kws01", "--model", "reference",
                  "--no-download", "-m", "performance,accuracy", "--data", str(data), "--out", str(root / "results"),
                  env=env)
        assert proc.returncode == 0, proc.stderr
        lpm = Emulator(env, "lpm01a", "--time-scale", "0")  # one virtual clock for monitor and board
        emulators.append(lpm)
        board = Emulator(env, "dut", "-w", "kws01", "--model", "reference", "--mode", "energy", "--interface-board",
                         "--monitor-socket", lpm.info["dut-socket"], "--time-scale", "0")
        emulators.append(board)
        proc = tb("run", "-t", "serial", "-O", f"interface_port={board.info['pty']}", "-w", "kws01", "--model",
                  "reference", "--no-download", "-m", "energy", "--power", "lpm01a", "-P", f"port={lpm.info['pty']}",
                  "-P", "voltage_v=1.8", "--out", str(root / "results"), env=env)
        assert proc.returncode == 0, proc.stderr
    finally:
        for emulator in emulators:
            emulator.stop()
    archive = root / "device-r1.tar.gz"
    proc = tb("submit", "pack", "--results", str(root / "results"), "--org", "DeviceCo", "--out", str(archive),
              env=env)
    assert proc.returncode == 0, proc.stderr
    return Built(archive, unpack(archive, root / "unpacked"), env)


@dataclass
class Isolated:
    stdout: str
    stderr: str
    returncode: int
    peak_rss_mb: float


@pytest.fixture
def escape_name():
    """A unique file name hostile inputs try to write outside; the test fails if it appears anywhere we look."""
    name = f"tinybench-escape-{uuid.uuid4().hex}.txt"
    yield name
    for folder in {Path.cwd(), Path("/tmp"), Path(tempfile.gettempdir()), Path.home(), Path("/")}:
        assert not (folder / name).exists(), f"{folder / name} was written outside the temporary directory"


def _tree(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


@pytest.fixture
def run_isolated(tmp_path):
    """run(code, writable=()) → Isolated: `code` runs in a fresh Python with cwd/HOME/TMPDIR in a sandbox folder.

    Asserts peak RSS < 300 MB, no traceback on stderr, and that apart from `writable` folders (and
    TMPDIR, which the process cleans) nothing new appeared under the test's temporary directory.
    """

    def run(code: str, writable: tuple[Path, ...] = (), timeout: float = 900) -> Isolated:
        sandbox = tmp_path / f"sandbox-{uuid.uuid4().hex[:6]}"
        (sandbox / "tmp").mkdir(parents=True)
        before = _tree(tmp_path)
        env = dict(os.environ, HOME=str(sandbox), TMPDIR=str(sandbox / "tmp"), PYTHONDONTWRITEBYTECODE="1")
        with open(sandbox / "tmp" / "out", "w+") as out, open(sandbox / "tmp" / "err", "w+") as err:
            proc = subprocess.Popen([sys.executable, "-c", HWM_PROBE + textwrap.dedent(code)], cwd=sandbox, env=env,
                                    stdout=out, stderr=err, text=True)
            watchdog = threading.Timer(timeout, proc.kill)
            watchdog.start()
            _, status, usage = os.wait4(proc.pid, 0)  # reaped here, so its own rusage is ours to read
            watchdog.cancel()
            proc.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read()
        (sandbox / "tmp" / "out").unlink()
        (sandbox / "tmp" / "err").unlink()
        # the process's own high-water mark (VmHWM, reset at exec); ru_maxrss would include the RSS of the
        # forked pytest before exec
        hwm = sandbox / "tmp" / "hwm"
        peak = int(hwm.read_text()) / 1024 if hwm.exists() else usage.ru_maxrss / 1024
        hwm.unlink(missing_ok=True)
        after = _tree(tmp_path)
        allowed = [sandbox.relative_to(tmp_path).as_posix() + "/tmp"] + \
                  [Path(w).relative_to(tmp_path).as_posix() for w in writable]
        new = {p for p in after - before
               if not any(p == a or p.startswith(a + "/") for a in allowed) and p != sandbox.name
               and p != sandbox.name + "/tmp"}
        assert not new, f"written outside the allowed folders: {sorted(new)[:5]}"
        assert not any((sandbox / "tmp").iterdir()), "temporary files left behind"
        assert "Traceback" not in stderr, stderr[-3000:]
        assert peak < MEMORY_LIMIT_MB, f"peak RSS {peak:.0f} MB (limit {MEMORY_LIMIT_MB} MB)"
        return Isolated(stdout, stderr, proc.returncode, peak)

    return run


@pytest.fixture
def page(browser):
    """A fresh Chromium page that records console errors, page errors and any request leaving file://."""
    context = browser.new_context()
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: page.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: page.problems.append(f"page error: {e}"))
    page.on("request", lambda r: page.problems.append(f"fetched {r.url}") if not r.url.startswith("file://") else None)
    yield page
    context.close()
