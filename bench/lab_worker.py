"""One `lab run` worker: one place, its workloads in order, events as JSON lines on stdout.

Started by :mod:`tinybench.lab_run` as `python -m tinybench.lab_worker` with its job (JSON)
on stdin. It acquires the place (waiting if allowed), and for each workload flashes the
firmware (when the lab says how), runs every mode through the ordinary runner — so each
bundle is exactly what `tinybench run` writes, committed as soon as it is complete — and
releases the place whatever happens. A place that disappears (its exporter gone) ends the
worker after the bundle in progress is written with its completed windows.

Exit codes: 0 everything ran, 1 something failed, 3 the place was unavailable or lost,
130 interrupted.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_JOB_BYTES = 1 << 20
EXIT_OK, EXIT_FAILED, EXIT_PLACE, EXIT_INTERRUPTED = 0, 1, 3, 130
EVENT_INTERVAL_S = 0.25  # progress events at most this often per task
LOST_GRACE_S = 3.0  # after a failure, how long the coordinator may take to report a vanished exporter


def emit(event: str, **fields: Any) -> None:
    """One event line; a closed stdout (the parent is gone) stops the worker like Ctrl-C."""
    try:
        sys.stdout.write(json.dumps({"e": event, "t": round(time.time(), 3), **fields}) + "\n")
        sys.stdout.flush()
    except (BrokenPipeError, ValueError) as exc:
        raise KeyboardInterrupt from exc


class _Task:
    def __init__(self, text: str, total: float | None) -> None:
        self.text, self.total, self.completed, self._sent = text, total, 0.0, 0.0
        self._send(force=True)

    def _send(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._sent >= EVENT_INTERVAL_S:
            self._sent = now
            emit("task", text=self.text[:200], completed=self.completed, total=self.total)

    def advance(self, amount: float = 1.0) -> None:
        self.completed += amount
        self._send()

    def describe(self, text: str) -> None:
        self.text = text
        self._send(force=True)

    def finish(self) -> None:
        if self.total is not None:
            self.completed = self.total
        self._send(force=True)


class EventProgress:
    """The runner's progress interface, as events for the parent's live view."""

    def task(self, description: str, total: float | None = None) -> _Task:
        return _Task(description, total)

    def note(self, text: str) -> None:
        emit("note", text=text[:300])


@dataclass(frozen=True)
class WorkerJob:
    place: str
    coordinator: str | None
    wait_s: float
    workloads: tuple[str, ...]
    modes: tuple[str, ...]
    model: str
    out_dir: Path
    rules: dict[str, Any]
    options: dict[str, Any]
    power: str | None
    power_options: dict[str, Any]
    flash: tuple[str, ...]
    firmware: dict[str, str]
    flash_timeout_s: float
    data: str | None = None
    split: str = "test"

    def to_json(self) -> str:
        from dataclasses import asdict

        return json.dumps(asdict(self), default=str)

    @classmethod
    def from_json(cls, text: str) -> WorkerJob:
        raw = json.loads(text)
        raw["workloads"], raw["modes"], raw["flash"] = (tuple(raw[k]) for k in ("workloads", "modes", "flash"))
        raw["out_dir"] = Path(raw["out_dir"])
        return cls(**raw)

    def flash_argv(self, workload: str) -> list[str]:
        """The flash command for `workload`, placeholders filled (each argument on its own: no shell)."""
        values = {"place": self.place, "workload": workload, "firmware": self.firmware.get(workload, workload)}
        return [part.format(**values) for part in self.flash]


def flash(job: WorkerJob, workload: str) -> str | None:
    """Flash `workload`'s firmware; the reason if it failed."""
    argv = job.flash_argv(workload)
    emit("state", state="flashing", detail=f"{workload}: {' '.join(argv)[:160]}")
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=job.flash_timeout_s, check=False)
    except subprocess.TimeoutExpired:
        return f"flashing {workload} took longer than {job.flash_timeout_s:g} s"
    except OSError as exc:
        return f"cannot run the flash command {argv[0]!r}: {exc}"
    if proc.returncode != 0:
        tail = (proc.stderr.strip() or proc.stdout.strip() or f"exit {proc.returncode}").splitlines()[-1]
        return f"flashing {workload} failed: {tail[:300]}"
    return None


