"""The lab description, place selection, the job matrix and the progress view (no lab needed)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from tinybench.errors import TinybenchError
from tinybench.lab_description import MAX_BYTES, LabDescriptionError, parse_lab, read_lab
from tinybench.lab_run import MatrixRequest, build_jobs, select_places
from tinybench.lab_view import LabView, PlaceStatus, render
from tinybench.lab_worker import WorkerJob
from tinybench.rules import QUICK

GOOD = """
coordinator = "127.0.0.1:20408"
wait_s = 30

[defaults]
workloads = ["kws01", "ic01"]
flash = "flasher --board {place} write '{firmware}'"
reset = "place"
options = { command_timeout_s = 3, chunk_bytes = 20 }
power_options = { voltage_v = 1.8 }

[places.l4r5-1]
firmware = { kws01 = "fw/kws01.bin" }
options = { command_timeout_s = 7 }
tags = { soc = "stm32l4" }

[places.other]
workloads = ["vww01"]
model = "reference"
baud = "921600"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lab.toml"
    path.write_text(text)
    return path


def test_a_lab_description_merges_defaults_into_places(tmp_path):
    lab = read_lab(write(tmp_path, GOOD))
    assert lab.coordinator == "127.0.0.1:20408"
    l4 = lab.places["l4r5-1"]
    assert l4.workloads == ("kws01", "ic01") and l4.wait_s == 30
    assert l4.options == {"command_timeout_s": "7", "chunk_bytes": "20"}  # tables merge key by key
    assert l4.firmware == {"kws01": str(tmp_path / "fw/kws01.bin")}  # relative to the file
    assert l4.tags == {"soc": "stm32l4"} and l4.reset == "place"
    other = lab.places["other"]
    assert other.workloads == ("vww01",) and other.model == "reference" and other.baud == "921600"
    assert lab.place("unnamed").workloads == ("kws01", "ic01")  # a place the file does not name: the defaults
    job = WorkerJob("l4r5-1", None, 0, ("kws01",), ("performance",), "builtin", tmp_path, {}, {}, None, {},
                    l4.flash, l4.firmware, 60)
    # placeholders fill whole arguments: a path with spaces or quotes stays one argument, no shell
    assert job.flash_argv("kws01") == ["flasher", "--board", "l4r5-1", "write", str(tmp_path / "fw/kws01.bin")]
    assert WorkerJob.from_json(job.to_json()) == job


@pytest.mark.parametrize(("text", "message"), [
    ('[places.a]\nworkload = ["kws01"]\n', "unknown key 'workload'"),
    ('colour = 1\n', "unknown key 'colour'"),
    ('[places."a b"]\n', "place name 'a b' is not allowed"),
    ('[places.a]\nworkloads = ["kws99"]\n', "kws99"),
    ('[places.a]\nworkloads = "kws01"\n', "workloads must be a list"),
    ('[places.a]\nreset = "hammer"\n', "reset must be one of"),
    ('[places.a]\nflash = "x {nope}"\n', "flash"),
    ('[places.a]\nflash = "x \'unclosed"\n', "flash"),
    ('[places.a]\nflash_timeout_s = 0\n', "flash_timeout_s must be a number from 1"),
    ('[places.a]\nwait_s = true\n', "wait_s must be a number"),
    ('[places.a]\noptions = { "bad key" = 1 }\n', "key 'bad key' is not allowed"),
    ('[places.a]\noptions = { port = [1] }\n', "options.port must be a non-empty string"),
    ("[places\n", "not valid TOML"),
])
def test_bad_lab_descriptions_are_clear_errors(tmp_path, text, message):
    with pytest.raises(LabDescriptionError) as err:
        read_lab(write(tmp_path, text))
    assert message in str(err.value) and str(tmp_path / "lab.toml") in str(err.value)


def test_lab_descriptions_are_bounded(tmp_path):
    with pytest.raises(LabDescriptionError, match="at most"):
        read_lab(write(tmp_path, "#" * (MAX_BYTES + 1)))
    with pytest.raises(LabDescriptionError, match="not found"):
        read_lab(tmp_path / "missing.toml")
    many = {"places": {f"p{i}": {} for i in range(600)}}
    with pytest.raises(LabDescriptionError, match="too many|at most 512"):
        parse_lab(many, tmp_path / "x.toml")
    with pytest.raises(LabDescriptionError, match="non-empty string"):
        parse_lab({"places": {"a": {"model": "m" * 5000}}}, tmp_path / "x.toml")


KNOWN = {"l4r5-1": {"soc": "stm32l4", "host": "rack1"}, "other": {"host": "rack2"}, "spare": {"host": "rack2"}}


