"""Combining annotators: the paper's weighted mean of local and global probabilities, and variants.

* ``mean``: ``w * local + (1 - w) * global`` (the paper averages; ``w`` = 0.5 by default),
* ``product``: the normalised weighted geometric mean (agreement is rewarded, disagreement flattened),
* ``max``: per pixel, the distribution of whichever annotator is more confident.

Every class is combined alike (no background is assumed: a data set may have none). Scribble pixels keep
their labels. An optional ``threshold`` turns pixels whose fused confidence (before
the regulariser) is below it into ignore (255) in the label map. ``regularise`` then applies the dense CRF (or superpixel
smoothing) to the fused probabilities.
"""
from __future__ import annotations

import math
import time
from functools import partial
from pathlib import Path

import numpy as np
from skimage.segmentation import slic

from scribblegap.annotators.crf import DenseCRF
from scribblegap.core.errors import ConfigError, DataError
from scribblegap.core.folders import claimed_folder
from scribblegap.core.io import read_label_png, write_json, write_label_png
from scribblegap.core.parallel import map_images, shard as shard_items
from scribblegap.data.base import data_settings
from scribblegap.data.labels import IGNORE
from scribblegap.data.store import is_done, load_probs, save_probs, stored_path
from scribblegap.scribbles.sources import weak_settings

MODES = ("mean", "product", "max")


def fuse(local: np.ndarray, global_: np.ndarray, weight: float = 0.5, mode: str = "mean",
         weak_index: np.ndarray | None = None) -> np.ndarray:
    """Fused ``(K, H, W)`` probabilities; ``weight`` is the local annotator's share.

    ``weak_index``: ``(H, W)`` scribbles in contiguous class indices (255 unlabelled); those pixels
    become one-hot on their class.
    """
    if local.shape != global_.shape:
        raise ValueError(f"local {local.shape} and global {global_.shape} probabilities differ in shape")
    if mode == "mean":
        fused = weight * local + (1 - weight) * global_
    elif mode == "product":
        eps = 1e-4
        fused = np.exp(weight * np.log(local + eps) + (1 - weight) * np.log(global_ + eps))
    elif mode == "max":
        pick_local = local.max(0) >= global_.max(0)
        fused = np.where(pick_local[None], local, global_)
    else:
        raise ValueError(f"unknown fusion mode {mode!r}; choose from {MODES}")
    fused = fused / np.maximum(fused.sum(0, keepdims=True), 1e-12)
    if weak_index is not None:
        fused = clamp_to_scribbles(fused, weak_index)
    return fused.astype(np.float32)


def clamp_to_scribbles(probs: np.ndarray, weak_index: np.ndarray) -> np.ndarray:
    """One-hot probabilities on labelled pixels: scribbles are ground truth."""
    labelled = weak_index != IGNORE
    if labelled.any():
        probs = probs.copy()
        probs[:, labelled] = 0
        rows, cols = np.nonzero(labelled)
        probs[weak_index[rows, cols], rows, cols] = 1
    return probs


def to_labels(probs: np.ndarray, threshold: float | None = None) -> np.ndarray:
    """Argmax index map; pixels whose top probability is below ``threshold`` become 255."""
    labels = probs.argmax(0).astype(np.uint8)
    if threshold:
        labels[probs.max(0) < threshold] = IGNORE
    return labels


def superpixel_smooth(image: np.ndarray, probs: np.ndarray, n_segments: int = 600,
                      compactness: float = 10.0) -> np.ndarray:
    """Average the probabilities inside SLIC superpixels (a cheap alternative to the CRF)."""
    segments = slic(image, n_segments=n_segments, compactness=compactness, start_label=0)
    k, n = probs.shape[0], segments.max() + 1
    flat = segments.ravel()
    sums = np.stack([np.bincount(flat, weights=probs[c].ravel(), minlength=n) for c in range(k)])
    counts = np.bincount(flat, minlength=n)
    return (sums / np.maximum(counts, 1))[:, segments].astype(np.float32)


