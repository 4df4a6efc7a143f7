"""Model files checked against their workload."""

import shutil

import pytest

from tinybench.errors import ModelError
from tinybench.workloads import get_workload
from tinybench.workloads.builtin_models import BUILTIN_DIR
from tinybench.workloads.model_artifact import load_model
from tinybench.workloads.model_choice import resolve_model


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ModelError, match="model file not found: .*nope.tflite"):
        load_model(tmp_path / "nope.tflite", get_workload("kws01"), "user", True)


def test_directory_is_not_a_model(tmp_path):
    with pytest.raises(ModelError, match="is a directory"):
        load_model(tmp_path, get_workload("kws01"), "user", True)


def test_model_of_another_workload_is_refused():
    with pytest.raises(ModelError, match=r"takes input 1x32x32x3 int8.*workload kws01 feeds 1x49x10x1"):
        resolve_model(str(BUILTIN_DIR / "ic01.tflite"), get_workload("kws01"))


def test_user_model_is_open_division(tmp_path):
    path = tmp_path / "mine.tflite"
    shutil.copy(BUILTIN_DIR / "kws01.tflite", path)
    model = resolve_model(str(path), get_workload("kws01"))
    assert (model.source, model.division, model.path) == ("user", "open", path)


def test_reference_model_is_unavailable_offline_with_a_hint(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYBENCH_CACHE", str(tmp_path))
    monkeypatch.delenv("TINYBENCH_REFERENCE_DIR", raising=False)
    with pytest.raises(ModelError, match="not available offline.*tinybench models fetch --workload kws01"):
        resolve_model("reference", get_workload("kws01"))


@pytest.mark.needs_reference
def test_user_copy_of_the_official_model_is_the_reference(reference_dir, tmp_path):
    path = tmp_path / "renamed.tflite"
    shutil.copy(reference_dir / "models" / "kws_ref_model.tflite", path)
    model = resolve_model(str(path), get_workload("kws01"))
    assert (model.source, model.division) == ("reference", "closed")
