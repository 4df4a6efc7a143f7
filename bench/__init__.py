"""tinybench: a TinyML benchmarking suite.

Runs the MLPerf Tiny workloads (and more) through pluggable target adapters, measures
latency, spin-up time, energy and accuracy under published rules, and keeps every
result as a self-describing bundle.
"""

from __future__ import annotations

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("tinybench")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
