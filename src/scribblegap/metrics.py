"""Segmentation metrics from a confusion matrix accumulated over a data set (255 = ignore)."""
from __future__ import annotations

import numpy as np

from .io import IGNORE  # noqa: F401 - re-exported: the ignore label of the targets


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
        k = self.num_classes
        pred = np.asarray(pred).ravel().astype(np.int64)
        target = np.asarray(target).ravel().astype(np.int64)
        if pred.shape != target.shape:
            raise ValueError(f"prediction has {pred.size} pixels, target {target.size}")
        keep = (target >= 0) & (target < k)
        pred, target = pred[keep], target[keep]
        pred = np.where((pred < 0) | (pred >= k), k, pred)
        self.counts += np.bincount(target * (k + 1) + pred, minlength=k * (k + 1)).reshape(k, k + 1)
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

    def summary(self, names=None) -> dict:
        iou = self.iou()
        names = names or [str(i) for i in range(self.num_classes)]
        return {"miou": self.miou(), "pixel_accuracy": self.pixel_accuracy(),
                "iou": {n: (None if np.isnan(v) else float(v)) for n, v in zip(names, iou)}}


def gap_reduction(weak: float, baseline: float, full: float) -> float:
    """(W - B) / (F - B): the fraction of the gap a method closes (1 = all of it)."""
    g = full - baseline
    if g == 0:
        return float("nan")
    return (weak - baseline) / g
