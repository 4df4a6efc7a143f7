"""det01 accuracy mode: the KITTI AP method is chosen, applied and recorded (real LiteRT, built-in model)."""

import subprocess

import jsonschema
import pytest

from tinybench.modes.detection_accuracy import run_detection_accuracy
from tinybench.progress import NullProgress
from tinybench.result_schema import result_schema
from tinybench.targets import create_target
from tinybench.workloads import get_workload
from tinybench.workloads.builtin_models import builtin_model
from tinybench.workloads.datasets.kitti import KittiDataset


@pytest.fixture(scope="module")
def mode_schema():
    schema = result_schema()
    return jsonschema.Draft202012Validator({"$ref": "#/$defs/mode_accuracy", "$defs": schema["$defs"]})


def test_the_method_is_applied_and_recorded(kitti_dir, mode_schema):
    workload = get_workload("det01")
    model = builtin_model(workload)  # untrained: the numbers mean nothing, the bookkeeping is what is tested
    dataset = KittiDataset(kitti_dir(3), "all")
    outcomes = {}
    with create_target("host") as target:
        target.load(model)
        for method in ("devkit", "exact"):
            outcomes[method] = run_detection_accuracy(target, workload, model, dataset, len(dataset), NullProgress(),
                                                      method)
    for method, outcome in outcomes.items():
        assert outcome.status == "measured" and outcome.details["ap_method"] == method
        assert method in outcome.details["definition"]
        checks = {c.rule: c.passed for c in outcome.checks}
        assert checks["ap_method_devkit"] is (method == "devkit")  # only devkit numbers are valid for submission
        record = outcome.to_json({})
        assert not list(mode_schema.iter_errors(record))
        assert list(mode_schema.iter_errors(dict(record, ap_method="voc")))  # the schema knows the two methods
    assert outcomes["exact"].valid_for_submission is False


def test_the_command_line_offers_the_two_methods(tinybench_cmd, cli_env):
    proc = subprocess.run([*tinybench_cmd, "run", "--help"], capture_output=True, text=True, env=cli_env, timeout=120)
    assert proc.returncode == 0 and "--kitti-ap [devkit|exact]" in proc.stdout
    proc = subprocess.run([*tinybench_cmd, "run", "-w", "det01", "--kitti-ap", "voc", "--quick"],
                          capture_output=True, text=True, env=cli_env, timeout=120)
    assert proc.returncode == 2 and "'voc' is not one of 'devkit', 'exact'" in proc.stderr
