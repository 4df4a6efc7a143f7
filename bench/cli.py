"""The `tinybench` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from tinybench import __version__
from tinybench.errors import TinybenchError
from tinybench.lab_cli import lab as lab_group, place_options

EXIT_FAILURE = 1  # a measurement failed
EXIT_USAGE = 2  # bad input: the message says what to fix


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (value or "").split(",") if p.strip())


class TinybenchGroup(click.Group):
    """Turns TinybenchError into one line on stderr and exit code 2."""

    def invoke(self, ctx: click.Context):  # noqa: ANN201
        try:
            return super().invoke(ctx)
        except TinybenchError as exc:
            from tinybench.reports.safe_text import for_terminal

            click.echo(f"tinybench: error: {for_terminal(exc.one_line())}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=TinybenchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tinybench")
def cli() -> None:
    """tinybench: TinyML benchmarks (MLPerf Tiny workloads) on the host, serial MCUs and
    simulated accelerators — latency, spin-up, energy and accuracy under published rules.

    Start with:  tinybench run --target host --quick
    """


@cli.command()
@place_options
@click.option("--target", "-t", default="host", show_default=True, help="Target adapter (see `tinybench targets list`).")
@click.option("--workload", "-w", "workloads", default="vww01,kws01,ic01,ic02,ad01,det01,sww01", show_default=True,
              help="Comma-separated workload ids (see `tinybench workloads list`).")
@click.option("--mode", "-m", "modes", default="performance,spinup", show_default=True,
              help="Comma-separated modes: performance, spinup, accuracy, energy; stream (sww01: detections, "
                   "duty cycle and power over a long wav, --data TRUTH.json or a synthetic stream).")
@click.option("--model", default="builtin", show_default=True,
              help="builtin (untrained, offline), reference (official MLPerf Tiny model) or a .tflite PATH. "
                   "On a device (serial) it declares what the device runs: no file is needed on the host.")
@click.option("--data", type=click.Path(path_type=Path), default=None,
              help="Labelled dataset folder (EEMBC y_labels.csv + .bin, or the raw format: CIFAR-10, Speech "
                   "Commands, image folders, ad01 spectrograms). Needed for accuracy; performance then uses its "
                   "first inputs instead of synthetic ones.")
@click.option("--split", default="test", show_default=True, help="Dataset split for raw formats.")
@click.option("--no-download", is_flag=True, help="Never download a missing reference model.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("tinybench-results"),
              show_default=True, help="Directory that receives one result bundle per workload.")
@click.option("--quick", is_flag=True, help="Short windows for a smoke run (never valid for submission).")
@click.option("--windows", type=int, default=None, help="Override the number of performance windows.")
@click.option("--min-window-s", type=float, default=None, help="Override the minimum window length (s).")
@click.option("--port", default=None, help="serial: the DUT's serial port (or an emulator's pty).")
@click.option("--baud", default=None, help="serial: baud rate, or per mode: performance=115200,accuracy=921600.")
@click.option("--accel", default=None, help="simaccel: accelerator preset (mcu-npu, edge-npu) or TOML path.")
@click.option("--threads", type=int, default=None, help="host: interpreter threads (default 1).")
@click.option("--xnnpack/--no-xnnpack", default=None, help="host: use LiteRT's XNNPACK delegate (default on).")
@click.option("--cpu", default=None, help="host: pin the run to these CPUs, e.g. 1 or 2,3 (steadier timing).")
@click.option("--target-option", "-O", "target_options", multiple=True, metavar="KEY=VALUE",
              help="Any adapter option, e.g. -O threads=2 (repeatable).")
@click.option("--power", default=None,
              help="Power monitor for energy mode: lpm01a, joulescope, rapl (host default: rapl).")
@click.option("--power-option", "-P", "power_options", multiple=True, metavar="KEY=VALUE",
              help="Power-monitor option, e.g. -P port=/dev/ttyACM1 -P voltage_v=1.8 (repeatable).")
@click.option("--kitti-ap", "kitti_ap_method", type=click.Choice(["devkit", "exact"]), default="devkit", show_default=True,
              help="det01 accuracy: devkit = the official KITTI devkit's AP (what published tables print); exact = "
                   "the same ignore rules over the exact precision/recall curve (not valid for submission).")
@click.option("--report", "with_report", is_flag=True,
              help="Also write a standalone report.html (inline CSS/JS) into each bundle.")
@click.option("--sww-frontend", type=click.Choice(["firmware", "training"]), default="firmware", show_default=True,
              help="sww01 stream mode: the reference firmware's LFBE arithmetic, or the reference training code's.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON on stdout.")
def run(target: str, workloads: str, modes: str, model: str, data: Path | None, split: str, no_download: bool,
        out_dir: Path, quick: bool,
        windows: int | None, min_window_s: float | None, port: str | None, baud: str | None, accel: str | None,
        threads: int | None, xnnpack: bool | None, cpu: str | None,
        target_options: tuple[str, ...], power: str | None, power_options: tuple[str, ...], kitti_ap_method: str,
        with_report: bool, sww_frontend: str, as_json: bool) -> None:
    """Benchmark workloads on a target and write one result bundle per workload.

    Performance follows the MLPerf Tiny single-stream rule: 5 windows of at least 10 s,
    one input each; latency = 1 / median throughput. Spin-up times model bytes in memory
    → first result, cold (fresh process) and warm (in-process reload).
    """
    from tinybench.console import RichProgressReporter, print_summary, stderr
    from tinybench.rules import resolve_profile
    from tinybench.runner import RunPlan, execute

    options = _key_values(target_options, "--target-option")
    if accel is not None:
        options["accel"] = accel
    if port is not None:
        options["port"] = port
    if baud is not None:
        options["baud"] = baud
    if threads is not None:
        options["threads"] = threads
    if xnnpack is not None:
        options["xnnpack"] = xnnpack
    if cpu is not None:
        options["cpu"] = cpu
    workload_ids = _split(workloads)
    if not workload_ids:
        raise TinybenchError("no workload selected", hint="e.g. --workload kws01")
    plan = RunPlan(
        target=target, workloads=workload_ids, modes=_split(modes), model=model, out_dir=out_dir,
        rules=resolve_profile(quick, windows, min_window_s), target_options=options, data=data, split=split,
        download=not no_download, power=power, power_options=_key_values(power_options, "--power-option"),
        kitti_ap_method=kitti_ap_method,
        stream_frontend=sww_frontend,
    )
    try:
        with RichProgressReporter() as progress:
            results = execute(plan, progress)
    except KeyboardInterrupt:
        stderr.print(f"interrupted; completed workloads are kept in {out_dir}")
        sys.exit(130)
    if with_report:
        from tinybench.reports.standalone import write_reports

        for path in write_reports(r.bundle for r in results):
            stderr.print(f"report: {path}")
    if as_json:
        click.echo(json.dumps([dict(r.result, bundle=str(r.bundle)) for r in results], indent=2))
        from tinybench.stability import console_lines  # stability warnings still reach the terminal

        for line in (line for r in results for line in console_lines(r.result)):
            stderr.print(line, markup=False, highlight=False)
    else:
        print_summary(results, stderr if as_json else _stdout_console())
    if any(r.failed for r in results):
        sys.exit(EXIT_FAILURE)


def _key_values(items: tuple[str, ...], flag: str) -> dict[str, object]:
    values: dict[str, object] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise TinybenchError(f"{flag} expects KEY=VALUE, got '{item}'")
        values[key.strip()] = value.strip()
    return values


def _stdout_console():  # noqa: ANN202
    from rich.console import Console

    return Console()


@cli.group()
def targets() -> None:
    """Target adapters (built-in and from installed plugins)."""


@targets.command("list")
def targets_list() -> None:
    """List the registered target adapters."""
    from tinybench.targets import TARGETS

    for name, reg in TARGETS.registrations().items():
        click.echo(f"{name:12} {reg.origin:10} {reg.reference}")


@cli.group()
def workloads() -> None:
    """Benchmark workloads."""


@workloads.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the full descriptions as JSON.")
def workloads_list(as_json: bool) -> None:
    """List the registered workloads with their input and quality target."""
    from tinybench.workloads import WORKLOADS

    items = [WORKLOADS.get(name) for name in WORKLOADS.names()]
    if as_json:
        click.echo(json.dumps([w.summary() for w in items], indent=2))
        return
    for w in items:
        click.echo(f"{w.id:7} {w.title:30} input {w.input.describe():45} target {w.quality_target.describe()}")


@cli.group()
def models() -> None:
    """Built-in and reference models."""


@models.command("list")
def models_list() -> None:
    """List each workload's built-in and reference model."""
    from tinybench.workloads import WORKLOADS
    from tinybench.workloads.builtin_models import manifest
    from tinybench.workloads.reference_models import find_reference

    built = manifest().get("models", {})
    for name in WORKLOADS.names():
        w = WORKLOADS.get(name)
        entry = built.get(name)
        builtin = (f"builtin {entry['bytes']:>7} B, {entry['parameters']:>7} params, {entry['macs']:>10} MACs (untrained)"
                   if entry else "builtin: none")
        if w.reference is None:
            click.echo(f"{name:7} {builtin} | no official reference model")
            continue
        ref = find_reference(w)
        click.echo(f"{name:7} {builtin} | reference {w.reference.filename}: {'available' if ref else 'not fetched'}")


