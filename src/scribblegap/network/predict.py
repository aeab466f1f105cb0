"""Inference with a trained network: probabilities at full resolution, evaluation, the global annotator.

An image is resized so its longer side is the run's ``base_size`` (as in training), the logits are
upsampled back to the original size and turned into probabilities; the optional dense CRF then works
on the full-resolution image.
"""
from __future__ import annotations

from collections import deque
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from scribblegap.annotators.crf import crf_map
from scribblegap.core.errors import ConfigError, DataError
from scribblegap.core.folders import claimed_folder
from scribblegap.core.io import one_line, write_label_png
from scribblegap.core.metrics import ConfusionMatrix, image_counts, summarize
from scribblegap.data.base import data_settings
from scribblegap.data.labels import CLASS_SUBSETS
from scribblegap.data.store import save_probs, stored_path
from scribblegap.network.checkpoint import CHECKPOINT, load_trained
from scribblegap.network.transforms import fit_long_side, to_image_tensor


def load_model(checkpoint, device=None):
    """:func:`scribblegap.network.checkpoint.load_trained` with every failure named after the checkpoint, and the
    checkpoint's path kept in ``model.run_info`` (for the class check and the output manifest)."""
    path = Path(checkpoint)
    path = path / CHECKPOINT if path.is_dir() else path
    try:
        model, config = load_trained(path, device)
    except (ConfigError, DataError):
        raise
    except (RuntimeError, KeyError, TypeError, ValueError) as exc:  # weights that do not fit the config
        raise DataError(path, f"checkpoint does not load into the model its config describes "
                              f"({one_line(exc)})") from None
    model.run_info["checkpoint"] = str(path.resolve())
    return model, config


def trained_classes(model) -> tuple[list[int], list[str]] | None:
    """(kept class ids, their names) the model was trained on, from its checkpoint; None when unknown."""
    info = getattr(model, "run_info", None) or {}
    ids, names = info.get("classes"), info.get("class_names")
    if ids is None or names is None:
        return None
    try:
        return [int(i) for i in ids], [str(names[int(i)]) for i in ids]
    except (IndexError, TypeError, ValueError):
        raise DataError(info.get("checkpoint"), f"checkpoint's class list is inconsistent (classes {ids}, "
                                                f"{len(names)} names)") from None


def check_classes(model, labels) -> None:
    """Refuse a model trained on other classes than ``labels`` keeps: its outputs would be scored (or
    written) as the wrong classes, silently."""
    info = getattr(model, "run_info", None) or {}
    who = f"checkpoint {info['checkpoint']}" if info.get("checkpoint") else "the model"
    trained = trained_classes(model)
    data_names = list(labels.kept_names)
    if trained is None:
        k = info.get("num_classes")
        if k is not None and int(k) != labels.num_classes:
            raise ConfigError(f"{who} predicts {k} classes but the data keeps {labels.num_classes} "
                              f"({', '.join(data_names)}); pass the --classes it was trained on")
        return
    ids, names = trained
    if names == data_names:
        return
    only_model = [n for n in names if n not in data_names]
    only_data = [n for n in data_names if n not in names]
    preset = next((p for p, keep in CLASS_SUBSETS.items() if list(keep) == ids
                   and len(labels.names) > max(ids) and [labels.names[i] for i in ids] == names), None)
    hint = f"--classes {preset}" if preset else f"--classes {','.join(names)}"
    diff = "; ".join(part for part in (
        f"only in the checkpoint: {_short(only_model)}" if only_model else "",
        f"only in the data: {_short(only_data)}" if only_data else "",
        "the same classes in another order" if not (only_model or only_data) else "") if part)
    raise ConfigError(f"{who} was trained on {len(names)} classes ({_short(names)}) but the data keeps "
                      f"{len(data_names)} ({_short(data_names)}): {diff}; pass {hint} or the matching checkpoint")


def _short(names, n: int = 8) -> str:
    names = list(names)
    return ", ".join(names[:n]) + (f", ... ({len(names) - n} more)" if len(names) > n else "")


def _check_output(probs: np.ndarray, labels) -> None:
    """Models without a checkpoint's class list (one being trained) are checked on their output."""
    if probs.shape[0] != labels.num_classes:
        raise ConfigError(f"the model predicts {probs.shape[0]} classes but the data keeps {labels.num_classes} "
                          f"({', '.join(labels.kept_names)})")


