"""Find a TFLite interpreter: LiteRT first, then tflite_runtime, then TensorFlow's tf.lite."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from typing import Any

from tinybench.errors import TargetError


@dataclass(frozen=True)
class InterpreterRuntime:
    """An importable interpreter implementation."""

    package: str  # distribution name, e.g. "ai-edge-litert"
    version: str
    interpreter_class: Any
    op_resolver_type: Any | None  # OpResolverType enum, None if the runtime has none


@lru_cache(maxsize=1)
def find_runtime() -> InterpreterRuntime:
    """The first available TFLite interpreter; a :class:`TargetError` if there is none."""
    try:
        from ai_edge_litert import interpreter as litert  # type: ignore[import-not-found]

        return InterpreterRuntime("ai-edge-litert", _version("ai-edge-litert"), litert.Interpreter,
                                  litert.OpResolverType)
    except ImportError:
        pass
    try:
        from tflite_runtime import interpreter as tflr  # type: ignore[import-not-found]

        return InterpreterRuntime("tflite-runtime", _version("tflite-runtime"), tflr.Interpreter,
                                  getattr(tflr, "OpResolverType", None))
    except ImportError:
        pass
    try:
        import tensorflow as tf  # type: ignore[import-not-found]

        resolver = getattr(tf.lite.experimental, "OpResolverType", None)
        return InterpreterRuntime("tensorflow", tf.__version__, tf.lite.Interpreter, resolver)
    except ImportError as exc:
        raise TargetError(
            "no TFLite interpreter is installed (ai-edge-litert, tflite-runtime or tensorflow)",
            hint="pip install ai-edge-litert",
        ) from exc


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"