@models.command("build")
@click.option("--workload", "-w", "workloads", default=None, help="Comma-separated workloads (default: all).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Output directory (default: the installed built-in model folder).")
def models_build(workloads: str | None, out_dir: Path | None) -> None:
    """Build the built-in models from the Keras recipes (needs the `train` extra).

    The reference architectures with seeded, untrained weights, converted to full-integer
    int8 with a deterministic calibration set; writes the .tflite files and manifest.json.
    """
    from tinybench.workloads.builtin_models import BUILTIN_DIR
    from tinybench.workloads.recipes import RECIPES, import_tensorflow

    selected = _split(workloads) or tuple(RECIPES)
    for name in selected:
        if name not in RECIPES:
            raise TinybenchError(f"no recipe for workload '{name}'", hint=f"choose from: {', '.join(RECIPES)}")
    import_tensorflow()
    from tinybench.workloads.recipes.build import build_all
    from tinybench.workloads.recipes.quiet import quiet_native_output

    target_dir = out_dir or BUILTIN_DIR
    with quiet_native_output():
        manifest = build_all(target_dir, selected, on_progress=lambda w: click.echo(f"building {w}…", err=True))
    for name in selected:
        e = manifest["models"][name]
        click.echo(f"{name:7} {e['file']:14} {e['bytes']:>7} B  sha256 {e['sha256'][:16]}…  ops {sum(e['op_counts'].values())}")
    click.echo(f"wrote {target_dir / 'manifest.json'}")


