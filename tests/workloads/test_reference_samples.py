"""The official models on the official sample inputs give the known results."""

import numpy as np
import pytest

from tinybench.targets import create_target
from tinybench.targets.litert_runtime import find_runtime
from tinybench.workloads import get_workload
from tinybench.workloads.datasets.eembc import windowed_sample
from tinybench.workloads.datasets.speech_commands import wav_features
from tinybench.workloads.model_artifact import load_model
from tinybench.workloads.scoring import class_scores, reconstruction_mse
from tinybench.workloads.synthetic import SyntheticDataset

pytestmark = pytest.mark.needs_reference
ALL = ["vww01", "kws01", "ic01", "ic02", "ad01"]


def reference(reference_dir, workload_id):
    w = get_workload(workload_id)
    return w, load_model(reference_dir / "models" / w.reference.filename, w, "reference", True,
                         reference_sha256=w.reference.sha256)


def infer_once(model, tensor):
    with create_target("host") as target:
        target.load(model)
        return target.infer(tensor, 1, 0).outputs[0]


def test_kws_sample_input_is_on(reference_dir):
    w, model = reference(reference_dir, "kws01")
    raw = np.fromfile(reference_dir / "samples" / "kws01_sample_input_int8.bin", dtype=np.int8)
    scores = class_scores(infer_once(model, w.to_model_input(raw, model.input)), model.output)
    assert int(np.argmax(scores)) == 5 and w.labels[5] == "on"
    assert scores[5] == 0.99609375


def test_marvin_wav_through_the_front_end_is_unknown(reference_dir):
    w, model = reference(reference_dir, "kws01")
    features = wav_features(reference_dir / "samples" / "marvin_617de221_0.wav", w)
    scores = class_scores(infer_once(model, w.to_model_input(features, model.input)), model.output)
    assert int(np.argmax(scores)) == 11 and w.labels[11] == "_unknown_"


def test_ad01_sample_first_window_mse(reference_dir):
    w, model = reference(reference_dir, "ad01")
    path = reference_dir / "samples" / "normal_id_01_00000000_hist_librosa.bin"
    sample = windowed_sample("s", 0, path, path.read_bytes(), 2560, 512)
    window = sample.raw[0]
    mse = reconstruction_mse(window, infer_once(model, w.to_model_input(window, model.input)), model.output)
    assert mse == pytest.approx(11.6476, abs=1e-3)
    assert sample.raw.shape == (196, 640)


@pytest.mark.parametrize("workload_id", ALL)
def test_host_predictions_are_bit_identical_to_bare_litert(reference_dir, workload_id):
    w, model = reference(reference_dir, workload_id)
    tensors = [w.to_model_input(s.raw, model.input) for s in SyntheticDataset(w, 8, seed=99)]
    bare = find_runtime().interpreter_class(model_content=model.content)
    bare.allocate_tensors()
    with create_target("host") as target:
        target.load(model)
        for tensor in tensors:
            ours = target.infer(tensor, 1, 0).outputs[0]
            bare.set_tensor(bare.get_input_details()[0]["index"], tensor)
            bare.invoke()
            assert np.array_equal(ours, bare.get_tensor(bare.get_output_details()[0]["index"]))
