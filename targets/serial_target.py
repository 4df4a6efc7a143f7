"""`serial`: a microcontroller running a MLPerf Tiny-compliant firmware, over a serial port.

Any board flashed with a MLPerf Tiny reference-compatible firmware works unchanged.
Latency comes from the device's own timer (`m-lap-us`); the input is uploaded before
each window (untimed); outputs are the firmware's `m-results` values. Spin-up needs a
way to reset the board: DTR or RTS pulses, or a command (`st-flash reset`, `openocd …`,
or `kill -HUP <pid>` for the emulator).
"""

from __future__ import annotations

import shlex
import subprocess
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinybench.errors import TargetError
from tinybench.targets.contract import Capability, ClockSource, InferReport, LoadReport, SystemInfo, Target
from tinybench.targets.dut_session import DutSession, Timeouts
from tinybench.targets.eembc_protocol import DB_CHUNK_BYTES, INIT_DONE, Identity, ProtocolError
from tinybench.targets.io_manager import DirectTransport, InterfaceBoardTransport
from tinybench.targets.serial_link import DeviceReset, LineLink, LinkTimeout
from tinybench.workloads.model_artifact import ModelArtifact

RESET_METHODS = ("none", "dtr", "rts", "command", "place")
MODES = ("performance", "accuracy", "energy", "spinup", "stream")
BOARD_MODES = ("energy", "stream")  # modes that reach the DUT through the interface board
SWW_DUT_BAUD = 115200  # devices_sww.yaml: the sww01 DUT's rate in every mode


@dataclass(frozen=True)
class SerialOptions:
    """Options of the serial target (`-O key=value`)."""

    port: str = ""  # e.g. /dev/ttyACM0, COM5, or the emulator's pty (the DUT itself)
    baud: str = "115200"  # one rate, or per mode: "performance=115200,accuracy=921600,energy=9600,stream=115200"
    interface_port: str = ""  # the interface board, for energy and stream modes (DUT behind it)
    command_timeout_s: float = 5.0
    infer_timeout_s: float = 60.0  # first infer, before the time per inference is known
    reset: str = "none"  # none | dtr | rts | command
    reset_command: str = ""  # with reset=command
    reset_timeout_s: float = 10.0
    play_margin_s: float = 10.0  # stream mode: `play` may take the stream's length plus this
    chunk_bytes: int = DB_CHUNK_BYTES  # db chunk size; the maximum the 80-character limit allows
    place: str = ""  # a labgrid place instead of ports: its dut/interface ports over RFC 2217 (tinybench.targets.lab)
    coordinator: str = ""  # the labgrid coordinator of `place` (default: $LG_COORDINATOR)

    def __post_init__(self) -> None:
        if self.place and (self.port or self.interface_port):
            raise ValueError("give either a place (--place) or ports (--port, -O interface_port=…), not both")
        if not self.port and not self.interface_port and not self.place:
            raise ValueError("the serial target needs a port: -O port=/dev/ttyACM0 (or --port), "
                             "or -O interface_port=… for energy mode, or a labgrid place (--place NAME)")
        if self.reset == "place" and not self.place:
            raise ValueError("reset=place needs a labgrid place (--place NAME)")
        if self.reset not in RESET_METHODS:
            raise ValueError(f"reset must be one of {', '.join(RESET_METHODS)}")
        if self.reset == "command" and not self.reset_command.strip():
            raise ValueError("reset=command needs reset_command='…'")
        if not 0 < self.play_margin_s <= 3600:
            raise ValueError("play_margin_s must be in (0, 3600] seconds")
        if not 1 <= self.chunk_bytes <= DB_CHUNK_BYTES:
            raise ValueError(f"chunk_bytes must be 1..{DB_CHUNK_BYTES}")
        parse_baud(self.baud)

    def baud_for(self, mode: str) -> int:
        rates = parse_baud(self.baud)
        return rates.get(mode, rates.get("default", 115200))


def parse_baud(text: str) -> dict[str, int]:
    rates: dict[str, int] = {}
    for part in str(text).split(","):
        key, sep, value = part.partition("=")
        if not sep:
            key, value = "default", key
        key = key.strip()
        if key != "default" and key not in MODES:
            raise ValueError(f"unknown mode '{key}' in baud (modes: {', '.join(MODES)})")
        rate = int(value)
        if rate <= 0:
            raise ValueError(f"baud rate must be positive, got {rate}")
        rates[key] = rate
    return rates