@models.command("train")
@click.argument("workload", type=click.Choice(["det01"]))
@click.option("--data", required=True, type=click.Path(path_type=Path), help="KITTI object folder (image_2/, label_2/).")
@click.option("--split", default=None, help="A file of image ids to train on (default: every image).")
@click.option("--epochs", type=int, default=60, show_default=True)
@click.option("--batch", type=int, default=16, show_default=True)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("trained-models"), show_default=True)
def models_train(workload: str, data: Path, split: str | None, epochs: int, batch: int, out_dir: Path) -> None:
    """Train a model from its recipe (needs the `train` extra) and write it, int8, with its manifest.

    det01: the KITTI detector, trained on the given split, quantized with a calibration subset.
    Use it with: tinybench run -w det01 --model OUT/det01.tflite
    """
    from tinybench.workloads.recipes import import_tensorflow

    if epochs < 1 or batch < 1:
        raise TinybenchError("--epochs and --batch must be at least 1")
    import_tensorflow()
    from tinybench.workloads.recipes.quiet import quiet_native_output
    from tinybench.workloads.recipes.train_detector import train_det01

    with quiet_native_output():  # TensorFlow's native chatter; replayed if training fails
        entry = train_det01(data, out_dir, split, epochs, batch)
    click.echo(f"trained {epochs} epochs: final loss {entry['training']['final_loss']:.4f}", err=True)
    click.echo(f"wrote {out_dir / 'det01.tflite'} ({entry['bytes']} bytes, {entry['parameters']} parameters, "
               f"{entry['macs']} MACs) and {out_dir / 'manifest.json'}")


