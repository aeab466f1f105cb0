"""Shared pieces of the local annotators: a working resolution, seed handling and per-pixel features.

Local models are fitted and evaluated on a downscaled copy of the image (``max_side`` pixels on the
longer side) because their cost grows with the pixel count while their accuracy barely does; the
probabilities are upsampled bilinearly to the image size at the end. Seeds (the weak labels as
contiguous indices ``0..C-1`` of the classes present in the image, 255 unlabelled) are scattered onto
the small grid so that no click is lost by the downscaling.
"""
from __future__ import annotations

import contextlib

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage
from skimage.color import rgb2lab

UNLABELLED = 255


@contextlib.contextmanager
def one_torch_thread():
    """Run torch on one thread inside the block: its float results then do not depend on the core
    count, so a seed gives byte-identical outputs on every machine (the work here is small)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def working_size(shape: tuple[int, int], max_side: int | None) -> tuple[int, int]:
    """(h, w) with the longer side at most ``max_side`` (the original size when None or already smaller)."""
    h, w = shape[:2]
    if not max_side or max(h, w) <= max_side:
        return h, w
    s = max_side / max(h, w)
    return max(1, round(h * s)), max(1, round(w * s))


def downscale_image(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Area-averaged ``(h, w, 3) float32`` copy of an ``(H, W, 3) uint8`` image (0-255 range)."""
    x = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)).permute(2, 0, 1)[None]
    if tuple(size) != image.shape[:2]:
        with one_torch_thread():
            x = F.interpolate(x, size=tuple(size), mode="area")
    return x[0].permute(1, 2, 0).numpy().copy()


