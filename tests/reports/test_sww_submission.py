"""The sww01 submission rules on forged truth windows (pure: a recomputed block, no run)."""

from __future__ import annotations

import json

from tinybench.reports.submission_check import CheckReport
from tinybench.reports.sww_submission import stream_rules


def _block(windows: list[list[float]]) -> dict:
    counts = {"true_positives": 50, "false_negatives": 0, "false_positives": 0}
    return {"metrics": {k: {"value": v} for k, v in counts.items()}, "_truth_windows_s": [windows],
            "streams": [{"wav_file": "long_wav.wav", "origin": "dataset", "seconds": 1200.0}]}


def _rules(windows: list[list[float]]) -> dict[str, str]:
    report = CheckReport("test")
    stream_rules(_block(windows), "sww/stream", "closed", report)
    return {p.rule: p.message for p in report.problems}


def test_truth_windows_widened_past_a_spoken_word_are_refused(reference_dir):
    """The official starts with stops pushed to just before the next word: every false trigger after a word would
    re-score as a hit. A window is a trimmed Speech Commands clip: at most 1 s."""
    official = json.loads((reference_dir / "sww" / "sww_long_test.json").read_text())[0]["detection_windows"]
    assert _rules(official) == {}
    widened = [[start, nxt[0] - 0.1] for (start, _), nxt in zip(official, official[1:] + [[1200.0, 0]])]
    problems = _rules(widened)
    assert "sww_truth" in problems and "wake word 1" in problems["sww_truth"] and "1 s" in problems["sww_truth"], \
        problems
