"""The MLPerf Tiny sww01 reference DUT (`sww_ref_l4r5zi`) as pure code: UART commands and the I2S frame loop.

UART (`sww_ref_util.c:ee_process_command`): `%`-terminated commands (buffer 1028
bytes); every command first prints `Received command: <cmd>` and ends with `m-ready`.
`name` → `m-name-dut-[ML Commons]`; `profile` → `m-profile-[…]`, `m-model-[sww01]`;
`start` → `Listening for I2S data ... `, `DMA receive initiated.` (or `I2S Rx currently
in progress. Ignoring request`); `stop` → `Streaming stopped.`, `target activations: `,
the wake-word output of every frame as `[v, v, …` 16 per line and `]` (or `I2S is
already idle.  Ignoring stop request`); anything else → `Unrecognized command <cmd>`.
An energy build pulses the timestamp pin on `start` and on `stop` (the energy window).

I2S (`th_process_chunk_and_cont_streaming`): for every 512 new left-channel samples the
firmware raises the Processing pin, computes one log-mel row with the firmware front end
(:class:`~tinybench.workloads.sww_frontend.StreamingFrontEnd`, pre-emphasis carried over
`start`), casts it to int8 by truncation, shifts the 30×40 window (int8 zeros after
`start`), runs the model (TensorFlow Lite Micro), pulses the wake-word pin when output 0
is above the threshold or on the first frame after `start` (sync), and lowers the
Processing pin. Each frame takes the cycle model's time: a fixed front-end cost plus the
network's (:class:`~tinybench.targets.emulators.cycle_model.CycleModel`), so the pins'
timing is deterministic; frames queue if one takes longer than 32 ms
(:func:`~tinybench.workloads.sww_detection.device_schedule`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tinybench.targets.emulators.cycle_model import CycleModel
from tinybench.targets.emulators.emulator_clock import AwaitPulse, EmulatorClock, Out, Until
from tinybench.workloads.sww_detection import DetectionRule, device_schedule
from tinybench.workloads.sww_frontend import HOP, MEL_BINS, WINDOW_FRAMES, StreamingFrontEnd, quantize

CRLF = "\r\n"
READY = "m-ready" + CRLF
NAME = "ML Commons"
PROFILE = "MLPerf Tiny Firmware V0.1.0"
COMMAND_BYTES = 1028  # EE_CMD_SIZE of the sww reference
ACTIVATION_LOG = 64_000  # g_gp_buff_bytes entries
ACTIVATIONS_PER_LINE = 16
FRONTEND_CYCLES = 450_000.0  # per frame: 1024-point real FFT, magnitudes, 40 mel filters, log (≈3.8 ms at 120 MHz)


@dataclass(frozen=True)
class SwwConfig:
    macs: int
    operators: int
    cycle_model: CycleModel = field(default_factory=CycleModel)
    frontend_cycles: float = FRONTEND_CYCLES
    energy_mode: bool = False
    model_id: str = "sww01"

    @property
    def processing_s(self) -> float:
        """One frame's work (front end + network) on the cycle model's clock."""
        network_us = self.cycle_model.inference_us(self.macs, self.operators)
        return network_us / 1e6 + self.frontend_cycles / self.cycle_model.clock_hz


@dataclass
class SwwFrames:
    """What the DUT's pins did while a stream played; times are s after the stream's first sample."""

    start_s: np.ndarray  # Processing pin rising edge of each frame
    stop_s: np.ndarray  # falling edge; the wake-word pulse (if any) comes at the end of the work
    pulses: np.ndarray  # indices of the frames that pulsed the wake-word pin (sync first)


class SwwFirmware:
    """One emulated sww01 DUT. `run_model(int8 window) -> output tensor` is TFLite Micro."""

    def __init__(self, config: SwwConfig, run_model: Callable[[np.ndarray], np.ndarray], input_spec, output_spec,
                 clock: EmulatorClock | None = None, monitor=None) -> None:  # noqa: ANN001
        self.config = config
        self.run_model = run_model
        self.input_spec = input_spec
        self.rule = DetectionRule.for_output(output_spec)
        self.clock = clock or EmulatorClock("virtual")
        self.monitor = monitor
        self.inference_us = config.processing_s * 1e6  # shown by `emulate dut` (one frame's work)
        self._line = bytearray()
        self.commands_seen = 0
        self.listening = False
        self.front_end = StreamingFrontEnd()
        self.window = np.zeros((WINDOW_FRAMES, MEL_BINS), dtype=np.int8)
        self.first_frame = True
        self.activations: list[int] = []
        self._busy_until = 0.0  # the last frame's work ends here (clock s)

    # -- the pty server's interface -------------------------------------------------------
    @property
    def pending(self) -> bytes:
        return bytes(self._line)

    def boot_output(self) -> list[Out]:
        """No banner: the reference prints nothing at boot (it only pulses the timestamp pin)."""
        return []

    def boot_us(self) -> float:
        return self.config.cycle_model.boot_us(0)

    def feed(self, data: bytes, at: float | None = None) -> list[Out]:
        out: list[Out] = []
        for byte in data:
            if byte != ord("%"):
                if len(self._line) < COMMAND_BYTES - 1:
                    self._line.append(byte)
                continue
            command = bytes(self._line).split(b"\0", 1)[0].decode("latin-1")
            self._line.clear()
            self.commands_seen += 1
            out += self.handle(command, at)
        return out

    def handle(self, command: str, at: float | None = None) -> list[Out]:
        t = max(self.clock.now(), at or 0.0, self._busy_until)
        out: list[Out] = [f"Received command: {command}{CRLF}"]
        words = command.split()
        name = words[0] if words else ""
        if name == "name":
            out.append(f"m-name-dut-[{NAME}]{CRLF}")
        elif name == "profile":
            out += [f"m-profile-[{PROFILE}]{CRLF}", f"m-model-[{self.config.model_id}]{CRLF}"]
        elif name == "start":
            out += self._start(t)
        elif name == "stop":
            out += self._stop(t)
        else:
            out.append(f"Unrecognized command {command}{CRLF}")
        return [*out, READY]

    # -- start / stop ---------------------------------------------------------------------------
    def _pulse(self, t: float) -> list[Out]:
        """The timestamp pin (energy build): the power monitor sees it at `t`."""
        if not self.config.energy_mode or self.monitor is None:
            return []
        return [Until(t), AwaitPulse(self.monitor.pulse(t))]

    def _start(self, t: float) -> list[Out]:
        if self.listening:
            return [f"I2S Rx currently in progress. Ignoring request{CRLF}"]
        self.listening = True
        self.first_frame = True
        self.window[:] = 0
        self.activations = []
        last = self.front_end._last_value  # noqa: SLF001 - `static last_value` survives `start`
        self.front_end = StreamingFrontEnd(self.front_end.variant)
        self.front_end._last_value = last  # noqa: SLF001
        return [*self._pulse(t), f"Listening for I2S data ... {CRLF}", f"DMA receive initiated.{CRLF}"]

    def _stop(self, t: float) -> list[Out]:
        if not self.listening:
            return [f"I2S is already idle.  Ignoring stop request{CRLF}"]
        self.listening = False
        out: list[Out] = [*self._pulse(t), f"Streaming stopped.{CRLF}", f"target activations: {CRLF}"]
        values = [str(v) for v in self.activations]
        lines = [", ".join(values[i:i + ACTIVATIONS_PER_LINE]) + "," for i in range(0, len(values), ACTIVATIONS_PER_LINE)]
        if lines:
            lines[0] = "[" + lines[0]
        return [*out, *(line + CRLF for line in lines), "]" + CRLF]

    # -- I2S --------------------------------------------------------------------------------------
    def receive_audio(self, left: np.ndarray, t0: float, frame_s: float) -> SwwFrames | None:
        """The board plays `left` (int16, the I2S left slot) from clock time `t0`, one 512-sample
        DMA block every `frame_s`; returns the pins' timeline, or None when the DUT is not listening."""
        if not self.listening:
            return None
        frames = len(left) // HOP
        # The pins' timing depends on the cycle model only: tell the power monitor first, before the
        # (slower than real time at first) computation, so in real time no announcement comes late.
        start, stop = device_schedule(np.full(frames, self.config.processing_s), frame_s)
        if self.monitor is not None:
            for a, b in zip(start, stop):
                self.monitor.state("active", t0 + a)
                self.monitor.state("idle", t0 + b)
        quant = self.input_spec.quantization
        pulses: list[int] = []
        for k in range(frames):
            row = self.front_end.push(left[k * HOP:(k + 1) * HOP])
            q, _ = quantize(row[None, :], quant.scale, quant.zero_point)
            self.window = np.concatenate([self.window[1:], q])
            output = np.asarray(self.run_model(self.window.reshape(self.input_spec.shape))).ravel()
            wake = output[self.rule.output_index]
            if self.rule.fires(np.array([wake]))[0] or self.first_frame:
                pulses.append(k)
                self.first_frame = False
            if len(self.activations) < ACTIVATION_LOG:
                self.activations.append(int(wake) if self.rule.quantized else float(wake))
        if frames:
            self._busy_until = t0 + float(stop[-1])
        return SwwFrames(start, stop, np.asarray(pulses, dtype=np.int64))