def downscale_seeds(seeds: np.ndarray, size: tuple[int, int], num_classes: int) -> np.ndarray:
    """Seeds on a smaller grid: every labelled pixel votes for the cell it falls in (majority wins).

    Nearest-neighbour resizing would drop single-pixel clicks; voting keeps each of them.
    """
    h, w = size
    if (h, w) == seeds.shape:
        return seeds.copy()
    rows, cols = np.nonzero(seeds != UNLABELLED)
    out = np.full((h, w), UNLABELLED, dtype=np.uint8)
    if rows.size == 0:
        return out
    r = np.minimum((rows * h) // seeds.shape[0], h - 1)
    c = np.minimum((cols * w) // seeds.shape[1], w - 1)
    votes = np.zeros((num_classes, h * w), dtype=np.int32)
    np.add.at(votes, (seeds[rows, cols].astype(np.intp), r * w + c), 1)
    total = votes.sum(0)
    best = votes.argmax(0).astype(np.uint8)
    out.ravel()[total > 0] = best[total > 0]
    # a class outvoted in every cell it touches would vanish: give it the cell where it is strongest
    for c in np.flatnonzero(votes.any(1)):
        if not (out == c).any():
            out.ravel()[votes[c].argmax()] = c
    return out


def upsample_probs(probs: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear ``(C, h, w) -> (C, H, W) float32``, renormalised to sum to one per pixel."""
    if probs.shape[1:] == tuple(shape):
        return probs.astype(np.float32, copy=False)

    x = torch.from_numpy(np.ascontiguousarray(probs, dtype=np.float32))[None]
    with one_torch_thread():
        out = F.interpolate(x, size=tuple(shape), mode="bilinear", align_corners=False)[0].numpy()
    return normalise(out)


def normalise(probs: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """Make ``(C, H, W)`` non-negative rows summing to one (uniform where a pixel has no mass)."""
    probs = np.maximum(probs, floor).astype(np.float32, copy=False)
    total = probs.sum(0, keepdims=True)
    uniform = np.float32(1.0 / probs.shape[0])
    return np.where(total > 0, probs / np.where(total > 0, total, 1), uniform).astype(np.float32)


def one_hot(seeds: np.ndarray, num_classes: int) -> np.ndarray:
    """``(C, H, W) float32`` indicator of the seeds (all zero on unlabelled pixels)."""
    return (seeds[None] == np.arange(num_classes, dtype=np.uint8)[:, None, None]).astype(np.float32)


def training_mask(seeds: np.ndarray, num_classes: int, min_pixels: int = 30, grow: int = 3) -> np.ndarray:
    """Pixels used to fit per-class models: the seeds, and for a class with fewer than ``min_pixels``
    seeds (a click) also the pixels within ``grow`` pixels of them that no other class claims.

    A single clicked pixel is not enough to fit a colour model; its neighbourhood almost always belongs
    to the same object. The grown pixels only train the model: they are never clamped as labels.
    """
    out = seeds.copy()
    for c in range(num_classes):
        m = seeds == c
        n = int(m.sum())
        if 0 < n < min_pixels and grow > 0:
            near = ndimage.distance_transform_edt(~m) <= grow
            out[near & (out == UNLABELLED)] = c
    return out


# ------------------------------------------------------------------------------------ pixel features
def lab(image: np.ndarray) -> np.ndarray:
    """CIELAB of an RGB image given in the 0-255 range (uint8 or float): L in 0-100, a/b about +-100."""
    return rgb2lab(np.clip(np.asarray(image, dtype=np.float32) / 255.0, 0, 1)).astype(np.float32)


def positions(size: tuple[int, int]) -> np.ndarray:
    """``(h, w, 2)`` of (y, x), each scaled to [0, 1] along the longer side (aspect kept)."""
    h, w = size
    s = 1.0 / max(h, w, 2)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.stack([yy * s, xx * s], -1)


def colour_position(image_small: np.ndarray, pos_weight: float) -> np.ndarray:
    """``(h, w, 5)``: Lab colour and position, the position scaled by ``pos_weight`` Lab units."""
    return np.concatenate([lab(image_small), positions(image_small.shape[:2]) * pos_weight], -1)


def texture(grey: np.ndarray, sigmas=(1.0, 2.0, 4.0)) -> np.ndarray:
    """Filter-bank responses of a grey image at several scales: gradient magnitude, Laplacian of
    Gaussian, and local standard deviation, ``(h, w, 3 * len(sigmas))``."""
    grey = grey.astype(np.float32)
    out = []
    for s in sigmas:
        out.append(ndimage.gaussian_gradient_magnitude(grey, s))
        out.append(ndimage.gaussian_laplace(grey, s))
        mean = ndimage.gaussian_filter(grey, s)
        out.append(np.sqrt(np.maximum(ndimage.gaussian_filter(grey * grey, s) - mean * mean, 0)))
    return np.stack(out, -1)


def rich_features(image_small: np.ndarray, sigmas=(1.0, 2.0, 4.0), context=(2.0, 6.0),
                  position_weight: float = 1.0) -> np.ndarray:
    """Colour (Lab, RGB, saturation), texture at the ``sigmas`` scales, colour context (Lab blurred at
    the ``context`` scales) and position per pixel, standardised to zero mean and unit variance per
    image; the two position features are then multiplied by ``position_weight`` (0 drops them)."""
    lab_im = lab(image_small)
    rgb = image_small.astype(np.float32) / 255.0
    sat = (rgb.max(-1) - rgb.min(-1))[..., None]
    parts = [lab_im, rgb, sat]
    if len(sigmas):
        parts.append(texture(lab_im[..., 0], sigmas))
    for s in context:
        parts.append(np.stack([ndimage.gaussian_filter(lab_im[..., i], s) for i in range(3)], -1))
    if position_weight:
        parts.append(positions(image_small.shape[:2]))
    feats = np.concatenate(parts, -1).reshape(-1, sum(p.shape[-1] for p in parts))
    feats = (feats - feats.mean(0)) / (feats.std(0) + 1e-6)
    if position_weight:
        feats[:, -2:] *= position_weight
    return feats.reshape(image_small.shape[:2] + (-1,)).astype(np.float32)
