"""Random walker segmentation (Grady 2006) with scikit-image: the probability that a random walk from a
pixel, stepping preferably between pixels of similar colour, reaches a seed of each class first.

It needs no colour model, so it handles objects whose colours vary; it fails where a thin scribble sits
far from large regions joined to another class's seed by a smooth colour path (the walk "leaks"), and
its probabilities are soft far from all seeds.
"""
from __future__ import annotations

import warnings

import numpy as np
from skimage.segmentation import random_walker as rw

from scribblegap.annotators.features import (downscale_image, downscale_seeds, lab, normalise, UNLABELLED,
                                             upsample_probs, working_size)


def random_walker(image: np.ndarray, seeds: np.ndarray, num_classes: int, *, max_side: int = 160,
                  beta: float = 30.0, tol: float = 1e-3, mode: str = "cg_j") -> np.ndarray:
    """Random-walker probabilities ``(C, H, W)``.

    ``max_side``: working resolution. ``beta``: edge sharpness (scikit-image's, on Lab colour).
    ``mode``/``tol``: scikit-image's linear solver and its tolerance.
    """

    size = working_size(image.shape, max_side)
    small = downscale_seeds(seeds, size, num_classes)
    markers = np.where(small == UNLABELLED, 0, small.astype(np.int32) + 1)
    data = lab(downscale_image(image, size))
    found = np.unique(markers[markers > 0]) - 1
    probs = np.zeros((num_classes,) + size, dtype=np.float32)
    if found.size == 1:
        probs[found[0]] = 1.0
    else:
        with warnings.catch_warnings():
            # iterative solvers overshoot [0, 1] by about tol; the result is clipped and renormalised
            warnings.filterwarnings("ignore", "The probability range is outside", UserWarning)
            full = rw(data, markers, beta=beta, mode=mode, tol=tol, return_full_prob=True, channel_axis=-1)
        probs[found] = np.asarray(full, dtype=np.float32).reshape((found.size,) + size)
    return upsample_probs(normalise(np.clip(probs, 0, None)), image.shape[:2])
