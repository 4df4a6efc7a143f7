"""Review 6: the bundle writer must never end a measured run with a traceback, nor write a bundle its readers refuse.

A file name that is not UTF-8 (here a model file called b"m\\xff.tflite", legal on Linux) reaches Python as a lone
surrogate (surrogateescape): `tinybench run --model` measured the run, then crashed in `BundleWriter.commit` with a
UnicodeEncodeError traceback and left only a `.partial-…` folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tinybench.reports.safe_json import load_untrusted, visible_controls

BUILTIN_KWS = Path(__file__).resolve().parents[2] / "workloads" / "builtin" / "kws01.tflite"


def test_a_model_file_name_that_is_not_utf8_gives_a_bundle_every_reader_accepts(tmp_path):
    model = os.fsencode(tmp_path) + b"/m\xff.tflite"
    with open(model, "wb") as out:
        out.write(BUILTIN_KWS.read_bytes())
    done = subprocess.run([os.fsencode(sys.executable), b"-m", b"tinybench", b"run", b"-w", b"kws01", b"--quick",
                           b"-m", b"performance", b"--model", model, b"--out", os.fsencode(tmp_path / "results")],
                          capture_output=True, timeout=600)
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr.decode(errors="replace")[-1500:]
    written = next((tmp_path / "results").glob("*/result.json"))
    result = load_untrusted(written)  # the site, the checker and the packer read it so: no Refusal
    assert result["model"]["path"].endswith("/m\\xff.tflite")  # the byte shown, not lost


def test_lone_surrogates_are_written_visibly():
    assert visible_controls({"m\udcff": ["a\ud800b", "ok \U0001f600"]}) == {"m\\xff": ["a\\ud800b", "ok \U0001f600"]}
