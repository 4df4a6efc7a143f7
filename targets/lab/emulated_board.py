"""An emulated lab board: a stable serial port, a flashable firmware, a power switch.

A real board in a lab keeps its serial port while it is re-flashed and power-cycled. This
process gives an emulated one the same: it owns a pseudo-terminal that never changes (the
port an exporter publishes), runs `tinybench emulate dut` for the flashed workload behind
it and copies bytes between the two. A small HTTP server on 127.0.0.1 is its power switch,
in the form labgrid's `NetworkPowerPort` model `simplerest` speaks, and its flasher:

    GET /power/       → "1" or "0"
    GET /power/1      → power on: the DUT boots (its banner follows its boot time)
    GET /power/0      → power off: the DUT goes silent, input is lost
    GET /flash/<wl>   → restart the DUT emulator with the firmware for workload <wl>

Run it:  python -m tinybench.targets.lab.emulated_board serve -w kws01 [-- EMULATOR ARGS]
(prints `pty:`, `control:`, `pid:`); flash it:  … emulated_board flash --control URL -w ic01
"""

from __future__ import annotations

import argparse
import os
import re
import select
import signal
import subprocess
import sys
import threading
import tty
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_WORKLOAD = re.compile(r"^[a-z0-9]{1,16}\Z")  # \Z: `$` also matches before a final "\n"
START_TIMEOUT_S = 60.0


class EmulatedBoard:
    def __init__(self, workload: str, emulator_args: list[str]) -> None:
        self.emulator_args = emulator_args
        self.master, self.slave = os.openpty()  # the board's own port (stays open: no EIO when ser2net closes)
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.powered = True
        self.workload = ""
        self._lock = threading.RLock()
        self._child: subprocess.Popen | None = None
        self._child_fd: int | None = None
        self._stop = threading.Event()
        self.flash(workload)

    # -- firmware ----------------------------------------------------------------------
    def flash(self, workload: str) -> None:
        """Replace the DUT emulator with one for `workload` (its boot banner follows)."""
        if not _WORKLOAD.match(workload):
            raise ValueError(f"not a workload id: {workload[:20]!r}")
        command = [sys.executable, "-m", "tinybench", "emulate", "dut", "-w", workload, *self.emulator_args]
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = _read_line(child, START_TIMEOUT_S)
        if not line.startswith("pty: "):
            child.kill()
            raise RuntimeError(f"the DUT emulator did not start: {line or child.stderr.read()[-500:]}")
        fd = os.open(line[5:].strip(), os.O_RDWR | os.O_NOCTTY)
        tty.setraw(fd)
        with self._lock:
            old, old_fd = self._child, self._child_fd
            self._child, self._child_fd, self.workload = child, fd, workload
        _stop_child(old, old_fd)

    # -- power -------------------------------------------------------------------------
    def set_power(self, on: bool) -> None:
        with self._lock:
            if on and not self.powered:
                _discard(self._child_fd)  # what it said while "off" never reached the line
                self._child.send_signal(signal.SIGHUP)  # boots: silent for its boot time, then the banner
            self.powered = on

    # -- the line ----------------------------------------------------------------------
    def pump(self) -> None:
        """Copy bytes between the board's port and the emulator while powered; drop them otherwise."""
        while not self._stop.is_set():
            with self._lock:
                child_fd = self._child_fd
            try:
                ready, _, _ = select.select([self.master, child_fd], [], [], 0.1)
            except (OSError, ValueError):
                continue  # the emulator was swapped under us
            for fd in ready:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    continue
                with self._lock:
                    if not self.powered or fd not in (self.master, self._child_fd):
                        continue
                    target = self._child_fd if fd == self.master else self.master
                try:
                    os.write(target, data)
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            _stop_child(self._child, self._child_fd)
            self._child = self._child_fd = None
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


def _read_line(child: subprocess.Popen, timeout_s: float) -> str:
    ready, _, _ = select.select([child.stdout], [], [], timeout_s)
    return child.stdout.readline() if ready else ""


def _discard(fd: int | None) -> None:
    while fd is not None:
        ready, _, _ = select.select([fd], [], [], 0)
        if not ready or not os.read(fd, 4096):
            return


def _stop_child(child: subprocess.Popen | None, fd: int | None) -> None:
    if fd is not None:
        try:
            os.close(fd)
        except OSError:
            pass
    if child is not None:
        child.terminate()
        try:
            child.wait(5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _handler(board: EmulatedBoard) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            parts = [p for p in self.path.split("?")[0].split("/") if p]
            try:
                if parts == ["power"]:
                    self._reply(200, "1" if board.powered else "0")
                elif len(parts) == 2 and parts[0] == "power" and parts[1] in ("0", "1"):
                    board.set_power(parts[1] == "1")
                    self._reply(200, parts[1])
                elif len(parts) == 2 and parts[0] == "flash":
                    board.flash(parts[1])
                    self._reply(200, f"flashed {board.workload}")
                elif parts == ["state"]:
                    self._reply(200, f"{board.workload} {'on' if board.powered else 'off'}")
                else:
                    self._reply(404, "unknown request")
            except (ValueError, RuntimeError, OSError) as exc:
                self._reply(500, str(exc))

        def _reply(self, status: int, text: str) -> None:
            body = text.encode("utf-8", "replace")
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def serve(workload: str, emulator_args: list[str]) -> None:
    board = EmulatedBoard(workload, emulator_args)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(board))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    pump = threading.Thread(target=board.pump, daemon=True)
    pump.start()
    print(f"pty: {board.path}", flush=True)
    print(f"control: http://127.0.0.1:{server.server_address[1]}", flush=True)
    print(f"pid: {os.getpid()}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.shutdown()
        board.close()


def flash(control: str, workload: str, timeout_s: float = START_TIMEOUT_S + 10) -> int:
    """The flash command of an emulated place: ask its board to run another firmware."""
    if not control.startswith("http://127.0.0.1:"):
        print("flash: --control must be the board's http://127.0.0.1:PORT", file=sys.stderr)
        return 2
    try:
        with urllib.request.urlopen(f"{control}/flash/{workload}", timeout=timeout_s) as reply:  # noqa: S310
            print(reply.read(200).decode("utf-8", "replace"))
        return 0
    except (urllib.error.URLError, OSError) as exc:
        detail = exc.read(500).decode("utf-8", "replace") if isinstance(exc, urllib.error.HTTPError) else exc
        print(f"flash {workload}: {detail}", file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tinybench.targets.lab.emulated_board",
                                     description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("serve", help="run a board (prints pty:, control:, pid:)")
    run.add_argument("-w", "--workload", required=True)
    run.add_argument("emulator_args", nargs=argparse.REMAINDER, help="after --: options of `tinybench emulate dut`")
    fl = sub.add_parser("flash", help="flash a running board with another workload's firmware")
    fl.add_argument("--control", required=True)
    fl.add_argument("-w", "--workload", required=True)
    args = parser.parse_args(argv)
    if args.command == "flash":
        return flash(args.control, args.workload)
    extra = args.emulator_args[1:] if args.emulator_args[:1] == ["--"] else args.emulator_args
    serve(args.workload, extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
