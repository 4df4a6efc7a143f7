"""Names shared by `submit pack` and `submit check` (MLPerf Tiny's layout).

    submission.json                                   manifest: organization, division, system,
                                                      revision, every file with SHA-256 and size
    <division>/<org>/systems/<system>.json            system description (tinybench.system/1)
    <division>/<org>/results/<system>/<model>/model.tflite   the model file that ran (host, tflm,
                                                      simaccel: the checker hashes it)
    <division>/<org>/results/<system>/<model>/<mode>/ result.json (that mode only) + its raw files

`<model>` is MLPerf Tiny's name (kws, vww, ic, ic2, ad, sww); `<mode>` is performance,
accuracy, energy or spinup — and for sww `stream` (required; no accuracy: sww is scored on the stream). Each fact exists once: a mode's `result.json` holds only that
mode, and what several records repeat (system, workload, model) must be identical.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

MODEL_DIRS = {"kws01": "kws", "vww01": "vww", "ic01": "ic", "ic02": "ic2", "ad01": "ad", "sww01": "sww"}
WORKLOAD_OF = {v: k for k, v in MODEL_DIRS.items()}
MODES = ("performance", "accuracy", "energy", "spinup", "stream")
REQUIRED_MODES = ("performance", "accuracy")  # as MLPerf Tiny v1.4 requires for every model but sww
# sww is measured in one stream run (detections, duty cycle, throughput, power); its model-only modes may come too
MODEL_MODES = {"sww": ("stream", "performance", "spinup", "energy")}
MODEL_REQUIRED = {"sww": ("stream",)}
MANIFEST = "submission.json"
MODEL_FILE = "model.tflite"
MAX_MODEL_BYTES = 16 * 1024 * 1024
# adapters whose runner hashed the model file it ran: a division claim from them is verified by the file
VERIFIABLE_ADAPTERS = ("host", "tflm", "simaccel")
# the raw files each mode keeps beside result.json (required ones first)
MODE_FILES = {
    "performance": (["performance_windows.csv"], ["performance_inferences.parquet"]),
    "accuracy": ([], ["accuracy_predictions.csv", "accuracy_scores.csv"]),
    "energy": (["energy_windows.csv"], ["energy_trace.parquet"]),
    "spinup": (["spinup.csv"], []),
    # the truth windows are required: TP/FN/FP are re-scored from the detections (frames: in-process targets)
    "stream": (["stream_detections.csv", "stream_dutycycle.csv", "stream_truth.csv"], ["stream_frames.parquet"]),
}
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\Z")  # \Z: `$` also matches before a final "\n"


def allowed_modes(model: str) -> tuple[str, ...]:
    """The mode folders a model may have (`stream` only for sww, which has no accuracy folder)."""
    return MODEL_MODES.get(model, tuple(m for m in MODES if m != "stream"))


def required_modes(model: str) -> tuple[str, ...]:
    return MODEL_REQUIRED.get(model, REQUIRED_MODES)


def division_basis(result: dict) -> str:
    """`verified` or `declared`: what the bundle says, else the adapter's default (serial: declared)."""
    basis = result["model"].get("division_basis")
    if basis in ("verified", "declared"):
        return basis
    return "verified" if result["target"]["adapter"] in VERIFIABLE_ADAPTERS else "declared"


def safe_name(text: str) -> str:
    """`text` as a path component: letters, digits, `_ . -` only."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._-")[:120]
    return cleaned or "system"


@lru_cache(maxsize=None)
def schema(name: str) -> dict:
    return json.loads(resources.files("tinybench.reports").joinpath(f"schemas/{name}.schema.json").read_text("utf-8"))


def schema_problem(name: str, data: object) -> str | None:
    """How `data` departs from schema `name` ("path: message" of the most relevant error, ≤ 300 characters), or
    None. `pattern` is read as JSON Schema defines it: a final `$` is the end of the text, not a final newline."""
    import jsonschema

    from tinybench.result_schema import ecma_draft202012, short

    error = jsonschema.exceptions.best_match(ecma_draft202012()(schema(name)).iter_errors(data))
    if error is None:
        return None
    return short(f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}")
