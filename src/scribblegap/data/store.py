"""A compact per-image store of class probabilities: the hand-over format between pipeline stages.

One ``<id>.npz`` per image holds ``classes`` (data set class ids of the stored channels, uint8) and
``probs`` (``(C, H, W) uint8``, probability x 255, rounded), zlib-compressed. Only classes with some
probability are stored (a local annotator predicts just the classes of its image's scribbles), and
uint8 costs 1/4 of float32 before compression. Reading maps the channels back onto a label space,
with 0 for classes that were not stored, renormalised to sum to one.
"""
from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import numpy as np

from scribblegap.data.labels import LabelSpace
from scribblegap.core.errors import DataError
from scribblegap.core.io import atomic_path

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


def load_probs(path, labels: LabelSpace, shape: tuple[int, int] | None = None) -> np.ndarray:
    """``(K, H, W) float32`` over ``labels.keep``; stored classes outside the label space are dropped.

    ``shape``: the ``(H, W)`` of the image the store belongs to, when known.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "probability file is missing")
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic != b"PK\x03\x04":  # np.load would try to unpickle anything that is not a zip or .npy
        raise DataError(path, "not a readable probability store (" + ("the file is empty)" if not magic
                                                                     else "not an .npz zip archive)"))
    try:
        with np.load(path) as z:
            classes, q = z["classes"], z["probs"]
    except KeyError as exc:
        raise DataError(path, f"not a probability store (no array {exc})") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error, AttributeError) as exc:
        # a truncated or corrupt zip, a bad zlib stream, or not an .npz at all
        kind = type(exc).__name__
        kind = kind if type(exc).__module__ == "builtins" else f"{type(exc).__module__}.{kind}"
        raise DataError(path, f"not a readable probability store ({kind}: {exc})") from None
    if classes.ndim != 1 or classes.dtype.kind not in "iu":
        raise DataError(path, f"class ids must be a 1-D integer array, got {classes.dtype} {classes.shape}")
    if classes.size and (classes.min() < 0 or classes.max() > 254):
        raise DataError(path, f"class ids outside 0-254: {sorted(set(classes.tolist()))[:10]}")
    if len(np.unique(classes)) != len(classes):
        raise DataError(path, f"class ids are repeated: {classes.tolist()[:20]}")
    if q.dtype != np.uint8:
        raise DataError(path, f"probabilities must be uint8 (probability x 255), got {q.dtype}")
    if q.ndim != 3 or len(classes) != q.shape[0]:
        raise DataError(path, f"inconsistent store: {len(classes)} classes for probs of shape {q.shape}")
    if shape is not None and q.shape[1:] != tuple(shape):
        raise DataError(path, f"size {q.shape[2]}x{q.shape[1]} differs from its image {shape[1]}x{shape[0]}")
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