@torch.no_grad()
def predict_probs(model, image: np.ndarray, base_size: int | None = None, device=None,
                  flip: bool = False) -> np.ndarray:
    """``(K, H, W) float32`` class probabilities for an ``(H, W, 3) uint8`` image."""
    device = device or next(model.parameters()).device
    h, w = image.shape[:2]
    x = to_image_tensor(image)[None]
    size = fit_long_side((h, w), base_size)
    if size != (h, w):
        x = F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=True)
    x = x.to(device)
    logits = model(x)
    if flip:  # average with the mirrored prediction
        logits = (logits + model(x.flip(-1)).flip(-1)) / 2
    logits = F.interpolate(logits.float(), size=(h, w), mode="bilinear", align_corners=False)
    return torch.softmax(logits[0], 0).cpu().numpy()


def evaluate_model(model, dataset, base_size: int | None, device=None, crf=None, progress: bool = True,
                   crf_workers: int = 1) -> dict:
    """mIoU, per-class IoU and pixel accuracy on ``dataset`` (with the dense CRF when ``crf`` is given).

    ``out["per_image"]`` holds each image's ``(K, K + 1)`` pixel counts (``counts``, and ``counts_crf``
    with the CRF) in the order of ``ids``: every score can be recomputed, or resampled over images, from them.
    """
    labels = dataset.labels
    check_classes(model, labels)
    was_training = model.training
    model.eval()
    k = labels.num_classes
    counts, counts_crf = [], []
    bar = tqdm(total=len(dataset.ids), desc="evaluate", disable=not progress, leave=False, dynamic_ncols=True)
    targets = deque()  # in order: the CRF's outputs come back in the order their images went in

    def scored():
        for key in dataset.ids:
            image, target = dataset.image(key), labels.to_index(dataset.mask(key))
            probs = predict_probs(model, image, base_size, device)
            _check_output(probs, labels)
            counts.append(image_counts(probs.argmax(0), target, k))
            if crf is not None:
                targets.append(target)
            bar.update()
            yield image, probs

    if crf is None:
        for _ in scored():
            pass
    else:
        # one pool for the whole set: the network runs here while the workers refine the earlier images
        for refined in crf_map(crf, scored(), crf_workers, labels_only=True):
            counts_crf.append(image_counts(refined, targets.popleft(), k))
    bar.close()
    model.train(was_training)
    out = summarize(_total(counts, k), labels)
    out["num_images"] = len(dataset)
    out["per_image"] = {"ids": list(dataset.ids), "classes": list(labels.kept_names), "counts": np.stack(counts)}
    if crf is not None:
        out["crf"] = summarize(_total(counts_crf, k), labels)
        out["per_image"]["counts_crf"] = np.stack(counts_crf)
    return out


def _total(counts: list, k: int) -> ConfusionMatrix:
    cm = ConfusionMatrix(k)
    for c in counts:
        cm.counts += c
    return cm


def predict_dataset(model, dataset, out_dir, base_size: int | None, device=None, progress: bool = True,
                    crf=None, overwrite: bool = False) -> dict:
    """Write ``<id>.npz`` (compact probabilities) and ``<id>.png`` (argmax, data set ids) per image.

    Resumable: images whose two files exist are skipped. ``out_dir/manifest.json`` names the checkpoint
    (path, step, training seconds) and settings; another checkpoint or other settings are refused
    (``overwrite`` replaces the folder's contents instead). This is the global annotator's output.
    """


    labels = dataset.labels
    check_classes(model, labels)
    info = getattr(model, "run_info", None) or {}
    settings = {"checkpoint": info.get("checkpoint"), "step": info.get("step"),
                "train_seconds": info.get("train_seconds"), "base_size": base_size,
                "crf": (crf.to_dict() if hasattr(crf, "to_dict") else repr(crf)) if crf is not None else None,
                **data_settings(dataset)}
    if settings["checkpoint"] is None:
        del settings["checkpoint"]  # a model from train.load_trained: its step and seconds identify it
    out_dir = Path(out_dir)
    written = skipped = 0
    model.eval()
    with claimed_folder(out_dir, settings, "predictions", overwrite, writer="predict"):
        for key in tqdm(dataset.ids, desc="predict", disable=not progress, dynamic_ncols=True):
            png, npz = out_dir / f"{key}.png", stored_path(out_dir, key)
            if png.is_file() and npz.is_file():
                skipped += 1
                continue
            image = dataset.image(key)
            probs = predict_probs(model, image, base_size, device)
            _check_output(probs, labels)
            if crf is not None:
                probs = crf(image, probs)
            save_probs(npz, probs, labels)
            write_label_png(png, labels.to_ids(probs.argmax(0).astype(np.uint8)), dataset.palette)
            written += 1
    return {"written": written, "skipped": skipped}
