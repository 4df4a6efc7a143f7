"""The ST X-NUCLEO-LPM01A ("PowerShield") serial grammar, as pure functions.

Host → board: `<command>\\r\\n`. Board → host: lines; acknowledgements
`PowerShield > ack <command>` or `PowerShield > error <command>` followed by
`Error detail: …`; after `start`, energy samples `dddd±ee` (4-digit mantissa, signed
2-digit exponent: `3287-08` = 3.287e-5 J), `TimeStamp: 012s 345ms, buff 00%` every
1000 samples, `event <n> ris` on each DUT timestamp pulse, and after `stop`
`PowerShield > Acquisition completed`. See mlperf_tiny_notes.md §3.2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PROMPT = "PowerShield > "
SAMPLE = re.compile(r"^(\d{4})([+-])(\d{2})$")
TIMESTAMP = re.compile(r"^TimeStamp:[ ><](\d{3})s (\d{3})ms, buff (\d{2})%$")
EVENT = re.compile(r"^event (\d+) (ris|fal)$")
FREQUENCIES = {"100k": 100e3, "50k": 50e3, "20k": 20e3, "10k": 10e3, "5k": 5e3, "2k": 2e3, "1k": 1e3,
               "500": 500.0, "200": 200.0, "100": 100.0, "50": 50.0, "20": 20.0, "10": 10.0, "5": 5.0,
               "2": 2.0, "1": 1.0}
VOLT_MIN_MV, VOLT_MAX_MV = 1800, 3300


def setup_commands(voltage_v: float, frequency: str = "1k") -> list[str]:
    """What MLPerf Tiny's runner sends before powering the DUT (power_manager_lpm.py)."""
    millivolts = int(round(voltage_v * 1000))
    if not VOLT_MIN_MV <= millivolts <= VOLT_MAX_MV:
        raise ValueError(f"LPM01A supply must be 1.8–3.3 V, got {voltage_v} V")
    if frequency not in FREQUENCIES:
        raise ValueError(f"LPM01A sample frequency must be one of {', '.join(FREQUENCIES)}")
    return ["htc", "pwr off", "acqtime inf", "trigdelay 0", "trigsrc sw", "eventsrc d7 fal",
            "output energy", "format ascii_dec", f"freq {frequency}", f"volt {millivolts}m"]


def encode_sample(joules: float) -> str:
    """Energy → `dddd±ee` with exactly 4 mantissa digits (what a 1 kHz ascii_dec stream carries)."""
    if joules <= 0:
        return "0000+00"
    exponent = int(f"{joules:.3e}".split("e")[1]) - 3
    mantissa = int(round(joules / 10.0 ** exponent))
    if mantissa >= 10000:
        mantissa //= 10
        exponent += 1
    sign = "-" if exponent < 0 else "+"
    return f"{mantissa:04d}{sign}{abs(exponent):02d}"


def decode_sample(token: str) -> float:
    match = SAMPLE.match(token)
    if not match:
        raise ValueError(f"not an energy sample: {token!r}")
    mantissa, sign, exponent = match.groups()
    return int(mantissa) * 10.0 ** (int(exponent) if sign == "+" else -int(exponent))


@dataclass(frozen=True)
class Line:
    kind: str  # "sample", "timestamp", "event", "ack", "error", "detail", "message"
    text: str
    value: float | int | None = None


def classify(raw: str) -> Line:
    """One line of the board's output, classified (unknown text is a `message`)."""
    text = raw.replace("\x00", "").strip()
    body = text[len(PROMPT):].strip() if text.startswith(PROMPT) else text
    if SAMPLE.match(body):
        return Line("sample", body, decode_sample(body))
    if body.startswith("TimeStamp"):
        return Line("timestamp", body)
    if m := EVENT.match(body):
        return Line("event", body, int(m.group(1)))
    if body.startswith("ack"):
        return Line("ack", body[3:].strip())
    if body.startswith("error"):
        return Line("error", body[5:].strip())
    if body.startswith("Error detail"):
        return Line("detail", body.partition(":")[2].strip())
    return Line("message", body)


def looks_like_data(text: str) -> bool:
    """A line that starts like a sample but is not one (e.g. `12a4-07`, `32871-08`): malformed data."""
    return bool(re.match(r"^\d", text))
