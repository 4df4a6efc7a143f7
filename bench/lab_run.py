"""`tinybench lab run`: a matrix of workloads × modes × places, one worker per place.

The places are chosen (by name, or all that carry a tag) and checked with the coordinator
before anything starts; each place then gets its own worker process
(:mod:`tinybench.lab_worker`), which holds the place for all of its workloads. Workers write
their bundles into the one results folder as each finishes; their events drive the live
view. A worker that fails, loses its place or crashes affects nothing else. Ctrl-C is
passed on to every worker, which commits what is complete and releases its place.

Besides the bundles, the results folder gets `.lab/<run>/` (hidden, so the results store
and the site skip it): each worker's log and `summary.json`.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from tinybench.errors import TinybenchError
from tinybench.lab_description import LabDescription
from tinybench.lab_view import LabView, PlaceStatus
from tinybench.lab_worker import WorkerJob

MAX_EVENT_BYTES = 64 * 1024
STOP_GRACE_S = 60.0  # after Ctrl-C: time for workers to commit and release before SIGTERM


@dataclass(frozen=True)
class MatrixRequest:
    """What the user asked for on the command line."""

    places: tuple[str, ...] = ()
    tag: str | None = None
    workloads: tuple[str, ...] = ()
    modes: tuple[str, ...] = ("performance", "spinup")
    model: str | None = None
    coordinator: str | None = None
    wait_s: float | None = None
    data: str | None = None


def select_places(lab: LabDescription, known: dict[str, dict[str, str]], request: MatrixRequest) -> list[str]:
    """The places to run on. `known`: the coordinator's places and their tags."""
    if request.places and request.tag:
        raise TinybenchError("give --places or --tag, not both")
    if request.places:
        unknown = [p for p in request.places if p not in known]
        if unknown:
            raise TinybenchError(f"the coordinator has no place {unknown[0]!r}",
                                 hint=f"places: {', '.join(sorted(known)[:30]) or 'none'}")
        return list(dict.fromkeys(request.places))
    if request.tag:
        key, sep, value = request.tag.partition("=")
        chosen = [name for name, tags in sorted(known.items())
                  if _tag_matches({**lab.place(name).tags, **tags}, key, value if sep else None)]
        if not chosen:
            raise TinybenchError(f"no place carries the tag {request.tag!r}",
                                 hint="labgrid-client -p NAME set-tags KEY=VALUE, or tags in the lab description")
        return chosen
    missing = [p for p in lab.places if p not in known]
    if missing:
        raise TinybenchError(f"place {missing[0]!r} of {lab.path} is not known to the coordinator",
                             hint=f"places: {', '.join(sorted(known)[:30]) or 'none'}")
    if not lab.places:
        raise TinybenchError(f"{lab.path} names no place", hint="pass --places a,b or --tag KEY=VALUE")
    return list(lab.places)


def _tag_matches(tags: dict[str, str], key: str, value: str | None) -> bool:
    return key in tags and (value is None or tags[key] == value)


def build_jobs(lab: LabDescription, places: list[str], request: MatrixRequest, out_dir: Path,
               rules: dict) -> list[WorkerJob]:
    """One worker job per place: the requested workloads that the place can run."""
    jobs = []
    for name in places:
        config = lab.place(name)
        workloads = request.workloads or config.workloads
        if request.workloads and config.workloads:
            workloads = tuple(w for w in request.workloads if w in config.workloads)
        if not workloads:
            continue
        options = dict(config.options)
        if config.baud:
            options["baud"] = config.baud
        if config.reset:
            options["reset"] = config.reset
        jobs.append(WorkerJob(
            place=name, coordinator=request.coordinator or lab.coordinator,
            wait_s=config.wait_s if request.wait_s is None else request.wait_s,
            workloads=tuple(workloads), modes=request.modes, model=request.model or config.model,
            out_dir=out_dir, rules=rules, options=options, power=config.power, power_options=config.power_options,
            flash=config.flash, firmware=config.firmware, flash_timeout_s=config.flash_timeout_s, data=request.data,
        ))
    if not jobs:
        asked = ", ".join(request.workloads) or "their workloads"
        raise TinybenchError(f"no selected place can run {asked}",
                             hint="check the places' workloads / firmware in the lab description")
    return jobs