def regularise(image: np.ndarray, probs: np.ndarray, method: str | None = "crf", crf=None,
               weak_index: np.ndarray | None = None) -> np.ndarray:
    """``crf`` (dense CRF), ``superpixels`` or None; scribble pixels are clamped again afterwards."""
    if method in (None, "none"):
        out = probs
    elif method == "crf":

        out = (crf or DenseCRF())(image, probs)
    elif method == "superpixels":
        out = superpixel_smooth(image, probs)
    else:
        raise ValueError(f"unknown regularisation {method!r} (crf, superpixels, none)")
    return clamp_to_scribbles(out, weak_index) if weak_index is not None else out


# -------------------------------------------------------------------------------- over a data set
def _fuse_one(key, ds, local_dir, global_dir, out_dir, weak, weight, mode, regularisation, threshold):
    labels = ds.labels
    shape = tuple(ds.image_shape(key))  # also decodes the image: a broken one stops before any output
    local = load_probs(stored_path(local_dir, key), labels, shape)
    global_ = load_probs(stored_path(global_dir, key), labels, shape)
    weak_index = labels.to_index(weak(ds, key)) if weak is not None else None
    probs = fuse(local, global_, weight, mode, weak_index)
    # the confidence is the fused one, before the regulariser: the dense CRF makes nearly every pixel sure
    unsure = probs.max(0) < threshold if threshold else None
    if regularisation not in (None, "none"):
        probs = regularise(ds.image(key), probs, regularisation, weak_index=weak_index)
    index = to_labels(probs)
    if unsure is not None:
        index[unsure] = IGNORE
    save_probs(stored_path(out_dir, key), probs, labels)
    write_label_png(out_dir / f"{key}.png", labels.to_ids(index), ds.palette)
    return key


def check_fusion(weight: float, mode: str, regularisation: str | None, threshold: float | None) -> None:
    if not (isinstance(weight, (int, float)) and math.isfinite(weight) and 0 <= weight <= 1):
        raise ConfigError(f"fusion weight must be a number in [0, 1] (the local annotator's share), got {weight!r}")
    if mode not in MODES:
        raise ConfigError(f"unknown fusion mode {mode!r}; choose from {', '.join(MODES)}")
    if regularisation not in (None, "none", "crf", "superpixels"):
        raise ConfigError(f"unknown regularisation {regularisation!r} (crf, superpixels, none)")
    if threshold is not None and not (isinstance(threshold, (int, float)) and 0 < threshold <= 1):
        raise ConfigError(f"fusion threshold must be in (0, 1] (a confidence), got {threshold!r}")


def fuse_dataset(ds, local_dir, global_dir, out_dir, weak=None, weight: float = 0.5, mode: str = "mean",
                 regularisation: str | None = "crf", threshold: float | None = None, workers: int = 1,
                 shard: str | None = None, progress: bool = True, overwrite: bool = False) -> dict:
    """Fuse the local and global stores of every image into ``out_dir`` (``<id>.npz`` + ``<id>.png``).

    Resumable (finished images are skipped) and shardable (``"K/N"``), like the annotator runners.
    ``out_dir/manifest.json`` holds the settings; a folder fused with others is refused (``overwrite``
    replaces its contents instead). ``run.json`` (``run.shard-K-of-N.json``) is written when all its
    images are done.
    """


    check_fusion(weight, mode, regularisation, threshold)
    for folder, who in ((local_dir, "local"), (global_dir, "global")):
        if not Path(folder).is_dir():
            raise DataError(folder, f"folder of the {who} annotator's <id>.npz stores is missing")
    keys = shard_items(list(ds.ids), shard)
    out_dir = Path(out_dir)
    settings = {"weight": float(weight), "mode": mode, "regularisation": regularisation,
                "threshold": threshold, "local": str(Path(local_dir).resolve()),
                "global": str(Path(global_dir).resolve()), "weak_labels": weak_settings(weak),
                **data_settings(ds)}
    if threshold:
        settings["threshold_on"] = "fused"  # before the regulariser
    with claimed_folder(out_dir, settings, "fused labels", overwrite, shard, writer="fuse"):
        todo = [k for k in keys if not is_done(out_dir, k)]
        fn = partial(_fuse_one, ds=ds, local_dir=Path(local_dir), global_dir=Path(global_dir), out_dir=out_dir,
                     weak=weak, weight=weight, mode=mode, regularisation=regularisation, threshold=threshold)
        start = time.perf_counter()
        for _ in map_images(fn, todo, workers, desc=f"fuse {mode}" + (f"+{regularisation}" if regularisation else ""),
                            progress=progress):
            pass
        record = {"local": str(local_dir), "global": str(global_dir), "weight": weight, "mode": mode,
                  "regularisation": regularisation, "threshold": threshold, "images": len(keys),
                  "computed": len(todo), "wall_seconds": round(time.perf_counter() - start, 2),
                  "seconds_per_image": round((time.perf_counter() - start) * max(workers, 1) / max(len(todo), 1), 4)}
        write_json(out_dir / ("run.json" if not shard else f"run.shard-{shard.replace('/', '-of-')}.json"), record)
    return record