def test_places_are_chosen_by_name_or_tag(tmp_path):
    lab = read_lab(write(tmp_path, GOOD))
    assert select_places(lab, KNOWN, MatrixRequest()) == ["l4r5-1", "other"]
    assert select_places(lab, KNOWN, MatrixRequest(places=("spare", "spare"))) == ["spare"]
    assert select_places(lab, KNOWN, MatrixRequest(tag="host=rack2")) == ["other", "spare"]
    assert select_places(lab, KNOWN, MatrixRequest(tag="soc")) == ["l4r5-1"]
    with pytest.raises(TinybenchError, match="no place 'ghost'"):
        select_places(lab, KNOWN, MatrixRequest(places=("ghost",)))
    with pytest.raises(TinybenchError, match="no place carries the tag"):
        select_places(lab, KNOWN, MatrixRequest(tag="host=rack9"))
    with pytest.raises(TinybenchError, match="not both"):
        select_places(lab, KNOWN, MatrixRequest(places=("other",), tag="soc"))
    with pytest.raises(TinybenchError, match="not known to the coordinator"):
        select_places(lab, {"other": {}}, MatrixRequest())


def test_the_matrix_runs_on_each_place_what_it_can(tmp_path):
    lab = read_lab(write(tmp_path, GOOD))
    rules = QUICK.to_json()
    jobs = build_jobs(lab, ["l4r5-1", "other", "spare"], MatrixRequest(workloads=("ic01", "kws01")), tmp_path, rules)
    assert [(j.place, j.workloads) for j in jobs] == [("l4r5-1", ("ic01", "kws01")), ("spare", ("ic01", "kws01"))]
    assert jobs[0].options == {"command_timeout_s": "7", "chunk_bytes": "20", "reset": "place"}
    assert jobs[0].coordinator == "127.0.0.1:20408" and jobs[0].wait_s == 30
    jobs = build_jobs(lab, ["other"], MatrixRequest(wait_s=0, coordinator="c:1"), tmp_path, rules)
    assert [(j.place, j.workloads, j.model, j.options["baud"], j.wait_s, j.coordinator) for j in jobs] == [
        ("other", ("vww01",), "reference", "921600", 0, "c:1")]
    with pytest.raises(TinybenchError, match="no selected place can run ad01"):
        build_jobs(lab, ["l4r5-1", "other"], MatrixRequest(workloads=("ad01",)), tmp_path, rules)


def test_the_view_follows_worker_events_and_escapes_what_they_carry():
    status = PlaceStatus("b1", ("kws01", "ic01"))
    assert status.apply({"e": "acquired", "exporters": "host1", "reset_via": "power"}).startswith("acquired")
    status.apply({"e": "job", "workload": "kws01", "index": 0, "total": 2})
    assert status.apply({"e": "task", "text": "window 1/5", "completed": 0, "total": 5}) == "kws01: window 1/5"
    assert status.apply({"e": "task", "text": "window 1/5", "completed": 1, "total": 5}) is None  # no news
    hostile = "[bold red]e-[boom][/] \x1b[2J"
    status.apply({"e": "bundle", "workload": "kws01", "path": "/r/x", "failed": True, "modes": {},
                  "reasons": [hostile]})
    status.apply({"e": "lost", "reason": hostile, "not_run": ["ic01"]})
    status.apply({"e": "done", "status": "lost"})
    assert status.final and status.not_run == ["ic01"] and len(status.bundles) == 1
    out = io.StringIO()
    console = Console(file=out, width=200, force_terminal=False, color_system=None)
    console.print(render([status], 0.0))
    text = out.getvalue()
    assert "[bold red]e-[boom][/]" in text  # shown literally, not interpreted as markup
    lines = io.StringIO()
    view = LabView([status], Console(file=lines, width=200, force_terminal=False))
    view.event(status, f"failed: {hostile}")
    assert "[bold red]e-[boom][/]" in lines.getvalue()
    assert json.loads(json.dumps(status.to_json()))["status"] == "lost"


@pytest.mark.slow
def test_lab_run_refuses_bad_input_before_starting(tmp_path, cli_env):
    pytest.importorskip("labgrid")
    lab = write(tmp_path, '[places.a]\nworkloads = ["kws01"]\n')
    env = dict(cli_env)
    env.pop("LG_COORDINATOR", None)
    run = lambda *args: subprocess.run([sys.executable, "-m", "tinybench", "lab", "run", *args],  # noqa: E731
                                       capture_output=True, text=True, env=env, timeout=120)
    proc = run("--lab", str(lab))
    assert proc.returncode == 2 and "no labgrid coordinator given" in proc.stderr and "LG_COORDINATOR" in proc.stderr
    proc = run("--lab", str(lab), "-m", "speed", "--coordinator", "127.0.0.1:1")
    assert proc.returncode == 2 and "unknown mode 'speed'" in proc.stderr
    proc = run("--lab", str(tmp_path / "nope.toml"))
    assert proc.returncode == 2 and "lab description not found" in proc.stderr
    proc = run("--lab", str(lab), "--coordinator", "127.0.0.1:1")  # nothing listens there
    assert proc.returncode == 2 and "cannot reach the labgrid coordinator at 127.0.0.1:1" in proc.stderr
    assert not any("Traceback" in p for p in (proc.stderr,))
