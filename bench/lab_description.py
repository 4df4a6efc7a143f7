"""The lab description (TOML): which places exist, what each can run, and how.

```toml
coordinator = "labgrid.example.com:20408"   # else --coordinator / $LG_COORDINATOR
wait_s = 600                                # wait this long for a held place (default 0)

[defaults]                                  # every place inherits these
workloads = ["kws01", "ic01"]               # what may run there (default: the firmware table's keys)
flash = "st-flash --reset write {firmware} 0x8000000"   # before each workload; {place} {workload} {firmware}
flash_timeout_s = 120
reset = "place"                             # place (its power/reset driver) | none | dtr | rts | command
baud = "115200"
options = { command_timeout_s = 5 }         # any serial target option (-O)
power = "lpm01a"                            # energy mode's monitor, on the place's `monitor` port
power_options = { voltage_v = 1.8 }

[places.nucleo-l4r5-1]
firmware = { kws01 = "fw/l4r5/kws01.bin", ic01 = "fw/l4r5/ic01.bin" }  # relative to this file
tags = { soc = "stm32l4" }
```

The file is untrusted input: its size, the number of places, every name and string are
bounded, every key is known, every type checked; errors name the file, the key and the fix.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tinybench.errors import TinybenchError

MAX_BYTES = 256 * 1024
MAX_PLACES = 512
MAX_TEXT = 4096
MAX_ITEMS = 64
_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,64}\Z")  # \Z: `$` also matches before a final "\n"
_KEY = re.compile(r"^[A-Za-z0-9_.\-]{1,64}\Z")
FLASH_FIELDS = ("place", "workload", "firmware")
RESET_CHOICES = ("place", "none", "dtr", "rts", "command")
PLACE_KEYS = ("workloads", "firmware", "flash", "flash_timeout_s", "model", "reset", "baud", "options", "power",
              "power_options", "tags", "wait_s")
TOP_KEYS = ("coordinator", "wait_s", "defaults", "places")


class LabDescriptionError(TinybenchError):
    """A lab description that cannot be used as it is."""


@dataclass(frozen=True)
class PlaceConfig:
    name: str
    workloads: tuple[str, ...] = ()  # empty: whatever -w asks for
    firmware: dict[str, str] = field(default_factory=dict)  # workload → firmware (path or name)
    flash: tuple[str, ...] = ()  # argv template; empty: the board keeps its firmware
    flash_timeout_s: float = 300.0
    model: str = "builtin"
    reset: str | None = None  # None: "place" when the place has a power/reset driver, else none
    baud: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    power: str | None = None
    power_options: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    wait_s: float = 0.0


@dataclass(frozen=True)
class LabDescription:
    path: Path
    coordinator: str | None
    places: dict[str, PlaceConfig]
    defaults: PlaceConfig

    def place(self, name: str) -> PlaceConfig:
        """The place's configuration; a place the file does not name gets the defaults."""
        if name in self.places:
            return self.places[name]
        return _replace_name(self.defaults, name)