@models.command("fetch")
@click.option("--workload", "-w", "workloads", default=None, help="Comma-separated workloads (default: all).")
@click.option("--from", "mirror", type=click.Path(path_type=Path), default=None,
              help="Offline mirror folder (files as models/<name> or <name>) instead of the pinned URLs.")
@click.option("--force", is_flag=True, help="Fetch again even if a verified copy is cached.")
def models_fetch(workloads: str | None, mirror: Path | None, force: bool) -> None:
    """Download the official MLPerf Tiny models, verify their SHA-256 and cache them.

    Cache: $TINYBENCH_CACHE or ~/.cache/tinybench. URLs are pinned to an MLCommons commit;
    $TINYBENCH_MODEL_URL_BASE replaces the base (a company mirror).
    """
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    from tinybench.console import stderr
    from tinybench.workloads import WORKLOADS
    from tinybench.workloads.reference_fetch import fetch

    selected = _split(workloads) or tuple(n for n in WORKLOADS.names() if WORKLOADS.get(n).reference is not None)
    targets_ = [WORKLOADS.get(name) for name in selected]
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), console=stderr,
                  transient=True) as bar:
        for w in targets_:
            task = bar.add_task(w.reference.filename, total=w.reference.size_bytes)
            result = fetch(w, mirror=mirror, force=force,
                           on_progress=lambda done, total, t=task: bar.update(t, completed=done, total=total))
            bar.remove_task(task)
            click.echo(f"{w.id:7} {result.how:8} {result.path}  (sha256 ok, from {result.origin})")


@models.command("verify")
def models_verify() -> None:
    """Re-check the SHA-256 of every cached reference model (exit 1 on any mismatch)."""
    from tinybench.workloads import WORKLOADS
    from tinybench.workloads.reference_fetch import verify

    bad = 0
    for name in WORKLOADS.names():
        status, path = verify(WORKLOADS.get(name))
        bad += status == "mismatch"
        note = {"ok": "sha256 ok", "missing": "not fetched", "mismatch": "CHECKSUM MISMATCH: delete it and fetch again"}
        click.echo(f"{name:7} {note[status]:12} {path}")
    if bad:
        sys.exit(EXIT_FAILURE)


@cli.group()
def data() -> None:
    """Datasets: conversion to the EEMBC format; the sww01 long stream (build-sww)."""


