"""The committed built-in models: reference architecture, manifest, reproducible recipe."""

import json

import pytest

from tinybench.workloads import get_workload
from tinybench.workloads.builtin_models import BUILTIN_DIR, builtin_model, manifest
from tinybench.workloads.model_artifact import sha256_hex
from tinybench.workloads.tflite_graph import read_graph

WORKLOADS = ["vww01", "kws01", "ic01", "ic02", "ad01", "sww01"]  # those with an official reference model
BUILT = [*WORKLOADS, "det01"]


@pytest.mark.parametrize("workload_id", BUILT)
def test_manifest_describes_the_committed_file(workload_id):
    entry = manifest()["models"][workload_id]
    content = (BUILTIN_DIR / entry["file"]).read_bytes()
    graph = read_graph(content)
    assert entry["sha256"] == sha256_hex(content)
    assert entry["bytes"] == len(content)
    assert entry["op_counts"] == graph.op_counts
    assert entry["parameters"] == graph.parameters
    assert entry["macs"] == graph.macs
    assert entry["trained"] is False


@pytest.mark.parametrize("workload_id", BUILT)
def test_builtin_model_has_the_reference_input_spec(workload_id):
    w = get_workload(workload_id)
    model = builtin_model(w)
    assert model.source == "builtin" and model.division == "open" and not model.trained
    assert model.input.shape == w.input.shape and model.input.dtype == "int8"
    assert model.input.quantization.close_to(w.input.quantization)
    outputs = sorted((t.shape, t.dtype) for t in model.graph.outputs)
    assert outputs == sorted((t.shape, "int8") for t in (w.output, *w.extra_outputs))


@pytest.mark.needs_reference
@pytest.mark.parametrize("workload_id", WORKLOADS)
def test_builtin_model_has_the_reference_architecture(workload_id, reference_dir):
    """Same operator counts and parameter count as the official MLPerf Tiny model."""
    w = get_workload(workload_id)
    reference = read_graph((reference_dir / w.reference.mirror_folder / w.reference.filename).read_bytes())
    ours = builtin_model(w).graph
    assert ours.op_counts == reference.op_counts
    assert ours.parameters == reference.parameters
    assert ours.macs == reference.macs
    assert [op.op_type for op in ours.operators if op.parameters] != []
    # layer by layer, the weight shapes agree (order may differ within a residual block)
    def shapes(g):
        return sorted((op.op_type, op.inputs[1].shape) for op in g.operators if op.parameters)
    assert shapes(ours) == shapes(reference)


def test_tampered_builtin_model_is_refused(tmp_path, monkeypatch):
    import tinybench.workloads.builtin_models as bm
    from tinybench.errors import ModelError

    for name in ("kws01.tflite", "manifest.json"):
        (tmp_path / name).write_bytes((BUILTIN_DIR / name).read_bytes())
    content = bytearray((tmp_path / "kws01.tflite").read_bytes())
    content[-100] ^= 0xFF
    (tmp_path / "kws01.tflite").write_bytes(bytes(content))
    monkeypatch.setattr(bm, "BUILTIN_DIR", tmp_path)
    with pytest.raises(ModelError, match="checksum mismatch.*rebuild"):
        builtin_model(get_workload("kws01"))


@pytest.mark.slow
@pytest.mark.needs_tensorflow
def test_recipe_reproduces_the_committed_manifest(tensorflow, tmp_path):
    """`tinybench models build` rebuilds every model byte for byte (same TF version)."""
    from tinybench.workloads.recipes.build import build_all

    committed = json.loads((BUILTIN_DIR / "manifest.json").read_text())
    rebuilt = build_all(tmp_path, BUILT)
    if rebuilt["generator"]["tensorflow"] == committed["generator"]["tensorflow"]:
        assert rebuilt["models"] == committed["models"]
    else:  # another TensorFlow may serialise differently; the architecture must still agree
        for w in BUILT:
            for key in ("op_counts", "parameters", "macs", "input"):
                assert rebuilt["models"][w][key] == committed["models"][w][key], (w, key)
