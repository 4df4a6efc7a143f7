"""A whole labgrid lab on one machine, without hardware.

A real `labgrid-coordinator`, one real `labgrid-exporter` per emulated host (each exporting
its boards' ports through Debian's ser2net, started on acquire), and per board an
:mod:`~tinybench.targets.lab.emulated_board` (stable pty, flashable DUT emulator, HTTP power
switch exported as a `NetworkPowerPort`). An energy board adds `tinybench emulate lpm01a`,
exported as the place's `monitor` port, with the DUT behind an interface board.

Every process runs in its own process group (ser2net children included) so `stop()` can end
all of it; the try-out script, the tests and the benchmark share this code.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class BoardSpec:
    """One emulated board: the place it becomes, the host that exports it, its first firmware."""

    place: str
    host: str
    workload: str
    emulator_args: tuple[str, ...] = ("--time-scale", "0")
    energy: bool = False  # DUT (energy build) behind an interface board, powered by an LPM01A emulator
    tags: tuple[tuple[str, str], ...] = ()


@dataclass
class RunningBoard:
    spec: BoardSpec
    pty: str
    control: str
    process: subprocess.Popen
    monitor_pty: str | None = None
    monitor: subprocess.Popen | None = None

    @property
    def flash_command(self) -> str:
        return f"{sys.executable} -m tinybench.targets.lab.emulated_board flash --control {self.control} -w {{workload}}"


@dataclass
class EmulatedLab:
    workdir: Path
    boards: list[BoardSpec]
    env: dict[str, str] | None = None
    address: str = ""
    running: dict[str, RunningBoard] = field(default_factory=dict)
    exporters: dict[str, subprocess.Popen] = field(default_factory=dict)
    coordinator: subprocess.Popen | None = None

    # -- start -------------------------------------------------------------------------
    def start(self) -> EmulatedLab:
        if shutil.which("ser2net") is None and not Path("/usr/sbin/ser2net").exists():
            raise RuntimeError("ser2net is not installed (Debian: apt-get install ser2net)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            self._start_boards()
            self._start_coordinator()
            for host in sorted({b.host for b in self.boards}):
                self.start_exporter(host)
            self._create_places()
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, name: str, command: list[str], cwd: Path | None = None) -> tuple[subprocess.Popen, Path]:
        log = self.workdir / f"{name}.log"
        with log.open("ab") as out:
            proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    cwd=cwd, env=self.env, start_new_session=True)
        return proc, log

    def _start_boards(self) -> None:
        started = []
        for spec in self.boards:
            monitor = monitor_info = None
            args = list(spec.emulator_args)
            if spec.energy:  # the monitor follows the DUT's clock: real time, or the same virtual clock
                scale = args[args.index("--time-scale") + 1] if "--time-scale" in args[:-1] else "1"
                # On the virtual clock the stream comes in bursts no real instrument sends; a lab link (ser2net,
                # RFC 2217) cannot drain them as fast as a local pty, so give the instrument room to buffer them.
                burst = ["--buffer-bytes", str(1 << 24)] if float(scale) == 0 else []
                monitor, log = self._spawn(f"{spec.place}-lpm01a", [sys.executable, "-m", "tinybench", "emulate",
                                                                     "lpm01a", "--time-scale", scale, *burst])
                monitor_info = _wait_fields(log, monitor, ("pty", "dut-socket"))
                args += ["--mode", "energy", "--interface-board", "--monitor-socket", monitor_info["dut-socket"]]
            proc, log = self._spawn(spec.place, [sys.executable, "-m", "tinybench.targets.lab.emulated_board",
                                                 "serve", "-w", spec.workload, "--", *args])
            started.append((spec, proc, log, monitor, monitor_info))
        for spec, proc, log, monitor, monitor_info in started:  # they start in parallel
            info = _wait_fields(log, proc, ("pty", "control"))
            self.running[spec.place] = RunningBoard(spec, info["pty"], info["control"], proc,
                                                    monitor_info["pty"] if monitor_info else None, monitor)

    def _start_coordinator(self) -> None:
        folder = self.workdir / "coordinator"  # it writes places.yaml / resources.yaml there
        folder.mkdir(exist_ok=True)
        self.coordinator, log = self._spawn("coordinator", [_tool("labgrid-coordinator"), "-l", "127.0.0.1:0"],
                                            cwd=folder)
        line = _wait_line(log, self.coordinator, "listening on ")
        self.address = line.split("listening on ", 1)[1].strip()

    def exporter_config(self, host: str) -> dict:
        config: dict = {}
        for spec in self.boards:
            if spec.host != host:
                continue
            board = self.running[spec.place]
            group = {"interface" if spec.energy else "dut": {"cls": "RawSerialPort", "port": board.pty,
                                                               "speed": 115200}}
            if board.monitor_pty:
                group["monitor"] = {"cls": "RawSerialPort", "port": board.monitor_pty, "speed": 115200}
            group["power"] = {"cls": "NetworkPowerPort", "model": "simplerest",
                              "host": f"{board.control}/power/{{value}}", "index": 0}
            config[spec.place] = group
        return config

    def start_exporter(self, host: str) -> None:
        """(Re)start the exporter of `host` (the coordinator must be up: an exporter without one exits)."""
        path = self.workdir / f"exporter-{host}.yaml"
        path.write_text(json.dumps(self.exporter_config(host), indent=2))  # JSON is YAML
        proc, log = self._spawn(f"exporter-{host}", [_tool("labgrid-exporter"), "-c", self.address, "--name", host,
                                                     "--hostname", "127.0.0.1", str(path)])
        offset = log.stat().st_size if log.exists() else 0
        self.exporters[host] = proc
        _wait_line(log, proc, "Exporter ready", offset=offset if offset else 0)

    def _create_places(self) -> None:
        from tinybench.targets.lab.coordinator import CoordinatorClient

        with CoordinatorClient(self.address) as client:
            deadline = time.monotonic() + START_TIMEOUT_S
            while set(self.exporters) - client.exporters():
                if time.monotonic() > deadline:
                    raise RuntimeError("the exporters' resources never reached the coordinator")
                time.sleep(0.1)
            for spec in self.boards:
                tags = {"host": spec.host, "kind": "energy" if spec.energy else "emulated", **dict(spec.tags)}
                client.add_place(spec.place, [(f"{spec.host}/{spec.place}/*", None)], tags)

    # -- use ---------------------------------------------------------------------------
    def lab_toml(self, workloads: list[str], flash: bool = True) -> str:
        """A lab description for these places: every place may run `workloads` (flashed on demand,
        or, without `flash`, whatever each board was started with)."""
        lines = [f'coordinator = "{self.address}"', "", "[defaults]",
                 f"workloads = {json.dumps(workloads)}", 'reset = "place"', ""]
        for place, board in self.running.items():
            lines.append(f"[places.{place}]")
            if flash:
                lines.append(f"flash = {json.dumps(board.flash_command)}")
            if board.spec.energy:
                lines += ['power = "lpm01a"', 'power_options = { voltage_v = "1.8" }']
            lines.append("")
        return "\n".join(lines)

    def kill_exporter(self, host: str, sig: int = signal.SIGTERM) -> None:
        """Stop a host's exporter (SIGTERM: it stops its ser2net; its process group gets `sig`)."""
        proc = self.exporters[host]
        _signal_group(proc, sig)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait(5)

    # -- stop --------------------------------------------------------------------------
    def stop(self) -> None:
        procs = list(self.exporters.values()) + ([self.coordinator] if self.coordinator else [])
        for board in self.running.values():
            procs += [board.process] + ([board.monitor] if board.monitor else [])
        for proc in procs:
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in procs:
            try:
                proc.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(proc, signal.SIGKILL)  # whatever is left of the group (ser2net children)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                pass

    def __enter__(self) -> EmulatedLab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _tool(name: str) -> str:
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found: install the lab extra (pip install 'tinybench[lab]')")
    return found


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)  # start_new_session: the group id is the leader's pid
    except (ProcessLookupError, PermissionError):
        pass


def _wait_line(log: Path, proc: subprocess.Popen, wanted: str, offset: int = 0,
               timeout_s: float = START_TIMEOUT_S) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")[offset:] if log.exists() else ""
        for line in text.splitlines():
            if wanted in line:
                return line
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited ({proc.returncode}) before '{wanted}': {text[-800:]}")
        time.sleep(0.05)
    raise RuntimeError(f"no '{wanted}' from {Path(proc.args[0]).name} within {timeout_s:g} s (log: {log})")


def _wait_fields(log: Path, proc: subprocess.Popen, keys: tuple[str, ...]) -> dict[str, str]:
    for key in keys:
        _wait_line(log, proc, f"{key}: ")
    fields = {}
    for line in log.read_text(errors="replace").splitlines():
        key, sep, value = line.partition(": ")
        if sep and key in keys:
            fields[key] = value.strip()
    return fields