@data.command("export-eembc")
@click.option("--workload", "-w", required=True, help="Workload id (vww01, kws01, ic01, ic02, ad01).")
@click.option("--from", "source", required=True, type=click.Path(path_type=Path), help="Raw dataset folder.")
@click.option("--to", "dest", required=True, type=click.Path(path_type=Path), help="Output folder (new or empty).")
@click.option("--split", default="test", show_default=True, help="Split of the raw dataset.")
@click.option("--limit", type=int, default=None, help="Export at most N samples.")
def data_export_eembc(workload: str, source: Path, dest: Path, split: str, limit: int | None) -> None:
    """Write the EEMBC/MLPerf Tiny `.bin` files and `y_labels.csv` from a raw dataset.

    Unreadable samples are listed and skipped (exit 2 if there were any).
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from tinybench.console import stderr
    from tinybench.workloads import get_workload
    from tinybench.workloads.datasets import open_dataset
    from tinybench.workloads.datasets.export import export_eembc

    w = get_workload(workload)
    dataset = open_dataset(w, source, split)
    total = min(len(dataset), limit) if limit is not None else len(dataset)
    with Progress(TextColumn("exporting"), BarColumn(), MofNCompleteColumn(), console=stderr,
                  transient=True) as bar:
        task = bar.add_task("export", total=total)
        report = export_eembc(w, dataset, dest, limit, on_sample=lambda: bar.advance(task))
    click.echo(f"wrote {report.written} files and {report.labels_file}")
    for problem in report.skipped:
        click.echo(f"skipped: {problem}", err=True)
    if report.skipped:
        click.echo(f"tinybench: error: {len(report.skipped)} samples could not be read (listed above)", err=True)
        sys.exit(EXIT_USAGE)


@cli.group()
def report() -> None:
    """Results → tables and a static HTML leaderboard site."""


from tinybench.reports.report_cli import register as _register_report  # noqa: E402 - build, export, query
_register_report(report)


@cli.group()
def submit() -> None:
    """Vendor submissions: pack results, check a submission."""


@submit.command("pack")
@click.option("--results", "results_dirs", multiple=True, required=True, type=click.Path(path_type=Path),
              help="Result bundles to submit (folders; repeatable).")
@click.option("--org", "organization", required=True, help="Submitting organization (letters, digits, _ . -).")
@click.option("--system", "system_file", type=click.Path(path_type=Path), default=None,
              help="System description JSON (tinybench.system/1); default: made from the bundles.")
@click.option("--status", type=click.Choice(["available", "preview", "rdi"]), default="available", show_default=True)
@click.option("--revision", type=int, default=1, show_default=True, help="Revision (a higher one supersedes).")
@click.option("--out", "out_file", required=True, type=click.Path(path_type=Path), help="Archive to write (.tar.gz).")
@click.option("--sww-truth", type=click.Path(path_type=Path), default=None,
              help="sww01: the truth file (sww_long_test.json) the stream run used, if it has moved since.")
def submit_pack(results_dirs: tuple[Path, ...], organization: str, system_file: Path | None, status: str,
                revision: int, out_file: Path, sww_truth: Path | None) -> None:
    """Pack result bundles into a submission archive (MLPerf Tiny layout + SHA-256 manifest)."""
    from tinybench.reports.submission_pack import pack

    if revision < 1:
        raise TinybenchError("--revision must be at least 1")
    click.echo(f"wrote {pack(results_dirs, out_file, organization, system_file, revision, status, sww_truth)}")


@submit.command("check")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the verdict and every problem as JSON.")
def submit_check(path: Path, as_json: bool) -> None:
    """Check a submission (archive or folder): exit 0 only if it is acceptable.

    Never executes anything from it; refuses links, path traversal, device files, oversized or
    deeply nested content and malformed JSON; recomputes every published figure from its samples.
    """
    from tinybench.reports.submission_check import check_submission

    if not path.exists() and not path.is_symlink():
        from tinybench.reports.safe_text import for_terminal

        raise TinybenchError(f"no such submission: {for_terminal(path)}")
    report = check_submission(path)
    click.echo(json.dumps(report.to_json(), indent=2) if as_json else report.to_text())
    if not report.accepted:
        sys.exit(EXIT_FAILURE)


@cli.group("import")
def import_() -> None:
    """Bring results from elsewhere onto the leaderboard."""


@import_.command("mlperf-tiny")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("tinybench-results/imported"),
              show_default=True, help="Where the imported result bundles go.")
def import_mlperf_tiny(source: Path, out_dir: Path) -> None:
    """Import MLCommons runner sessions (results.txt, results.json, log.txt) or a published
    MLPerf Tiny results repository ({closed,open}/<org>/results/<system>/<model>/<mode>/)."""
    from tinybench.reports.mlperf_import import import_results
    from tinybench.reports.safe_text import for_terminal

    if not source.exists():
        raise TinybenchError(f"no such folder: {for_terminal(source)}")
    imported = import_results(source, out_dir)
    for note in imported.notes:
        click.echo(for_terminal(f"note: {note}"), err=True)
    for problem in imported.skipped:
        click.echo(for_terminal(f"skipped: {problem}"), err=True)
    click.echo(for_terminal(f"imported {len(imported.bundles)} results into {out_dir}"))
    if not imported.bundles and not imported.notes:
        sys.exit(EXIT_FAILURE)


@cli.group()
def emulate() -> None:
    """Device emulators on pseudo-terminals (try the serial flow without hardware)."""


@emulate.command("dut")
@click.option("--workload", "-w", required=True, help="Workload the emulated firmware is built for.")
@click.option("--model", default="builtin", show_default=True, help="builtin, reference or a .tflite PATH.")
@click.option("--mode", type=click.Choice(["performance", "energy"]), default="performance", show_default=True,
              help="Firmware build: m-lap-us timestamps (performance) or timestamp pulses (energy).")
@click.option("--clock-mhz", type=float, default=120.0, show_default=True, help="Cycle model: core clock.")
@click.option("--cycles-per-mac", type=float, default=2.0, show_default=True, help="Cycle model: cycles per MAC.")
@click.option("--boot-ms", type=float, default=None, help="Cycle model: reset → m-init-done time (default ~50 ms).")
@click.option("--line-rate", type=int, default=0, help="Pace the link like a UART at this baud (0: unlimited).")
@click.option("--time-scale", type=float, default=1.0, show_default=True,
              help="1: real time, as a board runs; 0: a virtual clock for fast tests (shared with "
                   "`emulate lpm01a --time-scale 0`).")
@click.option("--timer-start", type=int, default=0, help="Start value of the 32-bit µs timer (test wrap-around).")
@click.option("--model-id", default=None, help="Model id that `profile` announces (fault: wrong firmware).")
@click.option("--vendor", default="tinybench-emulator", show_default=True,
              help="Vendor string of `name` (the reference firmware says 'unspecified').")
@click.option("--reset-after", type=int, default=None, help="Fault: reboot when command N arrives.")
@click.option("--stall-after", type=int, default=None, help="Fault: stop answering after N commands.")
@click.option("--garbage-after", type=int, default=None, help="Fault: garbage bytes inside the reply to command N.")
@click.option("--tx-corrupt-rate", type=float, default=0.0, help="Fault: probability of corrupting a sent byte.")
@click.option("--rx-drop-rate", type=float, default=0.0, help="Fault: probability of losing a received byte.")
@click.option("--seed", type=int, default=0, help="Seed of the fault generator.")
@click.option("--monitor-socket", default=None,
              help="Unix socket of `tinybench emulate lpm01a` (its dut-socket) to report activity and pulses to.")
@click.option("--interface-board", is_flag=True,
              help="Serve the DUT behind an emulated interface board (dut <cmd> passthrough, energy-mode link).")
@click.option("--fault-command", default=None,
              help="Count faults only on commands starting with this word (e.g. infer, db).")
@click.option("--sd-card", default=None, type=click.Path(file_okay=False),
              help="With --interface-board: the board's SD card folder; `play FILE` streams its wavs over I2S "
                   "to the DUT (sww01).")
def emulate_dut(workload: str, model: str, mode: str, clock_mhz: float, cycles_per_mac: float,
                boot_ms: float | None, line_rate: int,
                time_scale: float, timer_start: int, model_id: str | None, vendor: str, reset_after: int | None,
                stall_after: int | None, garbage_after: int | None, tx_corrupt_rate: float, rx_drop_rate: float,
                seed: int, monitor_socket: str | None, interface_board: bool, fault_command: str | None,
                sd_card: str | None) -> None:
    """A MLPerf Tiny reference firmware on a pseudo-terminal; prints `pty: PATH` and `pid: PID`.

    The model runs in the TFLite Micro interpreter (the `tflm` extra); the device follows a
    cycle model, so reported times are deterministic. It runs in real time by default, as a
    board does (`--time-scale 0`: a virtual clock for fast tests). `kill -HUP PID` resets it.
    Connect with: tinybench run --target serial -O port=PATH -w WORKLOAD
    sww01: the reference sww DUT (front end + model every 32-ms frame); with --interface-board
    --sd-card DIR the board plays DIR's wavs to it: tinybench run -t serial -O interface_port=PATH -m stream
    """
    from tinybench.targets.emulators.cycle_model import CycleModel
    from tinybench.targets.emulators.dut_app import EmulatorOptions, serve
    from tinybench.targets.emulators.dut_pty import FaultPlan

    try:
        extra = {} if boot_ms is None else {"boot_cycles": boot_ms * 1e-3 * clock_mhz * 1e6, "cycles_per_model_byte": 0}
        cycle_model = CycleModel(clock_hz=clock_mhz * 1e6, cycles_per_mac=cycles_per_mac, **extra)
    except ValueError as exc:
        raise TinybenchError(f"invalid cycle model: {exc}") from exc
    from tinybench.targets.emulators.emulator_clock import clock_kind
    from tinybench.targets.emulators.monitor_link import MonitorLinkError

    try:
        clock_kind(time_scale)
    except ValueError as exc:
        raise TinybenchError(str(exc)) from exc
    try:
        serve(EmulatorOptions(
            workload=workload, model=model, energy_mode=mode == "energy", cycle_model=cycle_model,
            faults=FaultPlan(tx_corrupt_rate, rx_drop_rate, reset_after, stall_after, garbage_after, seed,
                             fault_command),
            line_rate_baud=line_rate, time_scale=time_scale, timer_start_us=timer_start, model_id=model_id,
            vendor=vendor, interface_board=interface_board, monitor_socket=monitor_socket, sd_card=sd_card,
        ))
    except (MonitorLinkError, ValueError) as exc:
        raise TinybenchError(str(exc)) from exc


@emulate.command("lpm01a")
@click.option("--idle-ma", type=float, default=1.0, show_default=True, help="Power model: DUT idle current (mA).")
@click.option("--active-ma", type=float, default=10.0, show_default=True,
              help="Power model: DUT current while inferring (mA).")
@click.option("--dut-socket", default=None, help="Where to listen for the DUT emulator (default: a temporary path).")
@click.option("--time-scale", type=float, default=1.0, show_default=True,
              help="1: stream in real time, as the instrument; 0: follow the DUT emulator's virtual clock "
                   "(start it with --time-scale 0 too).")
@click.option("--buffer-bytes", type=click.IntRange(256, 1 << 24), default=4096, show_default=True,
              help="Instrument output buffer: when the host stops reading and it fills, bytes are lost.")
@click.option("--log-events", is_flag=True, help="Print each event line on stdout when it is written (tests).")
@click.option("--no-ack", default=None, help="Fault: never acknowledge this command (first word, or 'all').")
@click.option("--malformed-after", type=int, default=None, help="Fault: one malformed sample line after N samples.")
@click.option("--skip-event", type=int, default=None, help="Fault: number event N as N+1 (non-consecutive).")
@click.option("--miss-pulse", type=int, default=None, help="Fault: never see the Nth timestamp pulse.")
@click.option("--garbage-after-event", type=int, default=None, help="Fault: a burst of malformed lines after event N.")
@click.option("--stop-after-event", type=int, default=None, help="Fault: the stream stops for good after event N.")
def emulate_lpm01a(idle_ma: float, active_ma: float, dut_socket: str | None, time_scale: float, buffer_bytes: int,
                   log_events: bool, no_ack: str | None, malformed_after: int | None, skip_event: int | None,
                   miss_pulse: int | None, garbage_after_event: int | None, stop_after_event: int | None) -> None:
    """An ST X-NUCLEO-LPM01A power monitor on a pseudo-terminal; prints `pty:`, `pid:`, `dut-socket:`.

    After `start` it streams energy samples at the configured rate until `stop`, whatever
    the DUT does. Their values follow a power model (supply voltage × idle or active
    current) of an emulated DUT: start it with `tinybench emulate dut --mode energy
    --monitor-socket <dut-socket>`; its timestamp pulses become `event N ris` lines.
    """
    from tinybench.targets.emulators.emulator_clock import clock_kind
    from tinybench.targets.emulators.lpm01a_emulator import MonitorFaults, PowerModel
    from tinybench.targets.emulators.lpm01a_server import ServerOptions, serve

    if idle_ma < 0 or active_ma < 0:
        raise TinybenchError("currents must not be negative")
    try:
        kind = clock_kind(time_scale)
    except ValueError as exc:
        raise TinybenchError(str(exc)) from exc
    faults = MonitorFaults(no_ack, malformed_after, skip_event, miss_pulse, garbage_after_event, stop_after_event)
    serve(ServerOptions(PowerModel(idle_ma, active_ma), faults, dut_socket, kind, buffer_bytes, log_events))


from tinybench.compare_cli import compare_command  # noqa: E402 - commands kept in their own modules
from tinybench.system_cli import system  # noqa: E402

cli.add_command(compare_command)
cli.add_command(system)


cli.add_command(lab_group)


from tinybench.sww_cli import build_sww  # noqa: E402  (sww01 stream builder, its own module)

data.add_command(build_sww)


def main() -> None:
    cli(prog_name="tinybench")
