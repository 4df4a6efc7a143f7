"""The accelerator description: TOML in, a validated :class:`Accelerator` out.

A preset name (`mcu-npu`, `edge-npu`) or a path to a `.toml` file. Every missing,
unknown or impossible field is an error that names it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from tinybench.errors import TinybenchError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DATAFLOWS = ("os", "ws", "is")
ARRAY_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")


class AcceleratorError(TinybenchError):
    pass


@dataclass(frozen=True)
class Accelerator:
    name: str
    description: str
    rows: int
    cols: int
    dataflow: str
    clock_hz: float
    array_ops: tuple[str, ...]
    sram_input_bytes: int
    sram_weight_bytes: int
    sram_output_bytes: int
    dram_bytes_per_cycle: float
    pj_per_mac: float
    pj_per_sram_byte: float
    pj_per_dram_byte: float
    static_mw: float
    host_pj_per_cycle: float
    host_default_cycles_per_element: float
    host_cycles_per_element: dict[str, float] = field(default_factory=dict)
    source: str = ""

    def to_json(self) -> dict:
        """The description as JSON values (lists, not tuples: the result schema checks types)."""
        from dataclasses import asdict

        return {key: list(value) if isinstance(value, tuple) else value for key, value in asdict(self).items()}


SCHEMA = {
    "": {"name": str, "description": str},
    "array": {"rows": int, "cols": int, "dataflow": str, "clock_mhz": float, "ops": list},
    "sram": {"input_kib": float, "weight_kib": float, "output_kib": float},
    "dram": {"bytes_per_cycle": float},
    "energy": {"pj_per_mac": float, "pj_per_sram_byte": float, "pj_per_dram_byte": float, "static_mw": float},
    "host": {"pj_per_cycle": float, "default_cycles_per_element": float, "cycles_per_element": dict},
}
OPTIONAL = {("", "description"), ("array", "ops"), ("host", "cycles_per_element")}


def presets() -> list[str]:
    folder = resources.files("tinybench.targets.simaccel").joinpath("presets")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_accelerator(choice: str) -> Accelerator:
    """A preset name or a TOML path → a validated description."""
    if choice in presets():
        text = resources.files("tinybench.targets.simaccel").joinpath(f"presets/{choice}.toml").read_text("utf-8")
        source = f"preset {choice}"
    else:
        path = Path(choice).expanduser()
        if not path.is_file():
            raise AcceleratorError(f"no accelerator preset or file '{choice}'",
                                   hint=f"presets: {', '.join(presets())}, or a path to a .toml description")
        text, source = path.read_text("utf-8"), str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AcceleratorError(f"{source} is not valid TOML: {exc}") from exc
    return parse_accelerator(data, source)


def parse_accelerator(data: dict, source: str = "description") -> Accelerator:
    values: dict[tuple[str, str], object] = {}
    for section, fields in SCHEMA.items():
        table = data if section == "" else data.get(section)
        if table is None or not isinstance(table, dict):
            raise AcceleratorError(f"{source}: missing section [{section}]")
        allowed = set(fields) | ({"array", "sram", "dram", "energy", "host"} if section == "" else set())
        unknown = sorted(set(table) - allowed)
        if unknown:
            where = f"[{section}]" if section else "the top level"
            raise AcceleratorError(f"{source}: unknown field {unknown[0]} in {where}")
        for key, kind in fields.items():
            if key not in table:
                if (section, key) in OPTIONAL:
                    continue
                raise AcceleratorError(f"{source}: missing field {section + '.' if section else ''}{key}")
            value = table[key]
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise AcceleratorError(f"{source}: {section}.{key} must be {kind.__name__}, got {value!r}")
            values[(section, key)] = value
    name = f"{source}: "
    rows, cols = values[("array", "rows")], values[("array", "cols")]
    if rows <= 0 or cols <= 0:
        raise AcceleratorError(f"{name}the systolic array must have at least one row and column (got {rows}×{cols})")
    dataflow = values[("array", "dataflow")]
    if dataflow not in DATAFLOWS:
        raise AcceleratorError(f"{name}unknown dataflow '{dataflow}'", hint="use os, ws or is")
    positive = [("array", "clock_mhz"), ("sram", "input_kib"), ("sram", "weight_kib"), ("sram", "output_kib"),
                ("dram", "bytes_per_cycle")]
    for key in positive:
        if values[key] <= 0:
            raise AcceleratorError(f"{name}{key[0]}.{key[1]} must be positive, got {values[key]}")
    for key in [("energy", k) for k in SCHEMA["energy"]] + [("host", "pj_per_cycle"),
                                                           ("host", "default_cycles_per_element")]:
        if values[key] < 0:
            raise AcceleratorError(f"{name}{key[0]}.{key[1]} must not be negative, got {values[key]}")
    ops = tuple(values.get(("array", "ops"), list(ARRAY_OPS)))
    bad_ops = [op for op in ops if op not in ARRAY_OPS]
    if bad_ops:
        raise AcceleratorError(f"{name}the array cannot run {bad_ops[0]}", hint=f"array ops: {', '.join(ARRAY_OPS)}")
    per_element = values.get(("host", "cycles_per_element"), {})
    for op, cost in per_element.items():
        if not isinstance(cost, (int, float)) or cost < 0:
            raise AcceleratorError(f"{name}host.cycles_per_element.{op} must be a non-negative number")
    kib = 1024
    return Accelerator(
        name=values[("", "name")], description=values.get(("", "description"), ""), rows=rows, cols=cols,
        dataflow=dataflow, clock_hz=values[("array", "clock_mhz")] * 1e6, array_ops=ops,
        sram_input_bytes=int(values[("sram", "input_kib")] * kib),
        sram_weight_bytes=int(values[("sram", "weight_kib")] * kib),
        sram_output_bytes=int(values[("sram", "output_kib")] * kib),
        dram_bytes_per_cycle=values[("dram", "bytes_per_cycle")], pj_per_mac=values[("energy", "pj_per_mac")],
        pj_per_sram_byte=values[("energy", "pj_per_sram_byte")], pj_per_dram_byte=values[("energy", "pj_per_dram_byte")],
        static_mw=values[("energy", "static_mw")], host_pj_per_cycle=values[("host", "pj_per_cycle")],
        host_default_cycles_per_element=values[("host", "default_cycles_per_element")],
        host_cycles_per_element={k: float(v) for k, v in per_element.items()}, source=source,
    )
