"""Superpixel label propagation, ScribbleSup-style: labels spread over a graph of SLIC superpixels.

Superpixels touched by a seed take its class; every other superpixel's class distribution ``x_i``
minimises ``sum_ij w_ij |x_i - x_j|^2 + lam * sum_i |x_i - u_i|^2`` over neighbouring superpixels
``i, j``, where ``w_ij = exp(-|lab_i - lab_j|^2 / (2 sigma^2))`` and ``u_i`` is a per-class colour
model (a kernel density over the seeded superpixels' mean colours, ScribbleSup's unary). That is one
sparse linear solve per image. The answer is constant inside a superpixel, so it inherits SLIC's
boundary errors; wrong superpixels that straddle an object border are propagated whole.
"""
from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import spsolve
from skimage.segmentation import slic

from scribblegap.annotators.features import (downscale_image, downscale_seeds, lab, normalise, UNLABELLED,
                                             upsample_probs, working_size)


def adjacency(segments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i, j), i < j, of 4-neighbouring segments."""
    a = np.concatenate([segments[:, :-1].ravel(), segments[:-1, :].ravel()])
    b = np.concatenate([segments[:, 1:].ravel(), segments[1:, :].ravel()])
    keep = a != b
    pairs = np.unique(np.sort(np.stack([a[keep], b[keep]], 1), 1), axis=0)
    return pairs[:, 0], pairs[:, 1]


def superpixels(image: np.ndarray, seeds: np.ndarray, num_classes: int, *, max_side: int = 240,
                n_segments: int = 1200, compactness: float = 10.0, sigma: float = 8.0, lam: float = 0.05,
                unary_sigma: float = 10.0) -> np.ndarray:
    """Superpixel propagation probabilities ``(C, H, W)``.

    ``n_segments``/``compactness``: SLIC's (on Lab). ``sigma``: colour scale of graph edges (Lab units).
    ``lam``: weight of the colour-model unary against propagation. ``unary_sigma``: kernel width of the
    colour model (Lab units). SLIC is deterministic, so the method is too.
    """
    size = working_size(image.shape, max_side)
    lab_im = lab(downscale_image(image, size))
    small = downscale_seeds(seeds, size, num_classes)
    seg = slic(lab_im, n_segments=n_segments, compactness=compactness, start_label=0, convert2lab=False,
               channel_axis=-1, enforce_connectivity=True)
    n = int(seg.max()) + 1
    flat = seg.ravel()
    counts = np.bincount(flat, minlength=n).astype(np.float64)
    mean = np.stack([np.bincount(flat, lab_im[..., i].ravel(), n) for i in range(3)], 1) / counts[:, None]

    # seeds: a superpixel takes the class most of its labelled pixels carry
    lab_px = small.ravel() != UNLABELLED
    votes = np.zeros((n, num_classes))
    np.add.at(votes, (flat[lab_px], small.ravel()[lab_px].astype(np.intp)), 1)
    seeded = votes.sum(1) > 0
    x_s = np.eye(num_classes)[votes[seeded].argmax(1)]

    # colour model: kernel density of each class over its seeded superpixels' mean colours
    d2 = ((mean[:, None] - mean[None, seeded]) ** 2).sum(-1)
    kern = np.exp(-d2 / (2 * unary_sigma ** 2))
    unary = kern @ x_s + 1e-6
    unary /= unary.sum(1, keepdims=True)

    i, j = adjacency(seg)
    w = np.exp(-((mean[i] - mean[j]) ** 2).sum(1) / (2 * sigma ** 2)) + 1e-4
    graph = sparse.coo_matrix((np.r_[w, w], (np.r_[i, j], np.r_[j, i])), shape=(n, n)).tocsr()
    lap = sparse.diags(np.asarray(graph.sum(1)).ravel()) - graph
    u = ~seeded
    x = np.zeros((n, num_classes))
    x[seeded] = x_s
    if u.any():
        a = lap[u][:, u] + lam * sparse.eye(int(u.sum()))
        rhs = lam * unary[u] - lap[u][:, seeded] @ x_s
        x[u] = np.asarray(spsolve(a.tocsc(), rhs)).reshape(-1, num_classes)
    probs = normalise(np.clip(x, 0, None).T[:, flat].reshape((num_classes,) + size).astype(np.float32))
    return upsample_probs(probs, image.shape[:2])
