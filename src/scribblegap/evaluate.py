"""Scoring label maps against dense masks: predictions, pseudo-labels, folders of PNGs."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from .io import read_label_png
from .metrics import ConfusionMatrix


def score_label_maps(dataset, predict: Callable[[str], np.ndarray], keys=None) -> ConfusionMatrix:
    """Accumulate a confusion matrix of ``predict(key)`` (a map of data set ids) against the masks.

    Pixels the mask ignores (255, including classes outside the label space) are skipped; a
    prediction of 255 on a labelled pixel counts as a miss.
    """
    labels = dataset.labels
    cm = ConfusionMatrix(labels.num_classes)
    for key in (dataset.ids if keys is None else keys):
        mask = dataset.mask(key)
        pred = predict(key)
        if pred.shape != mask.shape:
            raise ValueError(f"{key}: prediction {pred.shape} and mask {mask.shape} differ in size")
        cm.update(labels.to_index(pred), labels.to_index(mask))
    return cm


def score_folder(dataset, folder, keys=None) -> dict:
    """mIoU, per-class IoU and pixel accuracy of ``<folder>/<id>.png`` label maps (data set ids)."""
    folder = Path(folder)
    valid = dataset.labels.valid_values()
    cm = score_label_maps(
        dataset, lambda key: read_label_png(folder / f"{key}.png", dataset.image_shape(key), valid,
                                            what="label map"), keys)
    return summarize(cm, dataset.labels)


def summarize(cm: ConfusionMatrix, labels) -> dict:
    out = cm.summary(list(labels.kept_names))
    out["num_pixels"] = int(cm.counts.sum())
    return out
