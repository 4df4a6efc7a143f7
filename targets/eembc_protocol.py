"""The EEMBC / MLPerf Tiny device-under-test serial protocol, as pure functions.

Host → device: an ASCII command of at most 80 characters followed by `%` (no CR/LF).
Device → host: `\\r\\n`-terminated lines; every reply ends with the line `m-ready`.
Errors are lines `e-[…]`. See docs: `mlperf_tiny_notes.md` §1.

Nothing here touches a port; :mod:`tinybench.targets.serial_link` moves the bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TERMINATOR = "%"
MAX_COMMAND_CHARS = 80  # EE_CMD_SIZE: longer commands are silently truncated by the firmware
READY = "m-ready"
INIT_DONE = "m-init-done"
BOOT_LINES = ("m-timestamp-mode-performance", "m-timestamp-mode-energy", INIT_DONE)
TIMER_MODULUS = 2**32  # m-lap-us is a 32-bit microsecond counter (wraps after ~71.6 min)
DB_PREFIX = "db "
DB_CHUNK_BYTES = (MAX_COMMAND_CHARS - len(DB_PREFIX)) // 2  # 38 bytes = 76 hex digits, 79 characters
OFFICIAL_RUNNER_CHUNK_BYTES = 31  # what the MLCommons runner sends without a power manager
# Through the interface board the runner sends 26-byte chunks ("dut db " + 52 digits); the
# board's own line limit is not documented, so tinybench keeps to what is known to work.
INTERFACE_BOARD_CHUNK_BYTES = 26

_NAME = re.compile(r"^m-name-(?P<device>[^-\[]+)-\[(?P<vendor>[^\]]*)\]$")
_PROFILE = re.compile(r"^m-profile-\[(?P<profile>[^\]]*)\]$")
_MODEL = re.compile(r"^m-model-\[(?P<model>[^\]]*)\]$")
_LAP = re.compile(r"^m-lap-us-(?P<us>\d+)$")
_RESULTS = re.compile(r"^m-results-\[(?P<values>[^\]]*)\]$")
_EXPECTING = re.compile(r"^m-\[Expecting (?P<n>\d+) bytes\]$")


class ProtocolError(Exception):
    """The device said something the protocol does not allow; the message quotes it."""


class DeviceError(ProtocolError):
    """The device answered with an `e-[…]` error line."""


def encode_command(command: str, max_chars: int = MAX_COMMAND_CHARS) -> bytes:
    """`command` + `%` as bytes; refuses what the firmware would truncate or split."""
    if TERMINATOR in command:
        raise ValueError(f"command contains the terminator '%': {command!r}")
    if len(command) > max_chars:
        raise ValueError(f"command of {len(command)} characters exceeds the device's {max_chars}")
    try:
        return (command + TERMINATOR).encode("ascii")
    except UnicodeEncodeError as exc:
        raise ValueError(f"command is not ASCII: {command!r}") from exc


def db_commands(data: bytes, chunk_bytes: int = DB_CHUNK_BYTES) -> list[str]:
    """`db load N` then `db <hex>` chunks of at most `chunk_bytes` (≤ 38 to fit 80 characters)."""
    if not data:
        raise ValueError("cannot upload an empty input")
    if not 1 <= chunk_bytes <= DB_CHUNK_BYTES:
        raise ValueError(f"chunk size must be 1..{DB_CHUNK_BYTES} bytes")
    chunks = [DB_PREFIX + data[i:i + chunk_bytes].hex() for i in range(0, len(data), chunk_bytes)]
    return [f"db load {len(data)}", *chunks]


def raise_on_error(command: str, lines: list[str]) -> None:
    """A :class:`DeviceError` with the device's own words if any line is `e-[…]`."""
    for line in lines:
        if line.startswith("e-["):
            raise DeviceError(f"device rejected '{_short(command)}': {line}")


def expect_no_output(command: str, lines: list[str]) -> None:
    raise_on_error(command, lines)
    if lines:
        raise ProtocolError(f"unexpected reply to '{_short(command)}': {lines[0]!r}")


SAID_CHARS = 64  # the most of one thing a device says (a name, a vendor) kept: the result schema bounds the texts


def said(text: str | None) -> str | None:
    """What a device said, as text a bundle can keep: control characters shown (`\\x1b`), at most SAID_CHARS
    characters (the rest cut, marked "…") — a long or escaped vendor string made the run's own result too long for
    its schema, and the measured run was lost."""
    from tinybench.reports.safe_json import visible_controls

    if text is None:
        return None
    shown = visible_controls(text)
    return shown if len(shown) <= SAID_CHARS else shown[:SAID_CHARS - 1] + "…"


