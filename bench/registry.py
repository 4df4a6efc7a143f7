"""Name → object registries fed by built-ins and Python entry points.

A vendor ships a target adapter (or a workload, or a power monitor) as its own pip
package that declares an entry point in the group the registry reads, e.g.::

    [project.entry-points."tinybench.targets"]
    acme-npu = "acme_tinybench.adapter:AcmeTarget"

Built-ins are declared in code as ``"module:attribute"`` strings and imported lazily,
so listing names never imports heavy modules.
"""

from __future__ import annotations

import importlib
import warnings
from dataclasses import dataclass
from importlib import metadata
from typing import Generic, TypeVar

from tinybench.errors import TinybenchError, UnknownNameError

T = TypeVar("T")


@dataclass(frozen=True)
class Registration:
    """Where a registered object comes from."""

    name: str
    reference: str  # "module:attribute"
    origin: str  # "builtin" or the distribution that declared the entry point


class Registry(Generic[T]):
    """Lazily imported objects by name: built-ins first, then entry points of `group`."""

    def __init__(self, kind: str, group: str, builtins: dict[str, str]) -> None:
        self.kind = kind
        self.group = group
        self._builtins = dict(builtins)
        self._loaded: dict[str, T] = {}
        self._registrations: dict[str, Registration] | None = None

    def registrations(self) -> dict[str, Registration]:
        """Every registered name with its origin, built-ins first, sorted within each."""
        if self._registrations is None:
            found = {
                name: Registration(name, ref, "builtin") for name, ref in sorted(self._builtins.items())
            }
            for ep in sorted(metadata.entry_points(group=self.group), key=lambda e: e.name):
                dist = getattr(ep, "dist", None)
                origin = dist.name if dist is not None else "entry point"
                if ep.name in found:
                    if found[ep.name].reference != ep.value:
                        warnings.warn(
                            f"{self.kind} '{ep.name}' from {origin} is ignored: the name is taken",
                            stacklevel=2,
                        )
                    continue
                found[ep.name] = Registration(ep.name, ep.value, origin)
            self._registrations = found
        return self._registrations

    def names(self) -> list[str]:
        return list(self.registrations())

    def get(self, name: str) -> T:
        """The object registered as `name`; an :class:`UnknownNameError` lists the choices."""
        if name in self._loaded:
            return self._loaded[name]
        reg = self.registrations().get(name)
        if reg is None:
            choices = ", ".join(self.names()) or "none"
            raise UnknownNameError(f"unknown {self.kind} '{name}'", hint=f"choose one of: {choices}")
        obj = _import_reference(reg, self.kind)
        self._loaded[name] = obj
        return obj

    def register(self, name: str, obj: T) -> None:
        """Register an object directly (tests and embedding applications)."""
        self._loaded[name] = obj
        self.registrations()[name] = Registration(name, f"<object {obj!r}>", "runtime")


def _import_reference(reg: Registration, kind: str) -> object:
    module_name, _, attribute = reg.reference.partition(":")
    try:
        module = importlib.import_module(module_name)
        obj: object = module
        for part in filter(None, attribute.split(".")):
            obj = getattr(obj, part)
    except TinybenchError:
        raise
    except Exception as exc:  # a broken plugin must not take the tool down with a traceback
        raise TinybenchError(
            f"cannot load {kind} '{reg.name}' from {reg.reference} ({reg.origin}): {exc}",
            hint="reinstall or remove the package that provides it",
        ) from exc
    return obj