# -------------------------------------------------------------------------- how sure the fused labels are
SWEEP = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def _confidence_counts(key, ds, folder, thresholds):
    """Per threshold: (labelled pixels kept, of them right, labelled pixels) of one image's fused store."""
    labels = ds.labels
    target = labels.to_index(ds.mask(key))
    probs = load_probs(stored_path(folder, key), labels, target.shape)
    valid = target != IGNORE
    confidence, right = probs.max(0)[valid], (probs.argmax(0) == target)[valid]
    return np.array([[(confidence >= t).sum(), (right & (confidence >= t)).sum(), valid.sum()] for t in thresholds])


def confidence_sweep(ds, folder, thresholds=SWEEP, workers: int = 1) -> list[dict]:
    """For each threshold, the share of the (mask-labelled) pixels whose fused confidence reaches it, and the
    accuracy of their argmax against the dense masks: what W_confident keeps and how good that is."""
    fn = partial(_confidence_counts, ds=ds, folder=Path(folder), thresholds=tuple(thresholds))
    total = sum(map_images(fn, list(ds.ids), workers, desc="confidence", progress=False))
    return [{"threshold": t, "kept": float(kept / max(n, 1)), "accuracy": float(right / max(kept, 1))}
            for t, (kept, right, n) in zip(thresholds, total)]


def _abstain_one(key, ds, labels_dir, confidence_dir, out_dir, threshold):
    labels = ds.labels
    shape = tuple(ds.image_shape(key))
    index = labels.to_index(read_label_png(labels_dir / f"{key}.png", shape, labels.valid_values()))
    index[load_probs(stored_path(confidence_dir, key), labels, shape).max(0) < threshold] = IGNORE
    write_label_png(out_dir / f"{key}.png", labels.to_ids(index), ds.palette)
    return key


def abstain_unsure(ds, labels_dir, confidence_dir, out_dir, threshold: float, workers: int = 1,
                   progress: bool = True) -> dict:
    """``labels_dir``'s label maps (the fused + CRF pseudo-labels) with every pixel whose confidence in
    ``confidence_dir`` (the fused probabilities before the CRF, as stored) is below ``threshold`` set to
    ignore: the labels of W_confident, without running the CRF a second time. Resumable like the fusion."""
    check_fusion(0.5, "mean", None, threshold)
    labels_dir, confidence_dir, out_dir = Path(labels_dir), Path(confidence_dir), Path(out_dir)
    settings = {"labels": str(labels_dir.resolve()), "confidence": str(confidence_dir.resolve()),
                "threshold": threshold, **data_settings(ds)}
    with claimed_folder(out_dir, settings, "confident labels", writer="run"):  # only the pipeline makes them
        todo = [k for k in ds.ids if not (out_dir / f"{k}.png").is_file()]
        fn = partial(_abstain_one, ds=ds, labels_dir=labels_dir, confidence_dir=confidence_dir, out_dir=out_dir,
                     threshold=threshold)
        start = time.perf_counter()
        for _ in map_images(fn, todo, workers, desc=f"confident {threshold:g}", progress=progress):
            pass
        record = {"labels": str(labels_dir), "confidence": str(confidence_dir), "threshold": threshold,
                  "images": len(ds.ids), "computed": len(todo), "wall_seconds": round(time.perf_counter() - start, 2)}
        write_json(out_dir / "run.json", record)
    return record
