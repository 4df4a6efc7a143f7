"""The submission rules of a sww `stream` record, checked on the figures recomputed from its raw files.

From MLPerf Tiny's rules and checker (`submission_checker.py`, `MLPerfTiny_Rules.adoc`):

- `sww_long_stream` (both divisions): the result is the official 20-minute stream — one
  dataset stream of 1200 s whose truth has 50 wake words, and TP + FN = 50 (the checker's
  test);
- `sww_truth` (both divisions): the truth windows' start times are the official stream's
  insertion times (`long_wav_spec.json`, where it is available offline: cache or
  `TINYBENCH_REFERENCE_DIR`; otherwise a note says they were not compared), and each window
  lasts at most 1 s (its stop depends on the clip's trimming, which needs Speech Commands:
  the length is what can be checked offline);
- `sww_false_positives`, `sww_false_negatives` (closed division): at most 8 of each, counted
  by re-scoring the submitted detections against the submitted truth;
- `sww_recomputed`: TP/FN/FP must have been recomputed (the truth windows are present).

Every problem names its rule, the figure and the limit.
"""

from __future__ import annotations

from tinybench.workloads.metrics.sww_scoring import CLOSED_WAKE_WORDS

OFFICIAL_LENGTH_S = 1200.0
MAX_WORD_S = 1.0  # a truth window is a Speech Commands clip (1 s at most) trimmed (build_long_wav.py)
COVERED = frozenset({"official_stream", "quality_target", "recomputed"})  # re-derived checks reported here by name


def official_starts() -> list[float] | None:
    """The official long stream's wake-word insertion times (s), if the spec is available offline."""
    from tinybench.workloads.datasets.sww_build import official_spec_path, read_spec
    from tinybench.workloads.datasets.sww_stream import DatasetError

    try:
        return [w.at_s for w in read_spec(official_spec_path(download=False)).wake_words]
    except (DatasetError, OSError):
        return None


def stream_rules(block: dict, where: str, division: str, report) -> None:  # noqa: ANN001 - CheckReport
    path = f"{where}/result.json"
    metrics, streams = block["metrics"], block["streams"]
    truth = block.get("_truth_windows_s")
    if truth is None:
        report.add(f"{where}/stream_truth.csv", "sww_recomputed", "TP/FN/FP could not be re-scored: the truth "
                                                                  "windows are missing or unreadable")
        return
    if len(streams) != 1 or streams[0]["origin"] != "dataset" or \
            abs(streams[0]["seconds"] - OFFICIAL_LENGTH_S) >= 1.0 or len(truth[0]) != CLOSED_WAKE_WORDS:
        described = "; ".join(f"{s['wav_file'][:60]}: {s['seconds']:.1f} s, {len(w)} wake words"
                              for s, w in zip(streams[:3], truth))
        report.add(path, "sww_long_stream", f"the result must be the official 20-minute stream with "
                                            f"{CLOSED_WAKE_WORDS} wake words ({described})")
        return
    tp, fn, fp = (int(metrics[k]["value"]) for k in ("true_positives", "false_negatives", "false_positives"))
    if tp + fn != CLOSED_WAKE_WORDS:
        report.add(path, "sww_long_stream", f"TP + FN = {tp + fn}; the long stream has {CLOSED_WAKE_WORDS} wake words")
    starts = official_starts()
    if starts is None:
        report.notes.append(f"{where}: the truth windows' start times were not compared with the official stream "
                            "(long_wav_spec.json is not available offline: set TINYBENCH_REFERENCE_DIR or run "
                            "`tinybench data build-sww` once)")
    elif len(starts) != len(truth[0]) or any(abs(a - b) > 1e-6 for a, (b, _) in zip(starts, truth[0])):
        first = next((i for i, (a, (b, _)) in enumerate(zip(starts, truth[0])) if abs(a - b) > 1e-6), len(starts))
        report.add(f"{where}/stream_truth.csv", "sww_truth", f"the truth windows are not the official stream's "
                                                             f"(wake word {first + 1} differs from long_wav_spec.json)")
    long = next((i for i, (start, stop) in enumerate(truth[0]) if not 0 < stop - start <= MAX_WORD_S), None)
    if long is not None:
        start, stop = truth[0][long]
        report.add(f"{where}/stream_truth.csv", "sww_truth", f"wake word {long + 1}'s truth window lasts "
                                                             f"{stop - start:.3f} s; an official window is one trimmed "
                                                             f"Speech Commands clip, more than 0 and at most "
                                                             f"{MAX_WORD_S:g} s (a wider one turns false positives "
                                                             "into hits)")
    if division == "closed":
        limit = closed_limit()
        if fp > limit:
            report.add(path, "sww_false_positives", f"{fp} false positives on the long stream; the closed division "
                                                    f"allows at most {limit} (recomputed from the detections)")
        if fn > limit:
            report.add(path, "sww_false_negatives", f"{fn} false negatives on the long stream; the closed division "
                                                    f"allows at most {limit} (recomputed from the detections)")


def closed_limit() -> int:
    """The closed-division quality target as sww01 declares it (`QualityTarget("sww_fp_fn", 8)`: at most this many
    false positives and at most this many false negatives); MLPerf Tiny's checker: `fp > 8 or fn > 8` fails."""
    from tinybench.workloads import get_workload

    return int(get_workload("sww01").quality_target.minimum)
