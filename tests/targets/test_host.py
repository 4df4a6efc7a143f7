"""The host target on the real LiteRT interpreter."""

import numpy as np
import pytest

from tinybench.errors import TargetError
from tinybench.targets import Capability, ClockSource, create_target
from tinybench.targets.host import HostTarget
from tinybench.targets.litert_runtime import find_runtime
from tinybench.workloads import get_workload
from tinybench.workloads.builtin_models import builtin_model
from tinybench.workloads.synthetic import SyntheticDataset

WORKLOADS = ["vww01", "kws01", "ic01", "ic02", "ad01"]


def model_and_inputs(workload_id, count=3):
    w = get_workload(workload_id)
    model = builtin_model(w)
    return model, [w.to_model_input(s.raw, model.input) for s in SyntheticDataset(w, count)]


def bare_litert(content: bytes, tensor: np.ndarray) -> np.ndarray:
    """The plainest possible LiteRT run, for comparison."""
    interpreter = find_runtime().interpreter_class(model_content=content, num_threads=1)
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], tensor)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


@pytest.mark.parametrize("workload_id", WORKLOADS)
def test_outputs_are_bit_identical_to_bare_litert(workload_id):
    model, inputs = model_and_inputs(workload_id)
    with create_target("host") as target:
        target.load(model)
        for tensor in inputs:
            report = target.infer(tensor, iterations=3, warmup=1)
            assert np.array_equal(report.outputs[0], bare_litert(model.content, tensor))


def test_window_facts_are_consistent():
    model, inputs = model_and_inputs("kws01", 1)
    target = create_target("host")
    phases = target.load(model).phases_s
    assert list(phases) == ["load", "allocate"] and all(v > 0 for v in phases.values())
    report = target.infer(inputs[0], iterations=200, warmup=5)
    assert (report.iterations, report.warmup) == (200, 5)
    assert report.clock_source is ClockSource.HOST_WALL_CLOCK
    assert len(report.per_inference_s) == 200 and np.all(report.per_inference_s > 0)
    assert report.per_inference_s.sum() == pytest.approx(report.window_s, rel=1e-9)


def test_xnnpack_can_be_switched_off():
    model, inputs = model_and_inputs("ic01", 1)
    with create_target("host", {"xnnpack": "false", "threads": "2"}) as target:
        info = target.describe()
        assert info.details == {"threads": 2, "xnnpack": False, "logical_cores": info.details["logical_cores"]}
        assert "built-in kernels" in info.name
        target.load(model)
        out = target.infer(inputs[0], 2, 0).outputs[0]
    assert out.shape == (1, 10) and out.dtype == np.int8


def test_capabilities_are_declared():
    assert HostTarget.capabilities == {Capability.LATENCY, Capability.PER_INFERENCE_LATENCY, Capability.SPINUP,
                                       Capability.ENERGY}
    assert HostTarget.default_power_monitor == "rapl"


def test_infer_before_load_is_an_error():
    with pytest.raises(TargetError, match="before load"):
        create_target("host").infer(np.zeros((1, 640), np.int8), 1, 0)


@pytest.mark.parametrize(("options", "message"), [
    ({"thread": 2}, "has no option thread.*threads, xnnpack"),
    ({"threads": "many"}, "threads='many' is invalid"),
    ({"xnnpack": "maybe"}, "expected true or false"),
    ({"threads": 0}, "threads must be ≥ 1"),
])
def test_bad_options_are_named(options, message):
    with pytest.raises(TargetError, match=message):
        create_target("host", options)
