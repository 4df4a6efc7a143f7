"""Names shared by `submit pack` and `submit check` (MLPerf Tiny's layout).

    submission.json                                   manifest: organization, division, system,
                                                      revision, every file with SHA-256 and size
    <division>/<org>/systems/<system>.json            system description (tinybench.system/1)
    <division>/<org>/results/<system>/<model>/<mode>/ result.json + that mode's raw files

`<model>` is MLPerf Tiny's name (kws, vww, ic, ic2, ad); `<mode>` is performance,
accuracy, energy or spinup.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

MODEL_DIRS = {"kws01": "kws", "vww01": "vww", "ic01": "ic", "ic02": "ic2", "ad01": "ad"}
WORKLOAD_OF = {v: k for k, v in MODEL_DIRS.items()}
MODES = ("performance", "accuracy", "energy", "spinup")
REQUIRED_MODES = ("performance", "accuracy")  # as MLPerf Tiny v1.4 requires for every model
MANIFEST = "submission.json"
# the raw files each mode keeps beside result.json (required ones first)
MODE_FILES = {
    "performance": (["performance_windows.csv"], ["performance_inferences.parquet"]),
    "accuracy": ([], ["accuracy_predictions.csv", "accuracy_scores.csv"]),
    "energy": (["energy_windows.csv"], ["energy_trace.parquet"]),
    "spinup": (["spinup.csv"], []),
}
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def safe_name(text: str) -> str:
    """`text` as a path component: letters, digits, `_ . -` only."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._-")[:120]
    return cleaned or "system"


@lru_cache(maxsize=None)
def schema(name: str) -> dict:
    return json.loads(resources.files("tinybench.reports").joinpath(f"schemas/{name}.schema.json").read_text("utf-8"))
