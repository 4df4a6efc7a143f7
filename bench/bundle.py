"""Writing a result bundle atomically.

A bundle is built in a hidden sibling directory `.partial-<run-id>/` and renamed to
`<run-id>/` only once `result.json` is complete, so a reader never sees a
half-written bundle, and a crash leaves at most a hidden partial directory (with its
log) behind. Every file inside is itself written to a temporary name and renamed.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

import pandas as pd

from tinybench.errors import TinybenchError
from tinybench.reports.safe_json import visible_controls
from tinybench.result_schema import validation_errors

RESULT_FILE = "result.json"
LOG_FILE = "run.log"
PARTIAL_PREFIX = ".partial-"


def atomic_write_bytes(path: Path, content: bytes) -> None:
    """Write `content` to `path` so that `path` is either the old file or the whole new one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class BundleWriter:
    """Collects one run's files and publishes them as `<out_dir>/<run_id>/`."""

    def __init__(self, out_dir: Path, run_id: str) -> None:
        self.final_dir = out_dir / run_id
        self.partial_dir = out_dir / f"{PARTIAL_PREFIX}{run_id}"
        if self.final_dir.exists():
            raise TinybenchError(f"result bundle {self.final_dir} already exists")
        try:
            self.partial_dir.mkdir(parents=True, exist_ok=False)
        except OSError as exc:
            raise TinybenchError(f"cannot create result directory {self.partial_dir}: {exc.strerror or exc}",
                                 hint="choose another --out directory") from exc
        self.files: dict[str, str] = {}
        self.log = logging.getLogger(f"tinybench.run.{run_id}")
        self.log.setLevel(logging.INFO)
        self.log.propagate = False
        self._handler = logging.FileHandler(self.partial_dir / LOG_FILE, encoding="utf-8")
        self._handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        self.log.addHandler(self._handler)
        self.files["log"] = LOG_FILE

    def write_table(self, name: str, table: pd.DataFrame) -> str:
        """Write a table as CSV or Parquet (by `name`'s suffix); returns the file name."""
        path = self.partial_dir / name
        if name.endswith(".parquet"):
            fd, tmp = tempfile.mkstemp(dir=self.partial_dir, prefix=f".{name}.", suffix=".tmp")
            os.close(fd)
            try:
                table.to_parquet(tmp, index=False, compression="zstd")
                os.chmod(tmp, 0o644)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        else:
            atomic_write_bytes(path, table.to_csv(index=False).encode("utf-8"))
        return name

    def write_file(self, name: str, content: bytes) -> str:
        """Write a file of the bundle (e.g. evidence an import keeps); returns its name."""
        atomic_write_bytes(self.partial_dir / name, content)
        return name

    def commit(self, result: dict) -> Path:
        """Validate and write `result.json`, then publish the bundle under its final name."""
        result = dict(result, files=dict(self.files, **result.get("files", {})))
        result = visible_controls(result)  # a device's reply may hold control characters, which readers refuse
        problems = validation_errors(result)
        if problems:  # a bug in tinybench, not in the user's input: keep the partial bundle
            self.log.error("result.json does not match its schema: %s", "; ".join(problems))
            self.close_log()
            raise RuntimeError(f"result.json does not match its schema: {problems[:3]}")
        text = json.dumps(result, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        atomic_write_bytes(self.partial_dir / RESULT_FILE, text.encode("utf-8"))
        self.close_log()
        os.replace(self.partial_dir, self.final_dir)
        return self.final_dir

    def close_log(self) -> None:
        self._handler.close()
        self.log.removeHandler(self._handler)
