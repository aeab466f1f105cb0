"""Dense CRF on the weak labels alone, and dense-CRF refinement of another model's probabilities.

``crf`` (the model): labelled pixels get confident unaries; an unlabelled pixel gets an unsure unary,
a mix of the uniform distribution and a soft "nearest seed" prior (``exp(-distance / dist_sigma)``
per class, distances in fractions of the image's longer side). Mean-field inference of a fully
connected CRF with a strong, wide appearance kernel then spreads the labels over pixels of similar
colour. It knows nothing about a class's colour beyond its seeds' pixels, so it fails where an object
has parts unlike any scribbled pixel, or where background and object share colour.

``crf_refine``: the same CRF applied on top of another model's probabilities (``gmm-crf``).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

from scribblegap.annotators.crf import DenseCRF
from scribblegap.annotators.features import (downscale_image, downscale_seeds, normalise, one_hot,
                                             one_torch_thread, UNLABELLED, upsample_probs, working_size)

def clamp_seeds(probs: np.ndarray, seeds: np.ndarray, conf: float = 1.0) -> np.ndarray:
    """Labelled pixels get probability ``conf`` for their class (the rest spread evenly)."""
    c = probs.shape[0]
    lab = seeds != UNLABELLED
    if not lab.any():
        return probs
    probs = probs.copy()
    other = (1.0 - conf) / (c - 1) if c > 1 else 0.0
    probs[:, lab] = np.where(one_hot(seeds, c)[:, lab] > 0, conf if c > 1 else 1.0, other)
    return probs


def _crf(image_small: np.ndarray, probs: np.ndarray, scale: float, iters, pos_w, pos_xy_std, bi_w, bi_xy_std,
         bi_rgb_std) -> np.ndarray:
    # spatial standard deviations are given at full resolution; shrink them with the working grid
    crf = DenseCRF(iter_max=int(iters), pos_w=pos_w, pos_xy_std=max(pos_xy_std * scale, 0.5), bi_w=bi_w,
                   bi_xy_std=max(bi_xy_std * scale, 1.0), bi_rgb_std=bi_rgb_std)
    return crf(np.clip(np.rint(image_small), 0, 255).astype(np.uint8), normalise(probs, 1e-6))


def crf_refine(image: np.ndarray, probs: np.ndarray, seeds: np.ndarray, *, iters: int = 10, pos_w: float = 3.0,
               pos_xy_std: float = 2.0, bi_w: float = 5.0, bi_xy_std: float = 50.0, bi_rgb_std: float = 5.0,
               seed_conf: float = 0.95, max_side: int | None = None) -> np.ndarray:
    """Dense CRF on ``probs`` (``(C, H, W)``) with the seeds clamped to ``seed_conf`` beforehand.

    ``max_side`` runs the CRF on a downscaled grid (None: full resolution, best edges, ~0.5 s).
    """
    num = probs.shape[0]
    size = working_size(image.shape, max_side)
    scale = size[0] / image.shape[0]
    if size != image.shape[:2]:

        with one_torch_thread():
            small = F.interpolate(torch.from_numpy(np.ascontiguousarray(probs, np.float32))[None], size=size,
                                  mode="area")[0].numpy()
        small_seeds = downscale_seeds(seeds, size, num)
    else:
        small, small_seeds = probs, seeds
    small = clamp_seeds(normalise(small), small_seeds, seed_conf)
    out = _crf(downscale_image(image, size), small, scale, iters, pos_w, pos_xy_std, bi_w, bi_xy_std, bi_rgb_std)
    return upsample_probs(out, image.shape[:2])


def nearest_seed_prior(seeds: np.ndarray, num_classes: int, sigma: float) -> np.ndarray:
    """``(C, h, w)``: softmax over classes of ``-distance to the class's nearest seed / sigma``
    (distances as fractions of the longer side)."""
    side = max(seeds.shape)
    d = np.stack([ndimage.distance_transform_edt(seeds != c) / side for c in range(num_classes)])
    logits = -(d - d.min(0, keepdims=True)) / max(sigma, 1e-6)
    e = np.exp(logits)
    return (e / e.sum(0, keepdims=True)).astype(np.float32)


def crf(image: np.ndarray, seeds: np.ndarray, num_classes: int, *, max_side: int = 200, iters: int = 20,
        unsure: float = 0.5, dist_sigma: float = 0.1, seed_conf: float = 0.95, pos_w: float = 3.0,
        pos_xy_std: float = 2.0, bi_w: float = 5.0, bi_xy_std: float = 80.0, bi_rgb_std: float = 5.0) -> np.ndarray:
    """Dense CRF from the seeds alone, ``(C, H, W)``.

    ``unsure``: weight of the uniform distribution in an unlabelled pixel's unary (the rest is the
    nearest-seed prior of width ``dist_sigma``). ``seed_conf``: unary confidence of labelled pixels.
    Kernel parameters as in :class:`scribblegap.annotators.crf.DenseCRF`, spatial ones at full resolution.
    """
    size = working_size(image.shape, max_side)
    small_seeds = downscale_seeds(seeds, size, num_classes)
    prior = nearest_seed_prior(small_seeds, num_classes, dist_sigma)
    unary = clamp_seeds((1 - unsure) * prior + unsure / num_classes, small_seeds, seed_conf)
    out = _crf(downscale_image(image, size), unary, size[0] / image.shape[0], iters, pos_w, pos_xy_std, bi_w,
               bi_xy_std, bi_rgb_std)
    return upsample_probs(out, image.shape[:2])
