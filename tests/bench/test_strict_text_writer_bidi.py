"""The bundle writer writes C1 control and bidirectional formatting characters of names it was given as visible
text (`\\u009b`, `\\u202e`), as it does C0 control characters: its readers refuse them, so a model file called
"m\\u202elife.tflite" (legal on Linux; shown as "mefil.tflite"-like reversed text) would otherwise give a measured run
that the site, the checker and the packer all refuse."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tinybench.reports.safe_json import load_untrusted, visible_controls

BUILTIN_KWS = Path(__file__).resolve().parents[2] / "workloads" / "builtin" / "kws01.tflite"


def test_c1_and_bidi_characters_are_written_visibly():
    given = {"k\u202e": ["a\u009bb", "\u2066x\u2069", "\u200f\u061c\u200e", "\u05e9\u05d1\u05d1 \u00b5s \u202f ok"]}
    assert visible_controls(given) == {"k\\u202e": ["a\\u009bb", "\\u2066x\\u2069", "\\u200f\\u061c\\u200e",
                                                    "\u05e9\u05d1\u05d1 \u00b5s \u202f ok"]}


def test_a_model_file_name_with_bidi_and_c1_characters_gives_a_bundle_every_reader_accepts(tmp_path):
    model = tmp_path / "m\u202egnp\u009b.tflite"
    model.write_bytes(BUILTIN_KWS.read_bytes())
    done = subprocess.run([sys.executable, "-m", "tinybench", "run", "-w", "kws01", "--quick", "-m", "performance",
                           "--model", str(model), "--out", str(tmp_path / "results")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-1500:]
    written = next((tmp_path / "results").glob("*/result.json"))
    assert "\u202e" not in written.read_text(encoding="utf-8")
    result = load_untrusted(written)  # the site, the checker and the packer read it so: no Refusal
    assert result["model"]["path"].endswith("/m\\u202egnp\\u009b.tflite")  # shown, not lost
