"""Run orchestration: (target, workloads, modes, model, dataset, rules) → result bundles.

Everything that can be checked before measuring (names, models, target options) is
checked first, so a mistake costs seconds, not minutes. Then each workload runs its
modes in order and is committed as its own bundle: a failure in one mode is recorded
in the bundle and the run goes on; an interrupt commits what is complete and stops.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from tinybench import __version__, environment, stability
from tinybench.bundle import BundleWriter
from tinybench.errors import DatasetError, TargetError, TinybenchError, UnknownNameError
from tinybench.modes import MODES
from tinybench.modes.accuracy import run_accuracy
from tinybench.modes.energy import run_energy
from tinybench.modes.outcome import ModeOutcome
from tinybench.modes.performance import run_performance
from tinybench.modes.spinup import run_spinup
from tinybench.progress import NullProgress, Progress
from tinybench.result_schema import SCHEMA_ID
from tinybench.rules import RulesProfile
from tinybench.targets import TARGETS, create_target
from tinybench.targets.contract import Capability, ModelInput, Target
from tinybench.targets.power import create_monitor
from tinybench.targets.power.contract import MonitorError, MonitorInfo, MonitorUnavailable, PowerMonitor
from tinybench.workloads import get_workload
from tinybench.workloads.datasets import Dataset, Sample, open_dataset
from tinybench.workloads.model_artifact import ModelArtifact
from tinybench.workloads.model_choice import DeclaredModel, declare_model, resolve_model
from tinybench.workloads.spec import Workload
from tinybench.workloads.synthetic import SyntheticDataset


@dataclass(frozen=True)
class RunPlan:
    target: str
    workloads: tuple[str, ...]
    modes: tuple[str, ...]
    model: str  # "builtin", "reference" or a path
    out_dir: Path
    rules: RulesProfile
    target_options: dict = field(default_factory=dict)
    data: Path | None = None  # a dataset folder (or a folder of per-workload folders)
    split: str = "test"
    download: bool = True  # fetch a missing reference model from its pinned URL
    power: str | None = None  # power monitor for energy mode (default: the target's own, if any)
    power_options: dict = field(default_factory=dict)
    kitti_ap_method: str = "devkit"  # det01 accuracy: "devkit" (published numbers) or "exact" (the curve)
    stream_frontend: str = "firmware"  # sww01 stream mode: firmware or training arithmetic


@dataclass
class EnergySource:
    """The power monitor of a run, or why there is none."""

    monitor: PowerMonitor | None = None
    info: MonitorInfo | None = None
    unavailable: str | None = None


TIMING_MODES = ("performance", "spinup", "energy")


@dataclass
class WorkloadJob:
    workload: Workload
    model: ModelArtifact | DeclaredModel
    dataset: Dataset | None
    samples: list[Sample]  # inputs of the timing modes (empty if none is requested)
    samples_facts: dict


@dataclass
class WorkloadResult:
    workload: str
    bundle: Path | None
    result: dict

    @property
    def failed(self) -> bool:
        return any(m["status"] in ("failed", "interrupted") for m in self.result["modes"].values())


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def new_run_id(target: str, workload: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{target}-{workload}-{secrets.token_hex(3)}"


def open_energy_source(plan: RunPlan, target: Target) -> EnergySource:
    """Open the power monitor for energy mode; an absent instrument is a reason, a faulty one an error."""
    if "energy" not in plan.modes and "stream" not in plan.modes:
        return EnergySource()
    if Capability.ENERGY not in target.capabilities:
        return EnergySource(unavailable=f"target '{target.name}' cannot be measured by a power monitor")
    if getattr(target, "self_reported_energy", False) and plan.power is None:
        from tinybench.targets.power.target_model import TargetModelEnergy

        monitor = TargetModelEnergy(target)
        return EnergySource(monitor, monitor.open())
    name = plan.power or target.default_power_monitor
    if name is None:
        return EnergySource(unavailable=f"no power monitor for target '{target.name}' (use --power lpm01a|joulescope)")
    try:
        monitor = create_monitor(name, plan.power_options)
    except TargetError as exc:
        raise TinybenchError(str(exc).replace("target", "power monitor", 1)) from exc
    try:
        info = monitor.open()
    except MonitorUnavailable as exc:
        return EnergySource(unavailable=str(exc))
    except MonitorError as exc:
        monitor.close()
        raise TinybenchError(f"power monitor {name}: {exc}") from exc
    return EnergySource(monitor, info)


def prepare(plan: RunPlan) -> tuple[Target, list[WorkloadJob]]:
    """Check the whole plan and open the target; every problem is a TinybenchError."""
    unknown = [m for m in plan.modes if m not in MODES]
    if unknown:
        raise UnknownNameError(f"unknown mode '{unknown[0]}'", hint=f"choose from: {', '.join(MODES)}")
    if not plan.modes:
        raise TinybenchError("no mode selected")
    if "accuracy" in plan.modes and plan.data is None:
        raise TinybenchError("accuracy mode needs a labelled dataset", hint="pass --data DIR")
    jobs = []
    declared = TARGETS.get(plan.target).runs_flashed_model  # the device runs its own model: --model declares it
    for workload_id in plan.workloads:
        workload = get_workload(workload_id)
        check_stream_modes(workload, plan.modes)
        model = declare_model(plan.model, workload) if declared else resolve_model(plan.model, workload,
                                                                                   download=plan.download)
        if "accuracy" in plan.modes and not model.trained:
            raise TinybenchError(
                f"accuracy of the built-in {workload.id} model would be meaningless: its weights are untrained",
                hint="use --model reference (the official trained model) or --model PATH")
        dataset = open_dataset(workload, plan.data, plan.split) if plan.data is not None else None
        samples, facts = [], dataset.describe() if dataset is not None else {"kind": "none"}
        if any(m in TIMING_MODES for m in plan.modes):
            samples, facts = _performance_samples(workload, dataset, plan.rules.windows)
        jobs.append(WorkloadJob(workload, model, dataset, samples, facts))
    target = create_target(plan.target, plan.target_options)
    try:
        for job in jobs:  # a model the runtime rejects is bad input: fail before measuring
            target.load(job.model)
    except BaseException:
        target.close()
        raise
    return target, jobs


def execute(plan: RunPlan, progress: Progress | None = None) -> list[WorkloadResult]:
    """Run the plan; returns one result per workload (each already on disk as a bundle)."""
    progress = progress or NullProgress()
    target, jobs = prepare(plan)
    session_id = new_run_id(plan.target, "session")
    results = []
    energy = EnergySource()
    try:
        energy = open_energy_source(plan, target)
        system = target.describe()
        for job in jobs:
            results.append(_run_workload(plan, target, system.to_json(), job, session_id, progress, energy))
    finally:
        if energy.monitor is not None:
            energy.monitor.close()
        target.close()
    return results


def _run_workload(plan: RunPlan, target: Target, system: dict, job: WorkloadJob, session_id: str,
                  progress: Progress, energy: EnergySource) -> WorkloadResult:
    workload, model = job.workload, job.model
    run_id = new_run_id(plan.target, workload.id)
    writer = BundleWriter(plan.out_dir, run_id)
    log = writer.log
    created = utc_now()
    log.info("run %s: target %s, workload %s, model %s (%s), modes %s, rules %s", run_id, plan.target,
             workload.id, model.source, model.sha256, ",".join(plan.modes), plan.rules.name)
    samples, dataset_facts = job.samples, job.samples_facts
    inputs = [ModelInput(s.sample_id, workload.to_model_input(_first_window(s.raw), model.input), _first_window(s.raw))
              for s in samples]
    outcomes: dict[str, ModeOutcome] = {}
    errors: list[str] = []
    interrupted = False
    progress.note(f"{workload.id}: {model.source} model, {', '.join(plan.modes)}")
    load_phases: dict[str, float] = {}
    memory: dict[str, int] = {"model": model.size_bytes}
    load_details: dict = {}
    load_tables: dict = {}
    for mode in plan.modes:
        if interrupted:
            outcomes[mode] = ModeOutcome(mode=mode, status="interrupted", reason="the run was interrupted")
            continue
        started = time.perf_counter()
        try:
            target.prepare_mode(mode)
            if not load_phases and mode in ("performance", "accuracy", "energy", "stream"):
                report = target.load(model)
                load_phases = dict(report.phases_s)
                memory.update(report.memory_bytes)
                load_details, load_tables = dict(report.details), dict(report.tables)
            outcomes[mode] = _run_mode(mode, plan, target, job, inputs, progress, energy)
        except TinybenchError as exc:
            errors.append(f"{mode}: {exc.one_line()}")
            outcomes[mode] = ModeOutcome(mode=mode, status="failed", reason=exc.one_line())
        except KeyboardInterrupt:
            interrupted = True
            errors.append(f"{mode}: interrupted")
            outcomes[mode] = ModeOutcome(mode=mode, status="interrupted", reason="the run was interrupted")
        log.info("%s: %s in %.1f s%s", mode, outcomes[mode].status, time.perf_counter() - started,
                 f" ({outcomes[mode].reason})" if outcomes[mode].reason else "")
    extra_files = {name.split(".")[0]: writer.write_table(name, table) for name, table in load_tables.items()}
    modes_json = {}
    for mode, outcome in outcomes.items():
        files = {name.split(".")[0]: writer.write_table(name, table) for name, table in outcome.tables.items()}
        modes_json[mode] = outcome.to_json(files)
    measured = [o for o in outcomes.values() if o.status == "measured"]
    valid = bool(measured) and all(o.valid_for_submission for o in measured) and not errors
    result = {
        "schema": SCHEMA_ID,
        "run_id": run_id,
        "session_id": session_id,
        "created_utc": created,
        "finished_utc": utc_now(),
        "tinybench_version": __version__,
        "target": {
            "adapter": target.name,
            "options": target.options_json(),
            "system": system,
            "capabilities": sorted(c.value for c in target.capabilities),
        },
        "workload": workload.summary(),
        "model": {**model.facts(), "division_basis": "declared" if target.runs_flashed_model else "verified"},
        "load_phases_s": load_phases,
        "memory_bytes": {**memory, "peak_host_rss": _peak_rss_bytes()},
        "dataset": {**dataset_facts, "samples": [s.sample_id for s in samples]},
        "rules": plan.rules.to_json(),
        "modes": modes_json,
        "valid_for_submission": valid,
        "environment": environment.capture(),
        "errors": errors,
        "files": extra_files,
        **load_details,
    }
    bundle = writer.commit(result)
    from tinybench.reports.result_index import add_written_bundle

    if (why := add_written_bundle(plan.out_dir, bundle)) is not None:  # checked now, not by the next build
        progress.note(why)
    if interrupted:
        raise KeyboardInterrupt
    return WorkloadResult(workload.id, bundle, result)


def check_stream_modes(workload: Workload, modes: tuple[str, ...]) -> None:
    """sww01 is measured on a stream; the stream mode measures nothing else."""
    streaming = "sww-stream" in workload.datasets
    if "stream" in modes and not streaming:
        raise TinybenchError(f"stream mode measures a streaming workload (sww01), not {workload.id}",
                             hint="drop --mode stream for this workload")
    if "accuracy" in modes and streaming:
        raise TinybenchError(f"{workload.id} is scored on a stream: its detections, duty cycle and power come from "
                             "--mode stream", hint="use --mode stream --data DIR (a truth JSON and its wav)")


def _peak_rss_bytes() -> int | None:
    """Peak resident memory of this process (bytes), where the OS reports it."""
    try:
        import resource
        import sys

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(peak if sys.platform == "darwin" else peak * 1024)
    except (ImportError, OSError):
        return None


def _performance_samples(workload: Workload, dataset: Dataset | None, count: int) -> tuple[list[Sample], dict]:
    """The inputs of the timing modes: the dataset's first readable samples, else synthetic."""
    if dataset is None:
        synthetic = SyntheticDataset(workload, count=count)
        return list(synthetic), synthetic.describe()
    chosen = []
    for sample in dataset:
        if sample.error is None and sample.raw is not None:
            chosen.append(sample)
            if len(chosen) == count:
                break
    if not chosen:
        raise DatasetError(f"{dataset.root}: no readable sample for the performance windows",
                           hint="check the files the dataset lists, or run without --data")
    return chosen, dataset.describe()


