"""The TFLite Micro interpreter (the `tflm` extra): MCU kernels, on the host."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from importlib import metadata

import numpy as np

from tinybench.errors import MissingExtraError, ModelError

DEFAULT_ARENA_BYTES = 512 * 1024
_TOTAL = re.compile(r"Arena allocation total (\d+) bytes")


def runtime_module():  # noqa: ANN201
    try:
        from tflite_micro.python.tflite_micro import runtime  # type: ignore[import-not-found]
    except ImportError as exc:
        raise MissingExtraError("the TFLite Micro interpreter", "tflm", "tflite_micro") from exc
    return runtime


def version() -> str:
    try:
        return metadata.version("tflite-micro")
    except metadata.PackageNotFoundError:
        return "unknown"


@contextlib.contextmanager
def captured_stderr_fd() -> Iterator[list[str]]:
    """Capture what native code writes to file descriptor 2 (TFLM logs there)."""
    sys.stderr.flush()
    saved = os.dup(2)
    captured: list[str] = []
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured.extend(sink.read().decode("utf-8", "replace").splitlines())


class TflmModel:
    """A model in a TFLM interpreter with a fixed arena; `run(tensor) -> output`."""

    def __init__(self, content: bytes, arena_bytes: int = DEFAULT_ARENA_BYTES) -> None:
        runtime = runtime_module()
        with captured_stderr_fd() as log:
            try:
                self.interpreter = runtime.Interpreter.from_bytes(content, arena_size=arena_bytes)
            except (RuntimeError, ValueError) as exc:
                problem = next((ln for ln in log if ln.strip()), str(exc))
                raise ModelError(f"TFLite Micro cannot load the model with a {arena_bytes}-byte arena: {problem}",
                                 hint="raise the arena size (-O arena_bytes=N) or check the model's operators") from exc
        self.arena_bytes = arena_bytes

    def run(self, tensor: np.ndarray) -> np.ndarray:
        self.interpreter.set_input(tensor, 0)
        self.interpreter.invoke()
        return np.array(self.interpreter.get_output(0), copy=True)

    def arena_used(self) -> int | None:
        """Bytes of the arena in use (after at least one invoke), from TFLM's recording allocator."""
        with captured_stderr_fd() as log:
            self.interpreter.print_allocations()
        for line in log:
            if m := _TOTAL.search(line):
                return int(m.group(1))
        return None