class _Worker:
    def __init__(self, job: WorkerJob, log_dir: Path, events: queue.Queue) -> None:
        self.job = job
        self.log = log_dir / f"{job.place}.log"
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "tinybench.lab_worker"], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=log, start_new_session=True)
        self.proc.stdin.write(job.to_json().encode())
        self.proc.stdin.close()
        self.reader = threading.Thread(target=self._read, args=(events,), daemon=True)
        self.reader.start()

    def _read(self, events: queue.Queue) -> None:
        for raw in iter(lambda: self.proc.stdout.readline(MAX_EVENT_BYTES), b""):
            try:
                event = json.loads(raw)
            except ValueError:
                event = None
            if isinstance(event, dict):
                events.put((self.job.place, event))
        self.proc.wait()
        events.put((self.job.place, {"e": "exit", "code": self.proc.returncode}))

    def signal(self, sig: int) -> None:
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, sig)
            except ProcessLookupError:
                pass


@dataclass
class LabRunReport:
    statuses: list[PlaceStatus]
    interrupted: bool
    log_dir: Path

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return 0 if all(s.state == "ok" for s in self.statuses) else 1

    def to_json(self) -> dict:
        return {"ok": self.exit_code == 0, "interrupted": self.interrupted, "logs": str(self.log_dir),
                "places": [s.to_json() for s in self.statuses]}


def run_matrix(jobs: list[WorkerJob], out_dir: Path, view_console) -> LabRunReport:  # noqa: ANN001
    """Start one worker per place, follow their events until all have ended."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    log_dir = out_dir / ".lab" / f"{stamp}-{os.getpid()}"
    log_dir.mkdir(parents=True, exist_ok=True)
    statuses = {job.place: PlaceStatus(job.place, job.workloads) for job in jobs}
    events: queue.Queue = queue.Queue()
    workers: dict[str, _Worker] = {}
    interrupted = False
    with LabView(list(statuses.values()), view_console) as view:
        try:
            for job in jobs:
                workers[job.place] = _Worker(job, log_dir, events)
            running = set(workers)
            while running:
                try:
                    place, event = events.get(timeout=0.25)
                except queue.Empty:
                    view.refresh()
                    continue
                status = statuses[place]
                if event.get("e") == "exit":
                    running.discard(place)
                    status.exit_code = event.get("code")
                    if not status.final:  # it died without saying why
                        status.failures.append(f"worker ended with exit code {status.exit_code} "
                                               f"(see {workers[place].log})")
                        status.state = "crashed"
                        status.finished = time.monotonic()
                    view.event(status, None if status.state != "crashed" else status.failures[-1])
                    continue
                view.event(status, status.apply(event))
        except KeyboardInterrupt:
            interrupted = True
            _stop_workers(workers, statuses, events, view)
    report = LabRunReport(list(statuses.values()), interrupted, log_dir)
    (log_dir / "summary.json").write_text(json.dumps(report.to_json(), indent=2) + "\n")
    return report


def _stop_workers(workers: dict[str, _Worker], statuses: dict[str, PlaceStatus], events: queue.Queue,
                  view: LabView) -> None:
    """Ctrl-C: each worker commits what is complete and releases its place; stragglers are ended."""
    for worker in workers.values():
        worker.signal(signal.SIGINT)
    deadline = time.monotonic() + STOP_GRACE_S
    for worker in workers.values():
        remaining = deadline - time.monotonic()
        try:
            worker.proc.wait(max(remaining, 0.1))
        except subprocess.TimeoutExpired:
            worker.signal(signal.SIGTERM)
            try:
                worker.proc.wait(10)
            except subprocess.TimeoutExpired:
                worker.signal(signal.SIGKILL)
                worker.proc.wait()
        worker.reader.join(5)
    while not events.empty():
        place, event = events.get_nowait()
        if event.get("e") != "exit":
            view.event(statuses[place], statuses[place].apply(event))
    for status in statuses.values():
        if not status.final:
            status.state = "interrupted"