def _first_window(raw: np.ndarray) -> np.ndarray:
    """ad01 samples hold all windows of a file; a performance input is one window."""
    return raw[0] if raw.ndim == 2 and raw.shape[0] > 1 and raw.shape[1] == 640 else raw


def _run_mode(mode: str, plan: RunPlan, target: Target, job: WorkloadJob, inputs: list[ModelInput],
              progress: Progress, energy: EnergySource) -> ModeOutcome:
    workload, model = job.workload, job.model
    if mode == "performance":
        with stability.RunWatch() as watch:  # the host's state during the run (informational)
            outcome = run_performance(target, inputs, plan.rules, progress)
        return stability.attach(outcome, watch)
    if mode == "spinup":
        return run_spinup(target, model, inputs[0], plan.rules, progress)
    if mode == "energy":
        if energy.monitor is None:
            return ModeOutcome.not_measured("energy", energy.unavailable or "no power monitor")
        return run_energy(target, energy.monitor, energy.info, inputs, plan.rules, progress)
    if mode == "stream":
        from tinybench.modes.stream import dataset_inputs, run_stream, synthetic_input
        from tinybench.workloads.sww_frontend import Variant

        streams = dataset_inputs(job.dataset) if job.dataset is not None else [synthetic_input(plan.rules)]
        return run_stream(target, model, streams, plan.rules, progress, energy.monitor, energy.unavailable,
                          Variant(plan.stream_frontend))
    if mode == "accuracy":
        if job.dataset is None:
            return ModeOutcome.not_measured("accuracy", "no labelled dataset was given (--data)")
        if workload.metric == "kitti_ap":
            from tinybench.modes.detection_accuracy import run_detection_accuracy

            return run_detection_accuracy(target, workload, model, job.dataset, len(job.dataset), progress,
                                          plan.kitti_ap_method)
        return run_accuracy(target, workload, model, job.dataset, len(job.dataset), progress)
    raise UnknownNameError(f"unknown mode '{mode}'")