@dataclass(frozen=True)
class Identity:
    """The firmware's `name` and `profile` replies, bounded (`said`)."""

    device: str  # "dut" for a compliant firmware
    vendor: str
    profile: str | None = None
    model: str | None = None  # the workload the firmware was built for (kws01, ic01, …)

    def __post_init__(self) -> None:
        for name in ("device", "vendor", "profile", "model"):
            object.__setattr__(self, name, said(getattr(self, name)))


def parse_name(lines: list[str]) -> tuple[str, str]:
    for line in lines:
        match = _NAME.match(line)
        if match:
            return match["device"], match["vendor"]
    raise ProtocolError(f"no m-name-…-[…] line in the reply to 'name': {lines!r}")


def parse_profile(lines: list[str]) -> tuple[str | None, str]:
    profile = model = None
    for line in lines:
        if m := _PROFILE.match(line):
            profile = m["profile"]
        elif m := _MODEL.match(line):
            model = m["model"]
    if model is None:
        raise ProtocolError(f"no m-model-[…] line in the reply to 'profile': {lines!r}")
    return profile, model


def check_db_load(size: int, lines: list[str]) -> None:
    raise_on_error(f"db load {size}", lines)
    for line in lines:
        if (m := _EXPECTING.match(line)) and int(m["n"]) == size:
            return
    raise ProtocolError(f"the device did not accept 'db load {size}': {lines!r}")


def elapsed_us(t0: int, t1: int) -> int:
    """Microseconds from t0 to t1 on a 32-bit counter (one wrap is handled)."""
    return (t1 - t0) % TIMER_MODULUS


def parse_results(line: str) -> list[float]:
    """Values of `m-results-[…]`, tolerating the reference firmwares' trailing commas."""
    match = _RESULTS.match(line)
    if not match:
        raise ProtocolError(f"not an m-results line: {line!r}")
    try:
        return [float(v) for v in match["values"].split(",") if v.strip()]
    except ValueError as exc:
        raise ProtocolError(f"unreadable value in {line!r}") from exc


@dataclass(frozen=True)
class InferReply:
    iterations: int
    warmup: int
    timestamps_us: tuple[int, ...]  # m-lap-us values (two in performance mode, none in energy mode)
    results: tuple[float, ...]

    @property
    def elapsed_us(self) -> int:
        if len(self.timestamps_us) < 2:
            raise ProtocolError("the device printed no m-lap-us pair (energy-mode firmware?)")
        return elapsed_us(self.timestamps_us[-2], self.timestamps_us[-1])


def parse_infer(iterations: int, warmup: int, lines: list[str], want_timestamps: bool = True) -> InferReply:
    """Check the `infer N W` reply sequence and extract timestamps and results."""
    command = f"infer {iterations} {warmup}"
    raise_on_error(command, lines)
    expected = [f"m-warmup-start-{warmup}", "m-warmup-done", f"m-infer-start-{iterations}", "m-infer-done"]
    position = 0
    stamps: list[int] = []
    results: list[float] | None = None
    for line in lines:
        if position < len(expected) and line == expected[position]:
            position += 1
        elif m := _LAP.match(line):
            if position != 3:
                raise ProtocolError(f"m-lap-us outside the timed region of '{command}': {line!r}")
            stamps.append(int(m["us"]))
        elif line.startswith("m-results-"):
            results = parse_results(line)
        elif line in BOOT_LINES:
            raise ProtocolError(f"the device rebooted during '{command}' (it printed {line!r})")
        else:
            raise ProtocolError(f"unexpected line in the reply to '{command}': {line!r}")
    if position != len(expected):
        raise ProtocolError(f"incomplete reply to '{command}': missing {expected[position]!r} (got {lines!r})")
    if want_timestamps and len(stamps) < 2:
        raise ProtocolError(f"'{command}' printed {len(stamps)} m-lap-us line(s), need 2; "
                            "is the firmware built for energy mode (m-timestamp-mode-energy)?")
    if results is None:
        raise ProtocolError(f"no m-results line in the reply to '{command}'")
    return InferReply(iterations, warmup, tuple(stamps), tuple(results))


def _short(command: str) -> str:
    return command if len(command) <= 24 else command[:21] + "…"
