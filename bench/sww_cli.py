"""`tinybench data build-sww`: the official sww01 20-minute stream, rebuilt from its recipe."""

from __future__ import annotations

from pathlib import Path

import click

from tinybench.errors import TinybenchError


@click.command("build-sww")
@click.option("--speech-commands", "speech_commands", required=True, type=click.Path(path_type=Path),
              help="Speech Commands v0.02 folder (holds marvin/…).")
@click.option("--musan", required=True, type=click.Path(path_type=Path), help="MUSAN folder (holds music/, speech/).")
@click.option("--to", "dest", required=True, type=click.Path(path_type=Path),
              help="Output folder: the wav and its truth file, ready for --data.")
@click.option("--spec", type=click.Path(path_type=Path), default=None,
              help="A stream recipe (*_spec.json). Default: the official long_wav_spec.json, verified by SHA-256 "
                   "(cache, TINYBENCH_REFERENCE_DIR/sww/, else downloaded from its pinned URL).")
@click.option("--wav-name", default="long_wav.wav", show_default=True, help="Name of the wav written.")
@click.option("--truth-name", default="sww_long_test.json", show_default=True, help="Name of the truth file written.")
@click.option("--no-download", is_flag=True, help="Never download the official spec.")
@click.option("--force", is_flag=True, help="Replace an existing wav / truth file of the same name.")
def build_sww(speech_commands: Path, musan: Path, dest: Path, spec: Path | None, wav_name: str, truth_name: str,
              no_download: bool, force: bool) -> None:
    """Rebuild the official sww01 long stream sample for sample from Speech Commands and MUSAN.

    Follows MLPerf Tiny's build_long_wav.py to the letter (first N samples of each background,
    signed trim of the wake words, std normalisation, float32 mixing, peak normalisation, the
    int16 cast whose +1.0 peak wraps to -32768), writes a 2-channel 16-bit wav with the
    44-byte header the interface board needs and the truth file in the runner's format.
    Then: tinybench run -w sww01 -m stream --model reference --data OUT
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from tinybench.console import stderr
    from tinybench.workloads.datasets.sww_build import (
        build_stream,
        official_spec_path,
        read_spec,
        write_stream,
    )
    from tinybench.workloads.datasets.sww_stream import plain_name

    for name, folder in (("--speech-commands", speech_commands), ("--musan", musan)):
        if not folder.is_dir():
            raise TinybenchError(f"{name} {folder} is not a folder")
    names = [plain_name(n, "--wav-name / --truth-name") for n in (wav_name, truth_name)]
    if not names[0].endswith(".wav") or not names[1].endswith(".json"):
        raise TinybenchError("--wav-name must end in .wav and --truth-name in .json")
    existing = [dest / n for n in names if (dest / n).exists()]
    if existing and not force:
        raise TinybenchError(f"{existing[0]} already exists", hint="choose another --to folder, or pass --force")
    spec_path = spec if spec is not None else official_spec_path(download=not no_download)
    recipe = read_spec(spec_path)
    roots = {"speech_commands_path": speech_commands, "musan_path": musan}
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=stderr,
                  transient=True) as bar:
        task = bar.add_task("reading and mixing", total=len(recipe.backgrounds) + len(recipe.wake_words))
        samples, windows = build_stream(recipe, roots, lambda what, done, total: bar.update(task, completed=done))
        bar.update(task, description="writing")
        built = write_stream(samples, windows, recipe.length_s, dest, *names)
    click.echo(f"wrote {built.wav} ({built.samples} samples x 2 channels, {built.samples / 16000:g} s, "
               f"{len(windows)} wake words, sha256 {built.sha256}) and {built.truth}")
