"""det01: the site re-evaluates KITTI AP from a bundle's raw files (labels + detections), and refuses edits."""

import csv
import json
import shutil
import subprocess

import pytest

from tinybench.reports.local_bundles import verify_bundle
from tinybench.reports.results_store import load_bundles
from tinybench.workloads import get_workload
from tinybench.workloads.builtin_models import builtin_model


@pytest.fixture()
def run_det01(kitti_dir, tinybench_cmd, cli_env, tmp_path):
    data = kitti_dir(4)
    model = tmp_path / "det01.tflite"  # the built-in architecture as a user's file: its AP means nothing, but is real
    model.write_bytes(builtin_model(get_workload("det01")).content)
    out = tmp_path / "results"
    proc = subprocess.run([*tinybench_cmd, "run", "-w", "det01", "-m", "accuracy", "--data", str(data), "--split", "all",
                           "--model", str(model), "--out", str(out)], capture_output=True, text=True, env=cli_env,
                          timeout=600)
    assert proc.returncode in (0, 1), proc.stderr
    (bundle,) = [p for p in out.iterdir() if p.is_dir()]
    return bundle


def _verify(bundle):
    (result,) = load_bundles([bundle.parent]).bundles
    return verify_bundle(result)


def _rewrite(path, edit):
    rows = list(csv.reader(path.open()))
    rows = edit(rows)
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)


def test_kitti_ap_is_recomputed_from_the_bundle_and_edits_are_refused(run_det01, tmp_path):
    bundle = run_det01
    result = json.loads((bundle / "result.json").read_text())
    stated = result["modes"]["accuracy"]
    assert (bundle / "accuracy_truth.csv").is_file()
    verified = _verify(bundle)
    assert verified.problems == [] and not any("ground truth is not kept" in n for n in verified.notes)
    block = verified.result["modes"]["accuracy"]
    assert block["ap_table"] == stated["ap_table"]  # recomputed, cell for cell
    cars = next(r for r in block["ap_table"] if (r["class"], r["difficulty"]) == ("Car", "moderate"))
    assert cars["ground_truths"] > 0

    # a ground truth dropped from the labels: the stated counts no longer match what the raw files give
    dropped = tmp_path / "dropped" / bundle.name
    shutil.copytree(bundle, dropped)
    _rewrite(dropped / "accuracy_truth.csv",
             lambda rows: [r for i, r in enumerate(rows) if i != next(k for k, x in enumerate(rows) if x[1] == "object"
                                                                        and x[2] == "Car")])
    problems = _verify(dropped).problems
    assert any("Car" in p and "ground_truths" in p for p in problems), problems

    # the headline edited in result.json: refused with the figure named
    edited = tmp_path / "edited" / bundle.name
    shutil.copytree(bundle, edited)
    data = json.loads((edited / "result.json").read_text())
    data["modes"]["accuracy"]["metrics"]["car_ap_r40_moderate"]["value"] = 0.9
    (edited / "result.json").write_text(json.dumps(data))
    assert any("car ap r40 moderate" in p for p in _verify(edited).problems)

    # a detection on an image the labels do not list: refused, naming the file
    stray = tmp_path / "stray" / bundle.name
    shutil.copytree(bundle, stray)
    _rewrite(stray / "accuracy_detections.csv",
             lambda rows: rows + [["nowhere", "Car", "1.0", "2.0", "50.0", "90.0", "0.9"]])
    verified = _verify(stray)
    assert verified.result is None and "not in accuracy_truth.csv" in verified.problems[0]

    # no detections at all (a header only) is a valid raw file: the counts are recomputed, not refused
    empty = tmp_path / "empty" / bundle.name
    shutil.copytree(bundle, empty)
    _rewrite(empty / "accuracy_detections.csv", lambda rows: rows[:1])
    problems = _verify(empty).problems
    assert problems and all("header" not in p for p in problems) and any(" fp " in p for p in problems), problems


def test_the_run_page_shows_the_recomputed_table_and_its_method(run_det01, tmp_path):
    from tinybench.reports.site import build_site

    build_site([run_det01.parent], tmp_path / "site")
    (page,) = [p for p in (tmp_path / "site").rglob("*.html") if run_det01.name in p.name]
    html = page.read_text()
    assert "method: devkit" in html and "ground truth is not kept" not in html


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_forged_boxes_are_bounded_before_the_evaluation(run_det01, tmp_path):
    """5 images of 999 overlapping Cars and 999 detections each (0.8 MB of CSV): the devkit's matching costs
    labels × detections per image and pass — 20 such images took 133 s and 1 GB before. Refused up front."""
    import time

    forged = tmp_path / "crowded" / run_det01.name
    shutil.copytree(run_det01, forged)
    truth, dets = [["image", "kind", "class", "x1", "y1", "x2", "y2", "truncation", "occlusion"]], \
        [["image", "class", "x1", "y1", "x2", "y2", "score"]]
    for image in range(5):
        truth.append([str(image), "image"] + [""] * 7)
        for k in range(999):
            truth.append([str(image), "object", "Car", str(k), "100", str(k + 100), "160", "0", "0"])
            dets.append([str(image), "Car", str(k), "100", str(k + 100), "160", str(k / 1000)])
    _rewrite(forged / "accuracy_truth.csv", lambda rows: truth)
    _rewrite(forged / "accuracy_detections.csv", lambda rows: dets)
    started = time.monotonic()
    problems = _verify(forged).problems
    assert any("4990005 label × detection pairs" in p and "at most" in p for p in problems), problems
    assert time.monotonic() - started < 3.0

    # 1e300-px boxes overflowed the devkit's areas (RuntimeWarning, NaN overlaps) instead of being refused
    huge = tmp_path / "huge" / run_det01.name
    shutil.copytree(run_det01, huge)
    _rewrite(huge / "accuracy_detections.csv",
             lambda rows: rows + [[rows[1][0], "Car", "-1e300", "0", "1e300", "1e300", "0.9"]])
    problems = _verify(huge).problems
    assert any("accuracy_detections.csv" in p and "pixels" in p for p in problems), problems
