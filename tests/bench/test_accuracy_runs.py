"""Accuracy mode end to end: the real CLI, the official models, real-format datasets."""

import json
import subprocess

import numpy as np
import pandas as pd
import pytest

from tinybench.targets.litert_runtime import find_runtime
from tinybench.workloads import get_workload
from tinybench.workloads.datasets import open_dataset
from tinybench.workloads.model_artifact import load_model
from tinybench.workloads.scoring import class_scores

pytestmark = pytest.mark.needs_reference


def run(cmd, env, *args):
    return subprocess.run([*cmd, *args], capture_output=True, text=True, env=env, timeout=600, check=False)


def accuracy_run(cmd, env, tmp_path, workload, data, *extra):
    out = tmp_path / "results"
    proc = run(cmd, env, "run", "-w", workload, "--model", "reference", "-m", "accuracy", "--data", str(data),
               "--out", str(out), "--json", *extra)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)[0]
    return result, out / result["run_id"]


def bare_top1(reference_dir, workload_id, data):
    """Top-1 computed independently: the reader's samples through a bare LiteRT interpreter."""
    w = get_workload(workload_id)
    model = load_model(reference_dir / "models" / w.reference.filename, w, "reference", True)
    interp = find_runtime().interpreter_class(model_content=model.content)
    interp.allocate_tensors()
    hits = total = 0
    for s in open_dataset(w, data):
        total += 1
        if s.error:
            continue
        interp.set_tensor(interp.get_input_details()[0]["index"], w.to_model_input(s.raw, model.input))
        interp.invoke()
        out = interp.get_tensor(interp.get_output_details()[0]["index"])
        hits += int(np.argmax(class_scores(out, model.output))) == s.label
    return hits / total


@pytest.fixture
def env(cli_env, reference_dir):
    return dict(cli_env, TINYBENCH_REFERENCE_DIR=str(reference_dir))


@pytest.mark.parametrize("workload_id", ["vww01", "kws01", "ic01", "ic02"])
def test_accuracy_on_an_eembc_folder(workload_id, eembc_dir, tinybench_cmd, env, tmp_path, reference_dir):
    data = eembc_dir(workload_id, count=8)
    result, bundle = accuracy_run(tinybench_cmd, env, tmp_path, workload_id, data)
    acc = result["modes"]["accuracy"]
    assert acc["status"] == "measured" and acc["samples"] == 8 and acc["unreadable"] == 0
    assert acc["metrics"]["top1"]["value"] == pytest.approx(bare_top1(reference_dir, workload_id, data))
    confusion = np.array(acc["confusion_matrix"])
    assert confusion.sum() == 8 and np.trace(confusion) == round(acc["metrics"]["top1"]["value"] * 8)
    predictions = pd.read_csv(bundle / acc["files"]["accuracy_predictions"])
    assert len(predictions) == 8 and predictions["correct"].sum() == np.trace(confusion)
    assert result["model"]["division"] == "closed"


@pytest.mark.parametrize(("workload_id", "fixture", "args"), [
    ("ic01", "cifar_dir", ("python",)),
    ("ic01", "cifar_dir", ("binary",)),
    ("kws01", "speech_commands_dir", ("test",)),
    ("kws01", "speech_commands_dir", ("main",)),
    ("vww01", "image_folder_dir", (2,)),
])
def test_accuracy_on_raw_formats(workload_id, fixture, args, request, tinybench_cmd, env, tmp_path,
                                 reference_dir):
    made = request.getfixturevalue(fixture)(*args)
    data = made[0] if isinstance(made, tuple) else made
    result, _ = accuracy_run(tinybench_cmd, env, tmp_path, workload_id, data)
    acc = result["modes"]["accuracy"]
    assert acc["status"] == "measured" and acc["samples"] == len(open_dataset(get_workload(workload_id), data))
    assert acc["metrics"]["top1"]["value"] == pytest.approx(bare_top1(reference_dir, workload_id, data))


def test_ad01_auc_on_spectrograms(spectrogram_dir, tinybench_cmd, env, tmp_path):
    data = spectrogram_dir(3, 3)
    result, bundle = accuracy_run(tinybench_cmd, env, tmp_path, "ad01", data)
    acc = result["modes"]["accuracy"]
    scores = pd.read_csv(bundle / acc["files"]["accuracy_scores"])
    assert len(scores) == 6 and (scores["windows"] == 196).all()
    from sklearn.metrics import roc_auc_score

    assert acc["metrics"]["auc"] == {"value": pytest.approx(roc_auc_score(scores["label"], scores["score"])),
                                     "unit": "unitless"}


