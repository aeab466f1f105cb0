"""Colour-and-position Gaussian mixture models per class (GrabCut-like), fitted on one image's seeds.

Each class present in the weak labels gets a full-covariance GMM over (L, a, b, pos_weight * y,
pos_weight * x) of its labelled pixels; every pixel's class probability is the softmax of the
per-class log-likelihoods divided by ``temperature``. Position lets two classes of similar colour
(a brown dog on a brown sofa) be told apart by where their scribbles are. EM is written out here
(numpy, seeded k-means++ start) because it is small and keeps the package free of scikit-learn.
"""
from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from scribblegap.annotators.features import (colour_position, downscale_image, downscale_seeds, training_mask,
                                             upsample_probs, working_size)


def _kmeans_pp(x: np.ndarray, k: int, rng: np.random.Generator, rounds: int = 5) -> np.ndarray:
    centres = [x[rng.integers(len(x))]]
    d2 = ((x - centres[0]) ** 2).sum(1)
    for _ in range(1, k):
        total = d2.sum()
        idx = rng.integers(len(x)) if total <= 0 else rng.choice(len(x), p=d2 / total)
        centres.append(x[idx])
        d2 = np.minimum(d2, ((x - x[idx]) ** 2).sum(1))
    centres = np.array(centres)
    for _ in range(rounds):
        assign = ((x[:, None] - centres[None]) ** 2).sum(-1).argmin(1)
        for j in range(k):
            if (assign == j).any():
                centres[j] = x[assign == j].mean(0)
    return assign


def _component_loglik(x, weights, means, covs) -> np.ndarray:
    """``(N, M)`` log of weight x Gaussian density of every sample under every component."""
    n, d = x.shape
    out = np.empty((n, len(weights)))
    for j, (w, mu, cov) in enumerate(zip(weights, means, covs)):
        chol = np.linalg.cholesky(cov)
        z = np.linalg.solve(chol, (x - mu).T)
        out[:, j] = (np.log(w) - 0.5 * (z * z).sum(0) - np.log(np.diag(chol)).sum()
                     - 0.5 * d * np.log(2 * np.pi))
    return out


def fit_gmm(x: np.ndarray, components: int, rng: np.random.Generator, iters: int = 15, reg: float = 4.0,
            min_per_component: int = 20):
    """EM for a full-covariance GMM; ``reg`` is added to every covariance's diagonal (feature units^2).

    The number of components shrinks when there are few samples (``min_per_component`` each).
    Returns (weights, means, covariances).
    """
    x = np.asarray(x, dtype=np.float64)
    n, d = x.shape
    m = int(max(1, min(components, n // min_per_component)))
    resp = np.eye(m)[_kmeans_pp(x, m, rng)] if m > 1 else np.ones((n, 1))
    ridge = reg * np.eye(d)
    for it in range(iters + 1):
        nk = resp.sum(0) + 1e-9
        weights = nk / n
        means = (resp.T @ x) / nk[:, None]
        covs = np.empty((m, d, d))
        for j in range(m):
            diff = x - means[j]
            covs[j] = (resp[:, j, None] * diff).T @ diff / nk[j] + ridge
        if it == iters:
            break
        ll = _component_loglik(x, weights, means, covs)
        resp = np.exp(ll - logsumexp(ll, axis=1, keepdims=True))
    return weights, means, covs


def gmm_loglik(x: np.ndarray, model) -> np.ndarray:
    return logsumexp(_component_loglik(np.asarray(x, np.float64), *model), axis=1)


def gmm(image: np.ndarray, seeds: np.ndarray, num_classes: int, *, max_side: int = 160, components: int = 5,
        pos_weight: float = 40.0, reg: float = 4.0, iters: int = 15, temperature: float = 2.0,
        max_samples: int = 3000, min_pixels: int = 30, grow: int = 3, seed: int = 0) -> np.ndarray:
    """Per-class colour+position GMM probabilities ``(C, H, W)`` at the image's resolution.

    ``max_side``: working resolution (longer side, pixels). ``components``: Gaussians per class.
    ``pos_weight``: Lab units per image side of position. ``reg``: covariance ridge.
    ``temperature``: divides log-likelihoods (>1 softens the over-confident likelihood ratios).
    ``max_samples``: seeds per class used for EM (random, seeded). ``min_pixels``/``grow``: classes with
    fewer seeds (clicks) also train on their seeds' neighbourhood (see features.training_mask).
    """
    rng = np.random.default_rng(seed)
    size = working_size(image.shape, max_side)
    feats = colour_position(downscale_image(image, size), pos_weight)
    small = downscale_seeds(seeds, size, num_classes)
    train = training_mask(small, num_classes, min_pixels, max(0, round(grow * size[0] / image.shape[0])))
    x = feats.reshape(-1, feats.shape[-1])
    ll = np.empty((num_classes, x.shape[0]))
    for c in range(num_classes):
        idx = np.flatnonzero(train.ravel() == c)
        if idx.size > max_samples:
            idx = np.sort(rng.choice(idx, max_samples, replace=False))
        model = fit_gmm(x[idx], components, rng, iters, reg)
        ll[c] = gmm_loglik(x, model)
    ll /= temperature
    probs = np.exp(ll - logsumexp(ll, axis=0, keepdims=True)).astype(np.float32)
    return upsample_probs(probs.reshape((num_classes,) + size), image.shape[:2])