class SerialTarget(Target):
    name = "serial"
    capabilities = frozenset({Capability.LATENCY, Capability.SPINUP, Capability.ENERGY})
    Options = SerialOptions
    warm_reload = False
    runs_flashed_model = True

    def __init__(self, options: SerialOptions) -> None:
        super().__init__(options)
        self._port: Any = None
        self._link: LineLink | None = None
        self._session: DutSession | None = None
        self.identity: Identity | None = None
        self._baud = options.baud_for("performance")
        self._us_per_inference: float | None = None
        self._board: InterfaceBoardTransport | None = None
        self._board_session: DutSession | None = None
        self._place = None  # a tinybench.targets.lab PlaceAttachment when options.place is set
        self._energy = not self._port_path("dut")  # with only an interface board, every mode goes through it
        self._board_mode = "energy"  # the mode whose DUT baud the board is set to
        self._dut_baud: int | None = None  # the board↔DUT rate the board confirmed
        self.upload_stats = {"bytes": 0, "commands": 0, "seconds": 0.0}

    def _port_path(self, role: str) -> str:
        """The DUT's ("dut") or interface board's ("interface") port: an option, or the place's RFC 2217 URL."""
        if not self.options.place:
            return self.options.port if role == "dut" else self.options.interface_port
        if self._place is None:
            from tinybench.targets.lab.attach import attach_place

            self._place = attach_place(self.options.place, self.options.coordinator)
        return self._place.port_url(role)

    # -- connection ------------------------------------------------------------------
    def _open(self) -> DutSession:
        if self._energy:
            return self._open_board()
        if self._session is not None:
            return self._session
        self._port = _open_port(self._port_path("dut"), self._baud)
        self._link = LineLink(self._port, f"{self._where('dut')} @ {self._baud} baud")
        self._link.drain(quiet_s=0.1)  # stale bytes and a boot banner in progress
        self._session = DutSession(DirectTransport(self._link),
                                   Timeouts(self.options.command_timeout_s, self.options.infer_timeout_s,
                                            self.options.reset_timeout_s))
        return self._session

    def _open_board(self) -> DutSession:
        """The DUT through the interface board (115200 baud to the host; the DUT's rate set on the board)."""
        if self._board_session is not None:
            return self._board_session
        interface_port = self._port_path("interface")
        if not interface_port:
            raise TargetError(f"{self._board_mode} mode needs the interface board: -O interface_port=/dev/ttyACM…",
                              hint="the DUT is powered by the monitor and talks through the board; in stream mode "
                                   "the board also plays the wav and records the DUT's pins")
        link = LineLink(_open_port(interface_port, 115200), f"interface board {self._where('interface')}")
        link.drain(quiet_s=0.1)
        board = InterfaceBoardTransport(link)
        dut_baud = self._board_baud(self._board_mode)
        current = self._call("checkbaud", board.check_baud)
        # Always set it, as the official runner does: the board stores the rate and reboots, which
        # also empties its queue of DUT output (a boot banner there would answer the first command).
        self._dut_baud = self._call("setbaud", lambda: board.set_baud(dut_baud or current))
        link.drain(quiet_s=0.5, limit_s=5.0)
        self._board = board
        self._board_session = DutSession(board, Timeouts(self.options.command_timeout_s, self.options.infer_timeout_s,
                                                         self.options.reset_timeout_s))
        return self._board_session

    def _board_baud(self, mode: str) -> int | None:
        """The board↔DUT rate a mode asks for: `--baud mode=N`, else 115200 for sww01's stream, else the board's."""
        if mode in parse_baud(self.options.baud):
            return self.options.baud_for(mode)
        return SWW_DUT_BAUD if mode == "stream" else None

    def _call(self, what: str, fn):  # noqa: ANN001, ANN202
        """Run a protocol step; translate link and protocol failures into one clear TargetError."""
        try:
            return fn()
        except DeviceReset as exc:
            for session in (self._session, self._board_session):  # the device lost its input buffer
                if session is not None:
                    session.loaded = None
            raise TargetError(f"{what}: {exc}", hint="the board rebooted: check its power supply and watchdog") from exc
        except LinkTimeout as exc:
            raise TargetError(f"{what}: {exc}", hint=f"check baud ({self._baud}), TX/RX wiring, and that the board "
                              "runs a MLPerf Tiny firmware") from exc
        except ProtocolError as exc:
            raise TargetError(f"{what}: {exc}") from exc
        except OSError as exc:
            lost = self._place.lost_reason() if self._place is not None else None
            raise TargetError(f"{what}: serial I/O error on {self._where('dut')}: {exc}"
                              + (f"; {lost}" if lost else "")) from exc

    def _where(self, role: str) -> str:
        """The port as the user knows it (a place's port by place and role, not by its ser2net URL)."""
        if self.options.place:
            return f"place {self.options.place} ({role})"
        return self.options.port if role == "dut" else self.options.interface_port

    def prepare_mode(self, mode: str) -> None:
        self._energy = mode in BOARD_MODES or not self._port_path("dut")
        if mode in BOARD_MODES:
            self._board_mode = mode
            wanted = self._board_baud(mode)
            if self._board is not None and wanted and wanted != self._dut_baud:  # opened for another mode
                board = self._board
                self._dut_baud = self._call("setbaud", lambda: board.set_baud(wanted))
                board.link.drain(quiet_s=0.5, limit_s=5.0)
        if self._energy:
            return
        baud = self.options.baud_for(mode)
        if baud != self._baud:
            self._baud = baud
            if self._port is not None:
                self._port.baudrate = baud
                if self._link:
                    self._link.description = f"{self._where('dut')} @ {baud} baud"
                    self._link.drain(quiet_s=0.1)

    # -- contract ----------------------------------------------------------------------
    def describe(self) -> SystemInfo:
        session = self._open()
        if self.identity is None:
            self.identity = self._call("handshake", session.handshake)
        ident = self.identity
        details = {"port": self.options.port, "baud": self._baud, "device": ident.device, "model_id": ident.model}
        if self._board is not None:
            details.update(interface_port=self._where("interface"), dut_baud=self._dut_baud)
        if self._place is not None:
            details.update(self._place.describe())
        return SystemInfo(
            target=self.name, name=f"{ident.vendor} (MLPerf Tiny firmware over {self._where('dut')})",
            processor="microcontroller (reported by firmware: " + ident.vendor + ")", clock_hz=None,
            runtime=ident.profile or "unknown firmware", runtime_version="",
            details=details,
        )

    def load(self, model: ModelArtifact) -> LoadReport:
        """Handshake and check that the flashed firmware is built for `model`'s workload."""
        from tinybench.workloads import get_workload

        if "sww-stream" in get_workload(model.workload).datasets and not self._port_path("dut"):
            self._board_mode = "stream"  # sww01 runs through the board at the sww DUT's rate from the first command
        session = self._open()
        t0 = time.perf_counter()
        self.identity = self._call("handshake", session.handshake)
        elapsed = time.perf_counter() - t0
        if self.identity.model != model.workload:
            raise TargetError(
                f"the device on {self._where('dut')} runs a firmware for '{self.identity.model}', "
                f"not for workload {model.workload}", hint=f"flash the {model.workload} firmware or pick that workload")
        return LoadReport(phases_s={"handshake": elapsed})

    def infer(self, tensor: np.ndarray, iterations: int, warmup: int, raw: np.ndarray | None = None) -> InferReport:
        if raw is None:
            raise TargetError("the serial target needs the raw input bytes (EEMBC .bin) of each sample")
        session = self._open()
        data = np.ascontiguousarray(raw).tobytes()
        if session.loaded != data:
            t0 = time.perf_counter()
            commands = self._call(f"upload of {len(data)} bytes", lambda: session.upload(data, self.options.chunk_bytes))
            self.upload_stats["seconds"] += time.perf_counter() - t0
            self.upload_stats["bytes"] += len(data)
            self.upload_stats["commands"] += commands
        timeout = None
        if self._us_per_inference is not None:  # device time × 3 + slack; never unbounded
            timeout = self.options.command_timeout_s + 3 * (iterations + warmup) * self._us_per_inference / 1e6
        t0 = time.perf_counter()
        reply = self._call(f"infer {iterations} {warmup}",
                           lambda: session.infer(iterations, warmup, timeout, want_timestamps=not self._energy))
        if self._energy:  # an energy build pulses a pin instead of printing times: the monitor times it
            wall = time.perf_counter() - t0
            self._us_per_inference = max(wall * 1e6 / (iterations + warmup), 1.0)
            return InferReport(outputs=[np.asarray(reply.results, dtype=np.float64)], iterations=iterations,
                               warmup=warmup, window_s=wall, clock_source=ClockSource.HOST_WALL_CLOCK,
                               postprocessed=True, extra={"note": "energy build: window timed by the power monitor"})
        elapsed_us = reply.elapsed_us
        self._us_per_inference = max(elapsed_us / iterations, 1.0)
        return InferReport(
            outputs=[np.asarray(reply.results, dtype=np.float64)], iterations=iterations, warmup=warmup,
            window_s=elapsed_us / 1e6, clock_source=ClockSource.DEVICE_TIMER, postprocessed=True,
            extra={"timestamps_us": list(reply.timestamps_us)},
        )

    def play_stream(self, wav_file: str, length_s: float, on_start=None, on_stop=None):  # noqa: ANN001, ANN201
        """sww01: play `wav_file` from the interface board's SD card to the DUT and return the board's
        records (:class:`~tinybench.targets.sww_serial.BoardRecords`); `on_start`/`on_stop` bracket
        the DUT's `start`/`stop` (the power monitor's window)."""
        from tinybench.targets.sww_serial import SwwBoardSession, SwwTimeouts

        self._open()
        if self._board is None:
            raise TargetError("stream mode needs the interface board: -O interface_port=/dev/ttyACM…",
                              hint="the board plays the wav from its SD card and timestamps the DUT's pins")
        timeouts = SwwTimeouts(command_s=self.options.command_timeout_s, play_margin_s=self.options.play_margin_s)
        session = SwwBoardSession(self._board, timeouts, self._dut_baud or SWW_DUT_BAUD)
        return self._call(f"stream {wav_file}", lambda: session.run_stream(wav_file, length_s, on_start, on_stop))

    def cold_start_unavailable(self) -> str | None:
        if self.options.reset == "none":
            return "no reset method configured (use -O reset=dtr|rts, or reset=command with reset_command='…')"
        return None

    def cold_start(self) -> LoadReport:
        """Reset the board; time from the reset to `m-init-done` on the host clock."""
        session = self._open()
        link = self._link
        link.drain(quiet_s=0.05, limit_s=0.5)
        t0 = time.perf_counter()
        t0 = self._pulse_reset() or t0  # a power cycle is timed from power-on, not from power-off
        self._call("reset", lambda: link.wait_for(INIT_DONE, self.options.reset_timeout_s, "the reset"))
        elapsed = time.perf_counter() - t0
        self._call("reset", lambda: link.collect("reset", self.options.command_timeout_s))  # its m-ready
        session.loaded = None
        return LoadReport(phases_s={"reset_to_init_done": elapsed})

    def _pulse_reset(self) -> float | None:
        method = self.options.reset
        if method == "place":  # the place's power port or reset line (labgrid drivers)
            self._port_path("dut")
            return self._place.reset()
        try:
            if method in ("dtr", "rts"):
                setattr(self._port, method, False)
                time.sleep(0.05)
                setattr(self._port, method, True)
            elif method == "command":
                proc = subprocess.run(shlex.split(self.options.reset_command), capture_output=True, text=True,
                                      timeout=self.options.reset_timeout_s, check=False)
                if proc.returncode != 0:
                    tail = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
                    raise TargetError(f"reset command failed: {tail}")
        except (OSError, subprocess.SubprocessError) as exc:
            raise TargetError(f"cannot reset the board with {method}: {exc}",
                              hint="this port may not carry modem lines; try reset=command") from exc
        return None

    def close(self) -> None:
        for port in (self._port, self._board.link.port if self._board else None):
            if port is not None:
                try:
                    port.close()
                except OSError:
                    pass
        self._port = self._link = self._session = self._board = self._board_session = None
        if self._place is not None:
            self._place.close()  # releases the place if this target acquired it
            self._place = None


def _open_port(path: str, baud: int):  # noqa: ANN202
    import serial  # pyserial

    try:  # a device path, or a URL: rfc2217://host:port?ign_set_control (a labgrid place), socket://…
        if "://" in path:  # pyserial's RFC 2217 client has no write timeout
            return serial.serial_for_url(path, baud, timeout=0.05)
        return serial.Serial(path, baud, timeout=0.05, write_timeout=5)
    except (serial.SerialException, OSError, ValueError) as exc:
        raise TargetError(f"cannot open serial port {path}: {exc}",
                          hint="check the port name (python -m serial.tools.list_ports) and permissions") from exc