def read_lab(path: Path) -> LabDescription:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib

    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise LabDescriptionError(f"{path}: {size} bytes; a lab description may have at most {MAX_BYTES}")
        text = path.read_bytes().decode("utf-8")
        data = tomllib.loads(text)
    except FileNotFoundError as exc:
        raise LabDescriptionError(f"lab description not found: {path}", hint="pass --lab lab.toml") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise LabDescriptionError(f"cannot read the lab description {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise LabDescriptionError(f"{path}: not valid TOML: {exc}") from exc
    return parse_lab(data, path)


def parse_lab(data: dict[str, Any], path: Path) -> LabDescription:
    where = str(path)
    _known(data, TOP_KEYS, where)
    coordinator = _text(data.get("coordinator"), f"{where}: coordinator") if "coordinator" in data else None
    base = {"wait_s": data["wait_s"]} if "wait_s" in data else {}
    defaults_raw = _table(data.get("defaults", {}), f"{where}: [defaults]")
    defaults = _place("defaults", {**base, **defaults_raw}, path.parent, f"{where}: [defaults]")
    places_raw = _table(data.get("places", {}), f"{where}: [places]")
    if len(places_raw) > MAX_PLACES:
        raise LabDescriptionError(f"{where}: {len(places_raw)} places; at most {MAX_PLACES}")
    places = {}
    for name, raw in places_raw.items():
        if not _NAME.match(name):
            raise LabDescriptionError(f"{where}: place name {name[:80]!r} is not allowed",
                                      hint="letters, digits, _ . - (at most 64)")
        merged = {**base, **defaults_raw, **_table(raw, f"{where}: [places.{name}]")}
        for key in ("options", "power_options", "tags"):  # tables merge key by key
            if key in defaults_raw and key in raw:
                merged[key] = {**_table(defaults_raw[key], key), **_table(raw[key], key)}
        places[name] = _place(name, merged, path.parent, f"{where}: [places.{name}]")
    return LabDescription(path, coordinator, places, defaults)


def _place(name: str, raw: dict[str, Any], folder: Path, where: str) -> PlaceConfig:
    from tinybench.workloads import get_workload

    _known(raw, PLACE_KEYS, where)
    firmware = {w: _text(v, f"{where}: firmware.{w}") for w, v in _table(raw.get("firmware", {}), where).items()}
    for workload, value in list(firmware.items()):
        candidate = folder / value
        if "/" in value or value.endswith((".bin", ".hex", ".elf")):
            firmware[workload] = str(candidate)
    workloads = tuple(_text(w, f"{where}: workloads") for w in _list(raw.get("workloads", []), f"{where}: workloads"))
    workloads = workloads or tuple(firmware)
    for workload in (*workloads, *firmware):
        try:
            get_workload(workload)
        except TinybenchError as exc:
            raise LabDescriptionError(f"{where}: {exc.one_line()}") from exc
    flash: tuple[str, ...] = ()
    if raw.get("flash"):
        try:
            flash = tuple(shlex.split(_text(raw["flash"], f"{where}: flash")))
            for part in flash:
                part.format(**{k: "x" for k in FLASH_FIELDS})
        except (ValueError, KeyError, IndexError) as exc:
            raise LabDescriptionError(f"{where}: flash: {exc}",
                                      hint=f"placeholders: {', '.join('{' + f + '}' for f in FLASH_FIELDS)}") from exc
    reset = raw.get("reset")
    if reset is not None and reset not in RESET_CHOICES:
        raise LabDescriptionError(f"{where}: reset must be one of {', '.join(RESET_CHOICES)}")
    return PlaceConfig(
        name=name, workloads=workloads, firmware=firmware, flash=flash,
        flash_timeout_s=_number(raw.get("flash_timeout_s", 300.0), f"{where}: flash_timeout_s", 1, 3600),
        model=_text(raw.get("model", "builtin"), f"{where}: model"),
        reset=reset, baud=_text(raw["baud"], f"{where}: baud") if "baud" in raw else None,
        options=_scalars(raw.get("options", {}), f"{where}: options"),
        power=_text(raw["power"], f"{where}: power") if "power" in raw else None,
        power_options=_scalars(raw.get("power_options", {}), f"{where}: power_options"),
        tags=_scalars(raw.get("tags", {}), f"{where}: tags"),
        wait_s=_number(raw.get("wait_s", 0.0), f"{where}: wait_s", 0, 7 * 24 * 3600),
    )


def _replace_name(config: PlaceConfig, name: str) -> PlaceConfig:
    from dataclasses import replace

    return replace(config, name=name)


def _known(raw: dict[str, Any], keys: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(raw) - set(keys))
    if unknown:
        raise LabDescriptionError(f"{where}: unknown key {unknown[0][:64]!r}", hint=f"known keys: {', '.join(keys)}")


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise LabDescriptionError(f"{where} must be a table")
    if len(value) > MAX_PLACES:
        raise LabDescriptionError(f"{where}: too many entries ({len(value)})")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        raise LabDescriptionError(f"{where} must be a list of at most {MAX_ITEMS} items")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT or "\x00" in value:
        raise LabDescriptionError(f"{where} must be a non-empty string of at most {MAX_TEXT} characters")
    return value


def _number(value: Any, where: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise LabDescriptionError(f"{where} must be a number from {low:g} to {high:g}")
    return float(value)


def _scalars(value: Any, where: str) -> dict[str, str]:
    table = _table(value, where)
    if len(table) > MAX_ITEMS:
        raise LabDescriptionError(f"{where}: at most {MAX_ITEMS} entries")
    out = {}
    for key, item in table.items():
        if not _KEY.match(key):
            raise LabDescriptionError(f"{where}: key {key[:64]!r} is not allowed")
        if isinstance(item, bool):
            out[key] = "true" if item else "false"
        elif isinstance(item, (int, float)):
            out[key] = str(item)
        else:
            out[key] = _text(item, f"{where}.{key}")
    return out
