"""Spin-up mode: time from "model bytes available" to "first result ready".

Split into the phases the target reports (host: `load` = parse + resolve ops,
`allocate` = tensors + delegate preparation) plus `first_inference`. Two kinds:

- **cold**: a fresh process each repetition (the runtime import is reported beside
  the total, not in it);
- **warm**: an in-process reload of the same model.

Each kind is repeated `spinup_repetitions` times; the figures are medians per phase
and of the per-repetition totals.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from tinybench.errors import TargetError
from tinybench.modes.outcome import ModeOutcome, Quantity
from tinybench.progress import Progress
from tinybench.rules import RuleCheck, RulesProfile
from tinybench.statistics import median
from tinybench.targets.contract import Capability, ModelInput, Target
from tinybench.workloads.model_artifact import ModelArtifact

CHILD_TIMEOUT_S = 300.0
REQUIRED_REPETITIONS = 5


def run_spinup(target: Target, model: ModelArtifact, sample: ModelInput, rules: RulesProfile,
               progress: Progress) -> ModeOutcome:
    if Capability.SPINUP not in target.capabilities:
        return ModeOutcome.not_measured("spinup", f"target '{target.name}' cannot time model loading")
    reps = rules.spinup_repetitions
    rows: list[dict] = []
    reasons: dict[str, str] = {}
    task = progress.task("spin-up", total=2 * reps)
    if target.cold_start_in_subprocess:
        with tempfile.TemporaryDirectory(prefix="tinybench-spinup-") as tmp:
            request = _write_request(Path(tmp), target, model, sample.tensor)
            for rep in range(reps):
                task.describe(f"spin-up cold {rep + 1}/{reps}")
                rows.append({"kind": "cold", "repetition": rep, **_cold_once(request)})
                task.advance()
    elif (why := target.cold_start_unavailable()) is None:
        for rep in range(reps):  # the device restarts; the input upload after it is untimed
            task.describe(f"spin-up cold (reset) {rep + 1}/{reps}")
            restart = target.cold_start()
            first = target.infer(sample.tensor, 1, 0, raw=sample.raw)
            rows.append({"kind": "cold", "repetition": rep,
                         **_ms(dict(restart.phases_s, first_inference=first.window_s))})
            task.advance()
    else:
        reasons["cold"] = why
        task.advance(reps)
    if target.warm_reload:
        for rep in range(reps):
            task.describe(f"spin-up warm {rep + 1}/{reps}")
            load = target.load(model)
            first = target.infer(sample.tensor, 1, 0, raw=sample.raw)
            rows.append({"kind": "warm", "repetition": rep,
                         **_ms(dict(load.phases_s, first_inference=first.window_s))})
            task.advance()
    else:
        reasons["warm"] = f"target '{target.name}' runs a flashed model: there is no in-process reload"
    task.finish()
    if not rows:
        return ModeOutcome.not_measured("spinup", "; ".join(f"{k}: {v}" for k, v in reasons.items()))
    return _outcome(pd.DataFrame(rows), reasons, rules)


def _write_request(tmp: Path, target: Target, model: ModelArtifact, tensor: np.ndarray) -> Path:
    model_path = model.path
    if model_path is None:
        model_path = tmp / "model.tflite"
        model_path.write_bytes(model.content)
    np.save(tmp / "input.npy", tensor)
    request = tmp / "request.json"
    request.write_text(json.dumps({
        "target": target.name,
        "options": target.options_json(),
        "workload": model.workload,
        "model_path": str(model_path),
        "model_source": model.source,
        "trained": model.trained,
        "input_npy": str(tmp / "input.npy"),
    }))
    return request


def _cold_once(request: Path) -> dict:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "tinybench.modes.spinup_child", str(request)],
            capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, env=env, check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise TargetError(f"cold spin-up child did not finish within {CHILD_TIMEOUT_S:.0f} s") from exc
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise TargetError(f"cold spin-up child failed (exit {proc.returncode}): {tail}")
    result = json.loads(lines[-1])
    if "error" in result:
        raise TargetError(f"cold spin-up child: {result['error']}")
    row = _ms(result["phases_s"])
    row["runtime_import_ms"] = result["runtime_import_s"] * 1e3
    return row


def _ms(phases_s: dict[str, float]) -> dict:
    row = {f"{name}_ms": seconds * 1e3 for name, seconds in phases_s.items()}
    row["total_ms"] = sum(phases_s.values()) * 1e3
    return row


def _outcome(table: pd.DataFrame, reasons: dict[str, str], rules: RulesProfile) -> ModeOutcome:
    metrics: dict[str, Quantity] = {}
    phases: dict[str, dict[str, float]] = {}
    for kind in ("cold", "warm"):
        rows = table[table["kind"] == kind]
        if rows.empty:
            continue
        columns = [c for c in rows.columns if c.endswith("_ms") and rows[c].notna().all()]
        phases[kind] = {c[:-3]: median(rows[c]) for c in columns}
        metrics[f"spinup_{kind}_median"] = Quantity(median(rows["total_ms"]), "ms")
    counts = table["kind"].value_counts().to_dict()
    checks = [
        RuleCheck("profile", rules.submission,
                  f"rules profile '{rules.name}'" + ("" if rules.submission else " is for smoke runs only")),
        RuleCheck("repetitions", all(counts.get(k, 0) >= REQUIRED_REPETITIONS for k in phases),
                  ", ".join(f"{counts.get(k, 0)} {k}" for k in phases) + f" (at least {REQUIRED_REPETITIONS} each)"),
    ]
    details = {
        "phases_median_ms": phases,
        "repetitions": {k: int(v) for k, v in counts.items()},
        "not_measured": reasons,
        "definition": "model bytes in memory → first result ready; cold = fresh process "
                      "(runtime import reported separately), warm = in-process reload",
    }
    return ModeOutcome(mode="spinup", status="measured", metrics=metrics, checks=checks,
                       details=details, tables={"spinup.csv": table})
