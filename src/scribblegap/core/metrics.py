"""Segmentation metrics: a confusion matrix accumulated over a data set (255 = ignore), and scoring label maps
(predictions, pseudo-labels, folders of PNGs) against a data set's dense masks."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from scribblegap.core.io import read_label_png


class ConfusionMatrix:
    """``matrix[t, p]`` counts pixels of true class ``t`` predicted as ``p`` (contiguous indices 0..K-1).

    Pixels whose target is 255 are skipped. A prediction outside 0..K-1 (e.g. 255 in a pseudo-label
    that abstains) on a labelled pixel lands in an extra column ``K``: a miss for the true class.
    """

    def __init__(self, num_classes: int):
        self.num_classes = num_classes
        self.counts = np.zeros((num_classes, num_classes + 1), dtype=np.int64)

    @property
    def matrix(self) -> np.ndarray:
        return self.counts[:, : self.num_classes]

    def update(self, pred, target) -> "ConfusionMatrix":
        """Add one image (or a batch) of integer label maps of the same size."""
        self.counts += image_counts(pred, target, self.num_classes)
        return self

    def merge(self, other: "ConfusionMatrix") -> "ConfusionMatrix":
        self.counts += other.counts
        return self

    def iou(self) -> np.ndarray:
        """Per-class IoU; NaN for a class absent from both targets and predictions."""
        tp = np.diag(self.matrix).astype(np.float64)
        fp = self.matrix.sum(0) - tp
        fn = self.counts.sum(1) - tp
        denom = tp + fp + fn
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(denom > 0, tp / denom, np.nan)

    def miou(self, classes=None) -> float:
        """Mean IoU over ``classes`` (indices; all by default), skipping classes that never occur."""
        iou = self.iou()
        if classes is not None:
            iou = iou[list(classes)]
        return float(np.nanmean(iou)) if np.isfinite(iou).any() else float("nan")

    def pixel_accuracy(self) -> float:
        total = self.counts.sum()
        return float(np.trace(self.matrix) / total) if total else float("nan")

    def labelled_fraction(self) -> float:
        """The share of the scored pixels a prediction labels (a thresholded pseudo-label abstains on others)."""
        total = self.counts.sum()
        return float(1 - self.counts[:, self.num_classes].sum() / total) if total else float("nan")

    def labelled_accuracy(self) -> float:
        """Pixel accuracy on the pixels the prediction labels."""
        labelled = self.matrix.sum()
        return float(np.trace(self.matrix) / labelled) if labelled else float("nan")

    def summary(self, names=None) -> dict:
        iou = self.iou()
        names = names or [str(i) for i in range(self.num_classes)]
        return {"miou": self.miou(), "pixel_accuracy": self.pixel_accuracy(),
                "labelled_fraction": self.labelled_fraction(), "labelled_accuracy": self.labelled_accuracy(),
                "iou": {n: (None if np.isnan(v) else float(v)) for n, v in zip(names, iou)}}


def image_counts(pred, target, num_classes: int) -> np.ndarray:
    """``(K, K + 1)`` pixel counts of one image (or batch): rows the true class, columns the prediction; a
    prediction outside 0..K-1 counts in the last column. Targets outside 0..K-1 (255) are skipped."""
    k = num_classes
    pred = np.asarray(pred).ravel().astype(np.int64)
    target = np.asarray(target).ravel().astype(np.int64)
    if pred.shape != target.shape:
        raise ValueError(f"prediction has {pred.size} pixels, target {target.size}")
    keep = (target >= 0) & (target < k)
    pred, target = pred[keep], target[keep]
    pred = np.where((pred < 0) | (pred >= k), k, pred)
    return np.bincount(target * (k + 1) + pred, minlength=k * (k + 1)).reshape(k, k + 1)


def miou_of_counts(counts: np.ndarray) -> float:
    """mIoU of a ``(K, K + 1)`` or ``(K, K)`` count matrix (classes that never occur are skipped)."""
    cm = ConfusionMatrix(counts.shape[0])
    cm.counts[:, : counts.shape[1]] = counts
    return cm.miou()


def gap_reduction(weak: float, baseline: float, full: float) -> float:
    """(W - B) / (F - B): the fraction of the gap a method closes (1 = all of it)."""
    g = full - baseline
    if g == 0:
        return float("nan")
    return (weak - baseline) / g


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
