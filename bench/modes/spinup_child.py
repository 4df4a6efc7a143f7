"""Child process for a cold spin-up: a fresh interpreter loads the model once and exits.

Invoked by :mod:`tinybench.modes.spinup` as
`python -m tinybench.modes.spinup_child REQUEST.json`; prints one JSON object on stdout.
"""

from __future__ import annotations

import json
import sys
import time


def main(request_path: str) -> int:
    t_start = time.perf_counter_ns()
    import numpy as np

    from tinybench.errors import TinybenchError
    from tinybench.targets import create_target
    from tinybench.workloads import get_workload
    from tinybench.workloads.model_artifact import load_model

    with open(request_path, encoding="utf-8") as fh:
        request = json.load(fh)
    try:
        t_import = time.perf_counter_ns()
        target = create_target(request["target"], request["options"])  # imports the runtime
        t_ready = time.perf_counter_ns()
        workload = get_workload(request["workload"])
        model = load_model(request["model_path"], workload, request["model_source"], request["trained"])
        tensor = np.load(request["input_npy"])
        load = target.load(model)  # the clock starts with the model bytes in memory
        first = target.infer(tensor, 1, 0)
        target.close()
    except TinybenchError as exc:
        print(json.dumps({"error": exc.one_line()}))
        return 2
    phases = dict(load.phases_s)
    phases["first_inference"] = first.window_s
    print(json.dumps({
        "phases_s": phases,
        "runtime_import_s": (t_ready - t_import) / 1e9,
        "interpreter_start_s": (t_import - t_start) / 1e9,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