def run_job(job: WorkerJob) -> int:
    from tinybench.errors import TinybenchError
    from tinybench.lab_session import hold_place
    from tinybench.rules import RulesProfile
    from tinybench.runner import RunPlan, execute

    rules = RulesProfile(**job.rules)
    progress = EventProgress()
    emit("state", state="acquiring", detail=f"place {job.place}")
    failed = False
    try:
        with hold_place(job.place, job.coordinator, job.wait_s, job.modes, job.options, job.power,
                        job.power_options, on_wait=lambda text: emit("state", state="waiting", detail=text)) as run:
            lease = run.lease
            emit("acquired", **lease.describe())
            flashed = None
            for index, workload in enumerate(job.workloads):
                emit("job", workload=workload, index=index, total=len(job.workloads))
                if job.flash and flashed != workload:
                    problem = flash(job, workload)
                    if problem:
                        failed = True
                        emit("job_failed", workload=workload, reason=problem)
                        flashed = None
                        if _lost(lease, job.workloads[index + 1:]):
                            return EXIT_PLACE
                        continue
                    flashed = workload
                emit("state", state="running", detail=workload)
                plan = RunPlan(target="serial", workloads=(workload,), modes=job.modes, model=job.model,
                               out_dir=job.out_dir, rules=rules, target_options=run.target_options,
                               data=Path(job.data) if job.data else None, split=job.split,
                               power=job.power, power_options=run.power_options)
                try:
                    results = execute(plan, progress)
                except TinybenchError as exc:
                    failed = True
                    emit("job_failed", workload=workload, reason=exc.one_line()[:1000])
                    if _lost(lease, job.workloads[index + 1:]):
                        return EXIT_PLACE
                    continue
                for result in results:
                    modes = {m: block["status"] for m, block in result.result["modes"].items()}
                    failed |= result.failed
                    emit("bundle", workload=result.workload, path=str(result.bundle), failed=result.failed,
                         modes=modes, reasons=[f"{m}: {block['reason']}"[:300] for m, block in
                                               result.result["modes"].items() if block["status"] in ("failed",
                                                                                                    "interrupted")])
                if any(r.failed for r in results) and _lost(lease, job.workloads[index + 1:]):
                    return EXIT_PLACE
            emit("state", state="releasing", detail="")
    except KeyboardInterrupt:
        emit("done", status="interrupted")
        return EXIT_INTERRUPTED
    except TinybenchError as exc:  # the place could not be had: held, unknown, coordinator down
        emit("error", reason=exc.one_line()[:1000], kind=type(exc).__name__)
        emit("done", status="unavailable")
        return EXIT_PLACE
    emit("done", status="failed" if failed else "ok")
    return EXIT_FAILED if failed else EXIT_OK


def _lost(lease, remaining: tuple[str, ...]) -> bool:  # noqa: ANN001
    """After a failure: is the place gone? Then the rest is not run (and says so)."""
    reason = lease.lost_reason(grace_s=LOST_GRACE_S)
    if reason is None:
        return False
    emit("lost", reason=reason[:1000], not_run=list(remaining))
    emit("done", status="lost")
    return True


def main() -> int:
    import signal

    # Ctrl-C reaches a worker as a SIGINT from its parent; a parent started in the background
    # (SIGINT ignored, and inherited) must not leave its workers deaf to it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    text = sys.stdin.read(MAX_JOB_BYTES + 1)
    if len(text) > MAX_JOB_BYTES:
        emit("error", reason="job description too large")
        return 2
    return run_job(WorkerJob.from_json(text))


if __name__ == "__main__":
    sys.exit(main())
