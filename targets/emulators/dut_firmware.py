"""The MLPerf Tiny reference firmware's command handling, byte for byte, as pure code.

`feed(bytes)` returns the lines the firmware would print. It follows
`benchmark/api/internally_implemented.cpp`: `%`-terminated commands silently truncated
to 80 characters, `m-ready` after every command, the same error texts (typo included),
the `infer N W` sequence with `m-lap-us` stamps (performance build) or timestamp pulses
(energy build), and each workload's `m-results` format. Deliberate differences, both
where the reference has undefined behaviour: an empty command just answers `m-ready`,
and `db load N` beyond the buffer is refused instead of overflowing it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tinybench.targets.eembc_protocol import MAX_COMMAND_CHARS, TIMER_MODULUS
from tinybench.targets.emulators.cycle_model import CycleModel
from tinybench.targets.emulators.results_format import format_results
from tinybench.workloads.scoring import dequantized, reconstruction_mse
from tinybench.workloads.spec import Workload

PROFILE = "ULPMark for tinyML Firmware V0.0.1"


@dataclass
class FirmwareConfig:
    workload: Workload
    macs: int
    operators: int
    model_bytes: int
    cycle_model: CycleModel = field(default_factory=CycleModel)
    energy_mode: bool = False
    model_id: str | None = None  # what `profile` announces (default: the workload id)
    vendor: str = "tinybench-emulator"
    timer_start_us: int = 0  # where the 32-bit timer starts (near 2**32 to test wrap-around)
    time_scale: float = 0.0  # 0: compute takes no wall time; 1: sleep as long as the device would


class DutFirmware:
    """One emulated device. `run_model(int8 tensor) -> output tensor` is the real interpreter."""

    def __init__(self, config: FirmwareConfig, run_model: Callable[[np.ndarray], np.ndarray],
                 input_spec, output_spec, on_timestamp: Callable[[int], None] | None = None,  # noqa: ANN001
                 on_activity: Callable[[str, int], None] | None = None) -> None:
        self.config = config
        self.workload = config.workload
        self.run_model = run_model
        self.input_spec = input_spec
        self.output_spec = output_spec
        self.on_timestamp = on_timestamp  # energy build: the GPIO pulse, with the device time (µs)
        self.on_activity = on_activity  # ("active" | "idle" | "ts", unwrapped device µs), for a power monitor
        self.max_db = int(np.prod(self.workload.raw_input.shape)) * np.dtype(self.workload.raw_input.dtype).itemsize
        self.inference_us = config.cycle_model.inference_us(config.macs, config.operators)
        self._wall_origin = time.monotonic()
        self._compute_us = 0.0
        self._line = bytearray()
        self._truncated = False
        self.buffer = bytearray(self.max_db)
        self.db_size = 0
        self.db_index = 0
        self.last_results: str | None = None
        self.commands_seen = 0

    # -- clock -------------------------------------------------------------------------
    def device_time_us(self) -> int:
        """Microseconds since the timer's start value, not wrapped."""
        wall = (time.monotonic() - self._wall_origin) * 1e6 if self.config.time_scale else 0.0
        return int(self.config.timer_start_us + wall + self._compute_us)

    def now_us(self) -> int:
        """The 32-bit timer as the firmware prints it."""
        return self.device_time_us() % TIMER_MODULUS

    def _signal(self, kind: str) -> None:
        if self.on_activity:
            self.on_activity(kind, self.device_time_us())

    def _spend(self, microseconds: float) -> None:
        if self.config.time_scale:
            time.sleep(microseconds / 1e6 * self.config.time_scale)
            if self.config.time_scale != 1.0:
                self._compute_us += microseconds * (1.0 - self.config.time_scale)
        else:
            self._compute_us += microseconds

    def _timestamp(self) -> list[str]:
        now = self.now_us()
        self._signal("ts")
        if self.config.energy_mode:
            if self.on_timestamp:
                self.on_timestamp(now)
            return []
        return [f"m-lap-us-{now}"]

    # -- boot ----------------------------------------------------------------------------
    def boot_lines(self) -> list[str]:
        """What the device prints from reset to the end of initialisation."""
        mode = "energy" if self.config.energy_mode else "performance"
        lines = [f"m-timestamp-mode-{mode}"]
        lines += self._timestamp()
        return [*lines, "m-init-done", "m-ready"]

    def boot_us(self) -> float:
        return self.config.cycle_model.boot_us(self.config.model_bytes)

    # -- input -----------------------------------------------------------------------------
    @property
    def pending(self) -> bytes:
        """The command received so far (before its `%`)."""
        return bytes(self._line)

    def feed(self, data: bytes) -> list[str]:
        """Bytes from the host → lines the device prints."""
        out: list[str] = []
        for byte in data:
            if byte == ord("%"):
                command = self._line.decode("ascii", "replace")
                self._line.clear()
                self._truncated = False
                self.commands_seen += 1
                out += self.handle(command)
            elif len(self._line) < MAX_COMMAND_CHARS:
                self._line.append(byte)
            else:
                self._truncated = True  # ee_serial_callback saturates: the rest is dropped
        return out

    def handle(self, command: str) -> list[str]:
        tokens = command.split()
        if not tokens:
            return ["m-ready"]
        name, args = tokens[0], tokens[1:]
        handler = {"name": self._name, "timestamp": self._timestamp_cmd, "profile": self._profile,
                   "help": self._help, "db": self._db, "infer": self._infer, "results": self._results}.get(name)
        if handler is None:
            return [f"e-[Unknown command: {name}]", "m-ready"]
        return [*handler(args), "m-ready"]

    def _name(self, args: list[str]) -> list[str]:
        return [f"m-name-dut-[{self.config.vendor}]"]

    def _timestamp_cmd(self, args: list[str]) -> list[str]:
        return self._timestamp()

    def _profile(self, args: list[str]) -> list[str]:
        return [f"m-profile-[{PROFILE}]", f"m-model-[{self.config.model_id or self.workload.id}]"]

    def _help(self, args: list[str]) -> list[str]:
        return [f"{PROFILE}", "", "help         : Print this information", "name         : Print the name of the device",
                "timestsamp   : Generate a timetsamp", "db SUBCMD    : Manipulate a generic byte buffer",
                "  load N     : Allocate N bytes and set load counter", "  db HEX     : Load HEX bytes",
                "  print [N=16] [offset=0]", "             : Print N bytes at offset as hex",
                "infer N [W=0]: Load input, execute N inferences after W warmup loops",
                "results      : Return the result fp32 vector"]

    def _db(self, args: list[str]) -> list[str]:
        if not args:
            return ["e-[Command 'db' requires a subcommand]"]
        if args[0] == "load":
            if len(args) < 2:
                return ["e-[Command 'db load' requires the # of bytes]"]
            try:
                size = int(args[1])
            except ValueError:
                size = 0
            if size <= 0:
                return ["e-[Command 'db load' must be >0 bytes]"]
            if size > self.max_db:  # the reference prints this and overflows later; we refuse
                return [f"Supplied buffer size {size} exceeds maximum of {self.max_db}"]
            self.db_size, self.db_index = size, 0
            return [f"m-[Expecting {size} bytes]"]
        if args[0] == "print":
            data = self.buffer[: self.db_size]
            return ["m-buffer-" + "-".join(f"{b:02x}" for b in data[i:i + 8]) for i in range(0, len(data), 8)]
        digits = args[0]
        if len(digits) % 2:
            return ["e-[Insufficent number of hex digits]"]
        try:  # fast path; the loop below reproduces the firmware's partial writes on bad digits
            decoded = bytes.fromhex(digits)
        except ValueError:
            decoded = None
        if decoded is not None and self.db_index + len(decoded) < self.db_size and \
                self.db_index + len(decoded) <= self.max_db:
            self.buffer[self.db_index:self.db_index + len(decoded)] = decoded
            self.db_index += len(decoded)
            return []
        for i in range(0, len(digits), 2):
            pair = digits[i:i + 2]
            try:
                value = int(pair, 16)
            except ValueError:
                return [f"e-[Invalid hex digit '{pair}']"]
            if self.db_index < self.max_db:
                self.buffer[self.db_index] = value
            self.db_index += 1
            if self.db_index == self.db_size:
                return ["m-load-done"]
        return []

    def _infer(self, args: list[str]) -> list[str]:
        try:
            iterations = int(args[0]) if args else 1
            warmup = int(args[1]) if len(args) > 1 else 10
        except ValueError:
            iterations, warmup = 0, 0
        if iterations <= 0:
            return ["e-[Inference iterations must be >0]"]
        if warmup < 0:
            return ["e-[Inference warmup must be >=0]"]
        raw = np.frombuffer(bytes(self.buffer[: self.max_db]), dtype=self.workload.raw_input.dtype)
        raw = raw.reshape(self.workload.raw_input.shape)
        tensor = self.workload.to_model_input(raw, self.input_spec)  # th_load_tensor (untimed)
        output = self.run_model(tensor)
        out = [f"m-warmup-start-{warmup}"]
        self._signal("active")
        self._spend(warmup * self.inference_us)
        out += ["m-warmup-done", f"m-infer-start-{iterations}"]
        out += self._timestamp()
        self._spend(iterations * self.inference_us)
        out += self._timestamp()
        self._signal("idle")
        out.append("m-infer-done")
        if self.workload.metric == "auc":
            values = np.array([reconstruction_mse(raw, output, self.output_spec)])
        else:
            values = dequantized(output, self.output_spec)
        self.last_results = format_results(self.workload.id, values)
        return [*out, self.last_results]

    def _results(self, args: list[str]) -> list[str]:
        return [self.last_results] if self.last_results else []
