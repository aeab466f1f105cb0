"""Inference with a trained network: probabilities at full resolution, evaluation, the global annotator.

An image is resized so its longer side is the run's ``base_size`` (as in training), the logits are
upsampled back to the original size and turned into probabilities; the optional dense CRF then works
on the full-resolution image.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .evaluate import summarize
from .io import write_label_png
from .metrics import ConfusionMatrix
from .store import save_probs, stored_path
from .transforms import fit_long_side, to_image_tensor


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
    """mIoU, per-class IoU and pixel accuracy on ``dataset`` (with the dense CRF when ``crf`` is given)."""
    from tqdm.auto import tqdm

    was_training = model.training
    model.eval()
    labels = dataset.labels
    cm = ConfusionMatrix(labels.num_classes)
    cm_crf = ConfusionMatrix(labels.num_classes) if crf is not None else None
    chunk = max(8, 4 * crf_workers)  # images whose probabilities are held at once for the parallel CRF
    keys = list(dataset.ids)
    bar = tqdm(total=len(keys), desc="evaluate", disable=not progress, leave=False, dynamic_ncols=True)
    for start in range(0, len(keys), chunk):
        batch = []
        for key in keys[start: start + chunk]:
            image, target = dataset.image(key), labels.to_index(dataset.mask(key))
            probs = predict_probs(model, image, base_size, device)
            cm.update(probs.argmax(0), target)
            batch.append((image, probs, target))
            bar.update()
        if crf is not None:
            from .crf import crf_map

            refined = crf_map(crf, [b[0] for b in batch], [b[1] for b in batch], crf_workers)
            for (_, _, target), out in zip(batch, refined):
                cm_crf.update(out.argmax(0), target)
    bar.close()
    model.train(was_training)
    out = summarize(cm, labels)
    out["num_images"] = len(dataset)
    if cm_crf is not None:
        out["crf"] = summarize(cm_crf, labels)
    return out


def predict_dataset(model, dataset, out_dir, base_size: int | None, device=None, progress: bool = True,
                    crf=None) -> dict:
    """Write ``<id>.npz`` (compact probabilities) and ``<id>.png`` (argmax, data set ids) per image.

    Resumable: images whose two files exist are skipped. This is the global annotator's output.
    """
    from tqdm.auto import tqdm

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    labels = dataset.labels
    written = skipped = 0
    model.eval()
    for key in tqdm(dataset.ids, desc="predict", disable=not progress, dynamic_ncols=True):
        png, npz = out_dir / f"{key}.png", stored_path(out_dir, key)
        if png.is_file() and npz.is_file():
            skipped += 1
            continue
        image = dataset.image(key)
        probs = predict_probs(model, image, base_size, device)
        if crf is not None:
            probs = crf(image, probs)
        save_probs(npz, probs, labels)
        write_label_png(png, labels.to_ids(probs.argmax(0).astype(np.uint8)), dataset.palette)
        written += 1
    return {"written": written, "skipped": skipped}
