"""`tinybench models train det01 --data KITTI_DIR`: train the detector, quantize, write it.

Targets: each Car/Pedestrian/Cyclist box goes to the anchor of its centre cell whose shape
overlaps it most (detection.encode_targets). Loss: L1 on (sigmoid(tx), sigmoid(ty), tw, th)
of the assigned anchors + binary cross-entropy on every class logit, positives weighted ×20
(about 1 anchor in 100 holds an object). Adam 1e-3, horizontal flips. Then full-integer int8
with the first 32 training frames as calibration; writes `det01.tflite` and `manifest.json`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tinybench.errors import DatasetError
from tinybench.workloads.datasets.kitti import KittiDataset
from tinybench.workloads.detection import CLASSES, INPUT_W, encode_targets
from tinybench.workloads.recipes import import_tensorflow
from tinybench.workloads.recipes.int8_converter import convert_int8
from tinybench.workloads.recipes.build import _atomic_write, manifest_entry

POSITIVE_WEIGHT = 20.0


def _arrays(dataset: KittiDataset, flip: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    frames, boxes, classes = [], [], []
    for _, frame, objects in dataset.training_pairs():
        variants = [(frame, objects)]
        if flip:
            width = INPUT_W
            mirrored = [(c, (width - x2, y1, width - x1, y2)) for c, (x1, y1, x2, y2) in objects]
            variants.append((frame[:, ::-1], mirrored))
        for image, objs in variants:
            box_t, cls_t = encode_targets([o for o in objs if o[0] in CLASSES])
            frames.append(image)
            boxes.append(box_t)
            classes.append(cls_t)
    if not frames:
        raise DatasetError(f"{dataset.root}: no readable training image")
    return np.stack(frames), np.stack(boxes), np.stack(classes)


def train_det01(data: Path, out_dir: Path, split: str | None = None, epochs: int = 60, batch: int = 16,
                on_epoch: Callable[[int, float], None] | None = None) -> dict:
    tf = import_tensorflow()
    import keras  # type: ignore[import-not-found]

    from tinybench.workloads.recipes.detector import detector

    dataset = KittiDataset(Path(data), split)
    frames, box_targets, cls_targets = _arrays(dataset, flip=True)
    keras.backend.clear_session()
    keras.utils.set_random_seed(7)
    model = detector()

    def box_loss(y_true, y_pred):  # noqa: ANN001, ANN202
        mask = y_true[..., 4:5]
        xy = tf.sigmoid(y_pred[..., :2])
        error = tf.abs(tf.concat([xy, y_pred[..., 2:4]], axis=-1) - y_true[..., :4]) * mask
        return tf.reduce_sum(error) / tf.maximum(tf.reduce_sum(mask), 1.0)

    def score_loss(y_true, y_pred):  # noqa: ANN001, ANN202
        bce = tf.nn.sigmoid_cross_entropy_with_logits(labels=y_true, logits=y_pred)
        return tf.reduce_mean(bce * (1.0 + POSITIVE_WEIGHT * y_true))

    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss={"boxes": box_loss, "scores": score_loss})
    callbacks = []
    if on_epoch:
        callbacks.append(keras.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: on_epoch(epoch + 1, float(logs.get("loss", float("nan"))))))
    history = model.fit(frames.astype(np.float32) / 255.0, {"boxes": box_targets, "scores": cls_targets},
                        epochs=epochs, batch_size=batch, shuffle=True, verbose=0, callbacks=callbacks)
    calibration = [f[None].astype(np.float32) / 255.0 for f in frames[: min(32, len(frames))]]
    content = convert_int8(model, calibration)
    out_dir.mkdir(parents=True, exist_ok=True)
    _atomic_write(out_dir / "det01.tflite", content)
    entry = manifest_entry("det01", "det01.tflite", content)
    entry.update(trained=True, training={"data": str(data), "split": split, "images": len(dataset), "epochs": epochs,
                                          "final_loss": float(history.history["loss"][-1])})
    manifest = {"schema": "tinybench.trained-model/1", "generator": {"tensorflow": tf.__version__},
                "models": {"det01": entry}}
    _atomic_write(out_dir / "manifest.json", (json.dumps(manifest, indent=2) + "\n").encode())
    return entry
