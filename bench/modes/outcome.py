"""What a mode hands back to the harness: status, metrics with units, rule checks, tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from tinybench.rules import RuleCheck, all_passed

STATUSES = ("measured", "not_measured", "failed", "interrupted")


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: str

    def to_json(self) -> dict:
        return {"value": self.value, "unit": self.unit}


@dataclass
class ModeOutcome:
    """The result of one mode for one workload.

    `status` is `measured`, `not_measured` (with `reason`: the target or set-up cannot
    measure it — never a made-up number), `failed` or `interrupted` (with `reason`).
    `tables` become files in the bundle (name → DataFrame); `details` is mode-specific.
    """

    mode: str
    status: str
    reason: str | None = None
    metrics: dict[str, Quantity] = field(default_factory=dict)
    checks: list[RuleCheck] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def valid_for_submission(self) -> bool:
        return self.status == "measured" and all_passed(self.checks)

    @classmethod
    def not_measured(cls, mode: str, reason: str) -> ModeOutcome:
        return cls(mode=mode, status="not_measured", reason=reason)

    def to_json(self, files: dict[str, str]) -> dict:
        return {
            "status": self.status,
            "reason": self.reason,
            "metrics": {k: v.to_json() for k, v in self.metrics.items()},
            "checks": [c.to_json() for c in self.checks],
            "valid_for_submission": self.valid_for_submission,
            **self.details,
            "files": files,
        }
