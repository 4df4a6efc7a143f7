"""The KITTI reader and det01's decoding."""

import numpy as np
import pytest

from tinybench.errors import DatasetError
from tinybench.workloads import get_workload
from tinybench.workloads.datasets import open_dataset
from tinybench.workloads.detection import ANCHORS, NUM_ANCHORS, decode_boxes, detections, encode_targets, nms

DET = get_workload("det01")


def test_reader_letterboxes_and_keeps_ground_truth(kitti_dir):
    root = kitti_dir(4)
    samples = list(open_dataset(DET, root))
    assert [s.sample_id for s in samples] == ["000000", "000001", "000002", "000003"]
    s = samples[0]
    assert s.raw.shape == (128, 384, 3) and s.raw.dtype == np.uint8
    assert s.label.scale == pytest.approx(384 / 1242) and (s.label.width, s.label.height) == (1242, 375)
    assert not s.raw[116:].any()  # 375·s = 116 rows of image, the rest padding
    kinds = {o.cls for o in s.label.objects}
    assert kinds <= {"Car", "Pedestrian"} and len(s.label.dont_care) == 1
    assert next(o for o in s.label.objects if o.cls == "Pedestrian").occlusion == 1


def test_split_file(kitti_dir):
    root = kitti_dir(6)
    assert [s.sample_id for s in open_dataset(DET, root, split="val.txt")] == ["000000", "000002", "000004"]
    with pytest.raises(DatasetError, match="split file not found"):
        open_dataset(DET, root, split="nope.txt")


@pytest.mark.parametrize(("text", "message"), [
    ("Car 0 0 0 1 2 3 4", "8 fields; a KITTI label line has 15"),
    ("Spaceship 0 0 0 1 2 3 4 1 1 1 1 1 1 0", "unknown object type 'Spaceship'"),
    ("Car 0 x 0 1 2 3 4 1 1 1 1 1 1 0", "not a number"),
    ("Car 0 0 0 10 2 3 4 1 1 1 1 1 1 0", "right/bottom before left/top"),
])
def test_malformed_label_lines_name_file_and_line(kitti_dir, text, message):
    root = kitti_dir(2)
    (root / "label_2" / "000001.txt").write_text("Car 0 0 0 1 2 30 40 1 1 1 1 1 1 0\n" + text + "\n")
    with pytest.raises(DatasetError, match=f"000001.txt line 2: .*{message}"):
        list(open_dataset(DET, root))


def test_an_image_without_labels_is_reported(kitti_dir):
    root = kitti_dir(3)
    (root / "label_2" / "000001.txt").unlink()
    samples = list(open_dataset(DET, root))
    assert samples[1].error and "no label file" in samples[1].error and "000001.txt" in samples[1].error


def test_missing_folders():
    with pytest.raises(DatasetError, match="not found"):
        open_dataset(DET, "/nonexistent-kitti")


def test_encode_then_decode_recovers_the_box():
    box = (100.0, 40.0, 160.0, 70.0)  # a car-like 60×30 box in input pixels
    targets, classes = encode_targets([("Car", box)])
    index = int(np.flatnonzero(targets[:, 4])[0])
    raw = np.zeros((NUM_ANCHORS, 4))
    tx, ty = targets[index, :2]
    raw[index] = [np.log(tx / (1 - tx)), np.log(ty / (1 - ty)), targets[index, 2], targets[index, 3]]
    assert np.allclose(decode_boxes(raw)[index], box, atol=1e-6)
    scores = np.full((NUM_ANCHORS, 3), -10.0)
    scores[index, 0] = 5.0
    found = detections(raw, scores)
    assert len(found) == 1 and found[0][0] == "Car" and np.allclose(found[0][1], box, atol=1e-6)
    assert classes[index].tolist() == [1.0, 0.0, 0.0] and len(ANCHORS) == 3


def test_nms_keeps_the_best_of_overlapping_boxes():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], dtype=float)
    assert nms(boxes, np.array([0.6, 0.9, 0.5]), 0.5, 10) == [1, 2]
