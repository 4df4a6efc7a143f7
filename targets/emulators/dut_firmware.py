"""The MLPerf Tiny reference firmware's command handling, byte for byte, as pure code.

`feed(bytes)` returns what the firmware prints, as exact text pieces and timing items
(:mod:`~tinybench.targets.emulators.emulator_clock`). It follows `benchmark/api`
(`internally_implemented.cpp`) and the reference submissions' `submitter_implemented`
(buffer sizes, `th_load_tensor`, `th_results`, boot messages): `%`-terminated commands
truncated to 80 characters and cut at a NUL, `strtok`/`atoi` parsing, `m-ready` after
every command, the same texts (typos, a bare `\\n` where the firmware has one), `db
print` with its extra empty line, the `Input db has … elemented` warning before an
inference on a short input, and the `infer N W` sequence with `m-lap-us` stamps
(performance build) or timestamp pulses (energy build).

Deliberate differences, only where the reference has undefined behaviour: an empty
command answers `m-ready` (the reference passes NULL to `strncmp`); `db` bytes beyond
the buffer are dropped instead of overwriting memory, and `db print` stops at the
buffer's end.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tinybench.targets.eembc_protocol import MAX_COMMAND_CHARS, TIMER_MODULUS
from tinybench.targets.emulators.cycle_model import CycleModel
from tinybench.targets.emulators.emulator_clock import AwaitPulse, EmulatorClock, Out, Until
from tinybench.targets.emulators.firmware_libc import atoi, c_string, strtok_spaces, to_int32, to_size_t
from tinybench.targets.emulators.results_format import format_results
from tinybench.workloads.scoring import dequantized, reconstruction_mse
from tinybench.workloads.spec import Workload

PROFILE = "ULPMark for tinyML Firmware V0.0.1"
CRLF = "\r\n"
READY = "m-ready" + CRLF
# MAX_DB_INPUT_SIZE of each reference submission's api/submitter_implemented.h
DB_CAPACITY = {"kws01": 49 * 10 * 1, "ic01": 32 * 32 * 3, "ic02": 32 * 32 * 3, "vww01": 96 * 96 * 3,
               "ad01": 5 * 128 * 4 * 2}
BOOT_MESSAGES = {"ad01": "Initialized" + CRLF}  # printed by the reference's th_final_initialize
HELP_TEXT = "".join(line + CRLF for line in (
    PROFILE, "",
    "help         : Print this information",
    "name         : Print the name of the device",
    "timestsamp   : Generate a timetsamp",
    "db SUBCMD    : Manipulate a generic byte buffer",
    "  load N     : Allocate N bytes and set load counter",
    "  db HH[HH]* : Load 8-bit hex byte(s) until N bytes",
    "  print [N=16] [offset=0]",
    "             : Print N bytes at offset as hex",
    "infer N [W=0]: Load input, execute N inferences after W warmup loops",
    "results      : Return the result fp32 vector",
))
_HEX = re.compile(r"[0-9a-fA-F]*")


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


class DutFirmware:
    """One emulated device. `run_model(int8 tensor) -> output tensor` is the real interpreter.

    `monitor` (optional) is told the device's supply state and timestamp pulses:
    `state(kind, t)`, `pulse(t) -> seq`, `reset(t)`, times on `clock`.
    """

    def __init__(self, config: FirmwareConfig, run_model: Callable[[np.ndarray], np.ndarray],
                 input_spec, output_spec, clock: EmulatorClock | None = None,  # noqa: ANN001
                 monitor=None) -> None:  # noqa: ANN001
        self.config = config
        self.workload = workload = config.workload
        self.run_model = run_model
        self.input_spec = input_spec
        self.output_spec = output_spec
        self.clock = clock or EmulatorClock("virtual")
        self.monitor = monitor
        self.inference_us = config.cycle_model.inference_us(config.macs, config.operators)
        self.element_bytes = np.dtype(workload.raw_input.dtype).itemsize
        self.input_bytes = int(np.prod(workload.raw_input.shape)) * self.element_bytes
        self.max_db = DB_CAPACITY.get(workload.id, self.input_bytes)
        self.buffer = bytearray(self.max_db)
        self.db_size = 0  # g_buff_size (a 32-bit size_t)
        self.db_pos = 0  # g_buff_pos
        self.raw = np.zeros(workload.raw_input.shape, dtype=workload.raw_input.dtype)
        self.tensor = np.zeros(input_spec.shape, dtype=input_spec.dtype)  # the interpreter's input tensor
        self.output = np.zeros(output_spec.shape, dtype=output_spec.dtype)
        self._line = bytearray()
        self.commands_seen = 0
        self.t_boot = self.clock.now()
        self._cursor = self.t_boot  # when the device is done with what it was asked (s on the clock)

    # -- clock -------------------------------------------------------------------------
    def device_us(self, t: float) -> float:
        """Microseconds on the device timer at clock time `t`, not wrapped."""
        return self.config.timer_start_us + (t - self.t_boot) * 1e6

    def _begin(self, at: float | None) -> float:
        """The device starts on a command: when it arrived, or when it finished the previous one."""
        self._cursor = max(self._cursor, self.clock.now(), at or 0.0)
        return self._cursor

    def _spend(self, t: float, microseconds: float) -> float:
        end = t + microseconds / 1e6
        self._cursor = max(self._cursor, end)
        self.clock.reach(end)
        return end

    def _timestamp(self, t: float) -> list[Out]:
        """th_timestamp at clock time `t`: an `m-lap-us` line, or a pulse the power monitor sees."""
        if not self.config.energy_mode:
            return [Until(t), f"m-lap-us-{int(self.device_us(t)) % TIMER_MODULUS}{CRLF}"]
        if self.monitor is None:
            return [Until(t)]
        return [Until(t), AwaitPulse(self.monitor.pulse(t))]

    def _state(self, kind: str, t: float) -> None:
        if self.monitor is not None:
            self.monitor.state(kind, t)

    # -- boot ----------------------------------------------------------------------------
    def boot_output(self) -> list[Out]:
        """What the device prints from reset to the end of initialisation."""
        t = self._begin(None)
        mode = "energy" if self.config.energy_mode else "performance"
        out: list[Out] = [f"m-timestamp-mode-{mode}{CRLF}", *self._timestamp(t)]
        out.append(BOOT_MESSAGES.get(self.workload.id, ""))
        return [*out, "m-init-done" + CRLF, READY]

    def boot_us(self) -> float:
        return self.config.cycle_model.boot_us(self.config.model_bytes)

    # -- input -----------------------------------------------------------------------------
    @property
    def pending(self) -> bytes:
        """The command received so far (before its `%`)."""
        return bytes(self._line)

    def feed(self, data: bytes, at: float | None = None) -> list[Out]:
        """Bytes from the host (the last of them received at clock time `at`) → output."""
        out: list[Out] = []
        start = 0
        while start <= len(data):
            end = data.find(b"%", start)
            chunk = data[start:] if end < 0 else data[start:end]
            room = MAX_COMMAND_CHARS - len(self._line)  # ee_serial_callback saturates: the rest is dropped
            self._line += chunk[:max(room, 0)]
            if end < 0:
                break
            command = c_string(bytes(self._line))
            self._line.clear()
            self.commands_seen += 1
            out += self.handle(command, at)
            start = end + 1
        return out

    def handle(self, command: str, at: float | None = None) -> list[Out]:
        t = self._begin(at)
        tokens = strtok_spaces(command)
        if not tokens:
            return [READY]
        name, args = tokens[0], tokens[1:]
        handler = {"name": self._name, "timestamp": self._timestamp_cmd, "profile": self._profile,
                   "help": self._help, "db": self._db, "infer": self._infer, "results": self._results}.get(name)
        if handler is None:
            return [f"e-[Unknown command: {name}]{CRLF}", READY]
        return [*handler(args, t), READY]

    def _name(self, args: list[str], t: float) -> list[Out]:
        return [f"m-name-dut-[{self.config.vendor}]{CRLF}"]

    def _timestamp_cmd(self, args: list[str], t: float) -> list[Out]:
        return self._timestamp(t)

    def _profile(self, args: list[str], t: float) -> list[Out]:
        return [f"m-profile-[{PROFILE}]{CRLF}", f"m-model-[{self.config.model_id or self.workload.id}]{CRLF}"]

    def _help(self, args: list[str], t: float) -> list[Out]:
        return [HELP_TEXT]

    # -- db ----------------------------------------------------------------------------------
    def _db(self, args: list[str], t: float) -> list[Out]:
        if not args:
            return [f"e-[Command 'db' requires a subcommand]{CRLF}"]
        if args[0] == "load":
            if len(args) < 2:
                return [f"e-[Command 'db load' requires the # of bytes]{CRLF}"]
            self.db_size = to_size_t(atoi(args[1]))
            if self.db_size == 0:
                return [f"e-[Command 'db load' must be >0 bytes]{CRLF}"]
            self.db_pos = 0
            if self.db_size > self.max_db:  # accepted all the same, as the reference does
                return [f"Supplied buffer size {to_int32(self.db_size)} exceeds maximum of {self.max_db}\n"]
            return [f"m-[Expecting {to_int32(self.db_size)} bytes]{CRLF}"]
        if args[0] == "print":
            return [self._db_print()]
        return self._db_hex(args[0])

    def _db_print(self) -> str:
        data = self.buffer[: min(self.db_size, self.max_db)]
        text = "".join("m-buffer-" + "-".join(f"{b:02x}" for b in data[i:i + 8]) + CRLF
                       for i in range(0, len(data), 8))
        return text + (CRLF if len(data) % 8 else "")

    def _db_hex(self, digits: str) -> list[Out]:
        if len(digits) % 2:
            return [f"e-[Insufficent number of hex digits]{CRLF}"]
        good = _HEX.match(digits).end()
        decoded = bytes.fromhex(digits[: good - good % 2])
        for value in decoded:
            if self.db_pos < self.max_db:
                self.buffer[self.db_pos] = value
            self.db_pos = (self.db_pos + 1) % 2**32
            if self.db_pos == self.db_size:
                return [f"m-load-done{CRLF}"]  # the remaining digits are disregarded
        if len(decoded) * 2 < len(digits):
            bad = digits[len(decoded) * 2: len(decoded) * 2 + 2]
            return [f"e-[Invalid hex digit '{bad}']{CRLF}"]
        return []

    # -- inference ------------------------------------------------------------------------------
    def _infer(self, args: list[str], t: float) -> list[Out]:
        iterations, warmup = 1, 10
        if args:
            iterations = atoi(args[0])
            if iterations <= 0:
                return [f"e-[Inference iterations must be >0]{CRLF}"]
            if len(args) > 1:
                warmup = atoi(args[1])
                if warmup < 0:
                    return [f"e-[Inference warmup must be >=0]{CRLF}"]
        return self._run_inference(iterations, warmup, t)

    def _load_tensor(self) -> list[Out]:
        """th_load_tensor: the first input-size bytes of the buffer become the input tensor."""
        loaded = min(self.input_bytes, self.db_pos)
        if self.workload.id == "ad01":  # the reference copies into its float array before checking
            raw = bytearray(self.raw.tobytes())
            raw[:loaded] = self.buffer[:loaded]
            self.raw = np.frombuffer(bytes(raw), dtype=self.workload.raw_input.dtype).reshape(self.raw.shape)
        if loaded != self.input_bytes:  # the previous tensor stays
            return [f"Input db has {loaded // self.element_bytes} elemented, "
                    f"expected {self.input_bytes // self.element_bytes}\n"]
        raw = np.frombuffer(bytes(self.buffer[: self.input_bytes]), dtype=self.workload.raw_input.dtype)
        self.raw = raw.reshape(self.workload.raw_input.shape)
        self.tensor = self.workload.to_model_input(self.raw, self.input_spec)
        return []

    def _run_inference(self, iterations: int, warmup: int, t: float) -> list[Out]:
        out = self._load_tensor()  # untimed
        self.output = self.run_model(self.tensor)
        out.append(f"m-warmup-start-{warmup}{CRLF}")
        self._state("active", t)
        t0 = self._spend(t, warmup * self.inference_us)
        t1 = self._spend(t0, iterations * self.inference_us)
        first, second = self._timestamp(t0), self._timestamp(t1)  # pulses are announced ahead of time
        self._state("idle", t1)
        out += [Until(t0), f"m-warmup-done{CRLF}", f"m-infer-start-{iterations}{CRLF}", *first, *second]
        return [*out, f"m-infer-done{CRLF}", *self._results([], t1)]

    def _results(self, args: list[str], t: float) -> list[Out]:
        if self.workload.metric == "auc":
            values = np.array([reconstruction_mse(self.raw, self.output, self.output_spec)])
        else:
            values = dequantized(self.output, self.output_spec)
        return [format_results(self.workload.id, values) + CRLF]