def test_bad_files_are_reported_and_stay_in_the_denominator(eembc_dir, tinybench_cmd, env, tmp_path):
    data = eembc_dir("ic01", count=6)
    (data / "sample_002.bin").write_bytes(b"\x01" * 17)
    (data / "sample_004.bin").unlink()
    result, _ = accuracy_run(tinybench_cmd, env, tmp_path, "ic01", data)
    acc = result["modes"]["accuracy"]
    assert acc["samples"] == 6 and acc["unreadable"] == 2
    assert any("sample_002.bin: 17 bytes, expected 3072" in u for u in acc["unreadable_samples"])
    assert any("sample_004.bin: cannot read" in u for u in acc["unreadable_samples"])
    assert round(acc["metrics"]["top1"]["value"] * 6) <= 4  # at most the 4 readable ones can be right
    check = next(c for c in acc["checks"] if c["rule"] == "all_samples_read")
    assert not check["passed"] and acc["valid_for_submission"] is False


def test_accuracy_of_the_untrained_builtin_model_is_refused(eembc_dir, tinybench_cmd, env, tmp_path):
    proc = run(tinybench_cmd, env, "run", "-w", "ic01", "-m", "accuracy", "--data", str(eembc_dir("ic01", 2)),
               "--out", str(tmp_path / "r"))
    assert proc.returncode == 2
    assert "meaningless: its weights are untrained" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "r").exists()


def test_accuracy_without_data_is_refused(tinybench_cmd, env, tmp_path):
    proc = run(tinybench_cmd, env, "run", "-w", "ic01", "--model", "reference", "-m", "accuracy")
    assert proc.returncode == 2 and "needs a labelled dataset (pass --data DIR)" in proc.stderr


def test_performance_uses_the_dataset_inputs(eembc_dir, tinybench_cmd, env, tmp_path):
    data = eembc_dir("kws01", count=7)
    proc = run(tinybench_cmd, env, "run", "-w", "kws01", "--model", "reference", "-m", "performance,accuracy",
               "--quick", "--data", str(data), "--out", str(tmp_path / "r"), "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)[0]
    assert [w["sample_id"] for w in result["modes"]["performance"]["windows"]] == \
        [f"sample_{i:03d}.bin" for i in range(5)]
    assert result["dataset"]["kind"] == "eembc"


@pytest.mark.parametrize(("workload_id", "fixture", "args"), [
    ("ic01", "cifar_dir", ("python",)),
    ("kws01", "speech_commands_dir", ("test",)),
    ("vww01", "image_folder_dir", (2,)),
    ("ad01", "spectrogram_dir", (2, 2)),
])
def test_export_eembc_round_trip(workload_id, fixture, args, request, tinybench_cmd, env, tmp_path):
    made = request.getfixturevalue(fixture)(*args)
    raw_dir = made[0] if isinstance(made, tuple) else made
    out = tmp_path / "eembc"
    proc = run(tinybench_cmd, env, "data", "export-eembc", "-w", workload_id, "--from", str(raw_dir), "--to", str(out))
    assert proc.returncode == 0, proc.stderr
    w = get_workload(workload_id)
    raw = list(open_dataset(w, raw_dir))
    exported = list(open_dataset(w, out))
    assert len(exported) == len(raw)
    for a, b in zip(raw, exported):
        assert a.label == b.label and np.array_equal(a.raw, b.raw)
    if workload_id == "kws01":
        assert exported[0].sample_id.startswith("tst_000000_")


def test_export_reports_bad_files_and_keeps_the_good_ones(image_folder_dir, tinybench_cmd, env, tmp_path):
    raw_dir = image_folder_dir(2)
    (raw_dir / "person" / "zz_broken.png").write_bytes(b"not a png")
    out = tmp_path / "eembc"
    proc = run(tinybench_cmd, env, "data", "export-eembc", "-w", "vww01", "--from", str(raw_dir), "--to", str(out))
    assert proc.returncode == 2
    assert "zz_broken.png: cannot decode image" in proc.stderr
    assert len(list(out.glob("*.bin"))) == 4 and len((out / "y_labels.csv").read_text().splitlines()) == 4
