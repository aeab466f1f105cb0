"""A compact per-image store of class probabilities: the hand-over format between pipeline stages.

One ``<id>.npz`` per image holds ``classes`` (data set class ids of the stored channels, uint8) and
``probs`` (``(C, H, W) uint8``, probability x 255, rounded), zlib-compressed. Only classes with some
probability are stored (a local annotator predicts just the classes of its image's scribbles), and
uint8 costs 1/4 of float32 before compression. Reading maps the channels back onto a label space,
with 0 for classes that were not stored, renormalised to sum to one.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .data.labels import LabelSpace
from .errors import DataError
from .io import atomic_path

SUFFIX = ".npz"


def save_probs(path, probs: np.ndarray, labels: LabelSpace, min_prob: float = 1 / 255) -> int:
    """Write ``probs`` (``(K, H, W)`` float over ``labels.keep``) keeping channels whose max >= ``min_prob``.

    Returns the number of bytes written.
    """
    probs = np.asarray(probs, dtype=np.float32)
    if probs.ndim != 3 or probs.shape[0] != labels.num_classes:
        raise ValueError(f"expected ({labels.num_classes}, H, W) probabilities, got {probs.shape}")
    used = np.flatnonzero(probs.reshape(probs.shape[0], -1).max(1) >= min_prob)
    if used.size == 0:
        used = np.array([int(probs.reshape(probs.shape[0], -1).sum(1).argmax())])
    q = np.rint(np.clip(probs[used], 0, 1) * 255).astype(np.uint8)
    classes = np.asarray(labels.keep, dtype=np.uint8)[used]
    path = Path(path)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, classes=classes, probs=q)
    return path.stat().st_size


def load_probs(path, labels: LabelSpace) -> np.ndarray:
    """``(K, H, W) float32`` over ``labels.keep``; stored classes outside the label space are dropped."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "probability file is missing")
    try:
        with np.load(path) as z:
            classes, q = z["classes"], z["probs"]
    except (OSError, ValueError, KeyError, EOFError) as exc:
        raise DataError(path, f"not a readable probability store ({exc})") from None
    if q.ndim != 3 or len(classes) != q.shape[0]:
        raise DataError(path, f"inconsistent store: {len(classes)} classes for probs of shape {q.shape}")
    out = np.zeros((labels.num_classes,) + q.shape[1:], dtype=np.float32)
    index = labels.index_lut[classes]
    for channel, k in enumerate(index):
        if k != 255:
            out[k] = q[channel] / 255.0
    total = out.sum(0, keepdims=True)
    np.divide(out, total, out=out, where=total > 0)
    return out


def stored_path(folder, key: str) -> Path:
    return Path(folder) / f"{key}{SUFFIX}"


def is_done(folder, key: str) -> bool:
    """A stage's output for one image is complete when both its ``.npz`` and ``.png`` exist (each is
    written atomically, the PNG last)."""
    return (Path(folder) / f"{key}.png").is_file() and stored_path(folder, key).is_file()
