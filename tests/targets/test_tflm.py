"""The tflm target: the real TFLite Micro interpreter, MCU kernels and arena use."""

import json
import subprocess

import numpy as np
import pytest

from tinybench.errors import ModelError
from tinybench.targets import Capability, create_target
from tinybench.targets.tflm_runtime import runtime_module
from tinybench.workloads import get_workload
from tinybench.workloads.model_choice import resolve_model
from tinybench.workloads.synthetic import SyntheticDataset

# Arena sizes of MLPerf Tiny's reference firmwares (IC 100 KiB, KWS/VWW 200 KiB, AD 10 KiB)
REFERENCE_ARENAS = {"ic01": 100 * 1024, "kws01": 200 * 1024, "vww01": 200 * 1024, "ad01": 10 * 1024}


@pytest.mark.needs_reference
@pytest.mark.parametrize("workload_id", list(REFERENCE_ARENAS))
def test_outputs_equal_a_bare_tflm_run_and_the_arena_fits_the_reference_firmware(workload_id, reference_dir):
    w = get_workload(workload_id)
    model = resolve_model("reference", w)
    target = create_target("tflm")
    report = target.load(model)
    assert 0 < report.memory_bytes["arena_used"] <= REFERENCE_ARENAS[workload_id]
    bare = runtime_module().Interpreter.from_bytes(model.content, arena_size=512 * 1024)
    for sample in SyntheticDataset(w, 4, seed=7):
        tensor = w.to_model_input(sample.raw, model.input)
        ours = target.infer(tensor, 2, 1)
        bare.set_input(tensor, 0)
        bare.invoke()
        assert np.array_equal(ours.outputs[0], bare.get_output(0))
        assert len(ours.per_inference_s) == 2


def test_too_small_an_arena_is_a_clear_error():
    model = resolve_model("builtin", get_workload("vww01"))
    target = create_target("tflm", {"arena_bytes": 4096})
    with pytest.raises(ModelError, match="cannot load the model with a 4096-byte arena.*raise the arena size"):
        target.load(model)


def test_declares_memory():
    assert Capability.MEMORY in create_target("tflm").capabilities


def test_quick_run_records_the_arena(tinybench_cmd, cli_env, tmp_path):
    proc = subprocess.run([*tinybench_cmd, "run", "--target", "tflm", "-w", "kws01", "--quick", "--out",
                           str(tmp_path / "r"), "--json"], capture_output=True, text=True, env=cli_env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)[0]
    assert result["memory_bytes"]["arena_used"] > 0 and result["memory_bytes"]["model"] == result["model"]["bytes"]
    assert result["modes"]["spinup"]["metrics"]["spinup_cold_median"]["value"] > 0
