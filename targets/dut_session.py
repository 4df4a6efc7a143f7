"""A MLPerf Tiny DUT: handshake, input upload, inference, each reply checked.

Fixes the official runner's gaps: every `db` reply is checked (an `e-[…]` or a missing
`m-load-done` is an error quoting the device), uploads use the largest chunks the
80-character limit allows, every command has a deadline, and the announced model and
timestamp mode are checked against what the run needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinybench.targets.serial_link import DeviceReset
from tinybench.targets.eembc_protocol import (
    Identity,
    InferReply,
    ProtocolError,
    check_db_load,
    db_commands,
    expect_no_output,
    parse_infer,
    parse_name,
    parse_profile,
    parse_results,
    raise_on_error,
)


@dataclass(frozen=True)
class Timeouts:
    """Per-command deadlines in seconds."""

    command_s: float = 5.0  # name, profile, db
    infer_s: float = 60.0  # infer when its duration cannot be predicted yet
    reset_s: float = 10.0  # reset → m-init-done


class DutSession:
    def __init__(self, transport, timeouts: Timeouts | None = None) -> None:  # noqa: ANN001
        self.transport = transport
        self.timeouts = timeouts or Timeouts()
        self.loaded: bytes | None = None

    def handshake(self) -> Identity:
        """`name` then `profile`. A boot banner or a stray reply (a board that was still
        booting, a late `m-ready`) makes it drain the line until quiet and start again."""
        last: Exception | None = None
        for _ in range(3):
            try:
                device, vendor = parse_name(self.transport.command("name", self.timeouts.command_s))
                profile, model = parse_profile(self.transport.command("profile", self.timeouts.command_s))
                return Identity(device, vendor, profile, model)
            except (ProtocolError, DeviceReset) as exc:
                last = exc
                self.transport.resync()
        raise ProtocolError(f"handshake failed: {last}")

    def upload(self, data: bytes, chunk_bytes: int | None = None) -> int:
        """`db load N` + `db <hex>` chunks; returns the number of commands sent."""
        limit = getattr(self.transport, "max_db_chunk", None) or chunk_bytes or 38
        commands = db_commands(data, min(chunk_bytes or limit, limit))
        check_db_load(len(data), self.transport.command(commands[0], self.timeouts.command_s))
        self.loaded = None
        for i, command in enumerate(commands[1:], start=1):
            lines = self.transport.command(command, self.timeouts.command_s)
            if i < len(commands) - 1:
                expect_no_output(command, lines)
                continue
            raise_on_error(command, lines)
            if lines != ["m-load-done"]:
                raise ProtocolError(f"the device did not confirm the upload of {len(data)} bytes with "
                                    f"m-load-done (it said {lines!r}); bytes were lost on the line")
        self.loaded = data
        return len(commands)

    def infer(self, iterations: int, warmup: int, timeout_s: float | None = None,
              want_timestamps: bool = True) -> InferReply:
        lines = self.transport.command(f"infer {iterations} {warmup}", timeout_s or self.timeouts.infer_s)
        return parse_infer(iterations, warmup, lines, want_timestamps)

    def results(self) -> list[float]:
        lines = self.transport.command("results", self.timeouts.command_s)
        raise_on_error("results", lines)
        for line in lines:
            if line.startswith("m-results-"):
                return parse_results(line)
        raise ProtocolError(f"no m-results line in the reply to 'results': {lines!r}")
