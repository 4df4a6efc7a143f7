"""`stream_truth.csv`: the truth windows a sww01 stream result was scored against, as a raw file.

A scored stream run writes this file itself (`bench/modes/stream.py`); for a bundle without it
(an older run), which names its truth file only by path (`dataset.root` / `dataset.truth_file`),
`submit pack` (and anyone preparing a bundle for the site) reads that file with the dataset reader (:func:`read_truth`, bounded and validated)
and writes the windows of each stream the run used, in the run's stream order, so the
checker and the site can re-score the detections (:mod:`recompute_stream`).
Columns: stream (index in `modes.stream.streams`), window (0, 1, … in file order), start_s,
stop_s (repr of the float, exact).
"""

from __future__ import annotations

from pathlib import Path

from tinybench.errors import TinybenchError

FILE = "stream_truth.csv"


def truth_path(result: dict) -> Path | None:
    dataset = result.get("dataset") or {}
    if dataset.get("kind") != "sww-stream" or not dataset.get("root") or not dataset.get("truth_file"):
        return None
    return Path(dataset["root"]) / dataset["truth_file"]


def truth_csv(result: dict, path: Path | None = None) -> str:
    """The CSV for `result`'s streams from its truth file (`path`, else the one the run recorded)."""
    from tinybench.workloads.datasets.sww_stream import DatasetError, read_truth

    block = result["modes"]["stream"]
    path = path or truth_path(result)
    if path is None:
        raise TinybenchError(f"run {result['run_id']}: its stream had no truth file (a synthetic stream cannot be "
                             "scored or submitted)", hint="run -m stream --data sww_long_test.json")
    try:
        entries = {t.wav_file: t for t in read_truth(path)}
    except DatasetError as exc:
        raise TinybenchError(f"run {result['run_id']}: its truth file cannot be read: {exc}",
                             hint="pass it with --sww-truth FILE if it moved") from exc
    lines = ["stream,window,start_s,stop_s"]
    for number, stream in enumerate(block["streams"]):
        truth = entries.get(stream["wav_file"])
        if truth is None or len(truth.windows) != stream["truth_windows"]:
            raise TinybenchError(f"run {result['run_id']}: {path} does not describe stream {stream['wav_file']!r} "
                                 f"with {stream['truth_windows']} wake words as the run recorded it",
                                 hint="pass the truth file the run used with --sww-truth FILE")
        lines += [f"{number},{i},{start!r},{stop!r}" for i, (start, stop) in enumerate(truth.windows)]
    return "\n".join(lines) + "\n"
