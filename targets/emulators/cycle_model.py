"""The emulated device's clock: deterministic times from a simple cycle model.

inference cycles = MACs × cycles_per_mac + operators × cycles_per_operator + fixed_cycles;
boot cycles = boot_cycles + model bytes × cycles_per_model_byte (arena set-up, op init).
Defaults are in the range of a Cortex-M4F at 120 MHz running CMSIS-NN kernels (MLPerf
Tiny's kws01 on NUCLEO-L4R5ZI runs ~43 ms for 2.66 M MACs, about 2 cycles per MAC).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class CycleModel:
    clock_hz: float = 120e6
    cycles_per_mac: float = 2.0
    cycles_per_operator: float = 2000.0
    fixed_cycles: float = 20000.0  # per inference: th_pre/th_post, kernel dispatch
    boot_cycles: float = 6e6  # reset → m-init-done (clock set-up, UART, model init)
    cycles_per_model_byte: float = 20.0

    def __post_init__(self) -> None:
        if self.clock_hz <= 0 or min(self.cycles_per_mac, self.cycles_per_operator, self.fixed_cycles,
                                     self.boot_cycles, self.cycles_per_model_byte) < 0:
            raise ValueError("cycle model values must be positive (clock) or non-negative")

    def inference_us(self, macs: int, operators: int) -> float:
        cycles = macs * self.cycles_per_mac + operators * self.cycles_per_operator + self.fixed_cycles
        return cycles / self.clock_hz * 1e6

    def boot_us(self, model_bytes: int) -> float:
        return (self.boot_cycles + model_bytes * self.cycles_per_model_byte) / self.clock_hz * 1e6

    def to_json(self) -> dict:
        return asdict(self)
