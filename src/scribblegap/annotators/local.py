"""Local annotator models: one model per image, fitted only on that image's weak labels.

Every method is called through :func:`predict_local`, which turns the weak label map (data set class
ids, 255 unlabelled) into *seeds* over the C classes present in the image (indices 0..C-1), runs the
method on them, scatters its ``(C, H, W)`` answer back onto the K classes of the label space (0 for
classes the image's annotation does not name) and clamps labelled pixels to their label.

Methods (``LOCAL_METHODS``; parameters are the keyword arguments of the functions named, see
:func:`method_defaults`):

=====================  ===================================================================================
``gmm``                colour+position Gaussian mixture per class (:func:`mixture.gmm`)
``gmm-crf``            ``gmm`` refined by a dense CRF (parameters ``crf_*`` go to :func:`crf_only.crf_refine`)
``crf``                dense CRF on the seeds alone, unsure unaries elsewhere (:func:`crf_only.crf`)
``random-walker``      random walker on the colour image (:func:`random_walk.random_walker`)
``superpixels``        label propagation over a superpixel graph (:func:`superpixels.superpixels`)
``pixel-classifier``   per-image MLP on colour, position and texture features
                       (:func:`pixel_classifier.pixel_classifier`)
``pixel-classifier-crf``  the same, refined by a dense CRF
=====================  ===================================================================================

No class is privileged: each class present in an image's weak labels gets the same kind of model, the
background (where the data set has one) included, so a data set without a background class (every pixel
some named class) needs nothing different.

Degenerate images: weak labels naming one class give that class probability 1 everywhere; an image
with no weak labels at all gets the uniform distribution over all K classes. Uniform is the neutral
element of probability averaging (fusing it with a global model leaves the global model's argmax
unchanged), and :func:`label_map` turns it into 255 (abstain) rather than inventing a class.
"""
from __future__ import annotations

import inspect
from functools import partial
from typing import Callable

import numpy as np

from scribblegap.data.labels import LabelSpace
from scribblegap.core.errors import ConfigError
from scribblegap.annotators import crf_only, mixture, pixel_classifier, random_walk, superpixels
from scribblegap.annotators.features import UNLABELLED

CRF_PREFIX = "crf_"


def with_crf(model: Callable, image: np.ndarray, seeds: np.ndarray, num_classes: int, **params) -> np.ndarray:
    """Run ``model`` then :func:`crf_only.crf_refine`; parameters named ``crf_<name>`` go to the CRF."""
    crf_params = {k[len(CRF_PREFIX):]: v for k, v in params.items() if k.startswith(CRF_PREFIX)}
    model_params = {k: v for k, v in params.items() if not k.startswith(CRF_PREFIX)}
    probs = model(image, seeds, num_classes, **model_params)
    return crf_only.crf_refine(image, probs, seeds, **crf_params)


LOCAL_METHODS: dict[str, Callable] = {
    "gmm": mixture.gmm,
    "gmm-crf": partial(with_crf, mixture.gmm),
    "crf": crf_only.crf,
    "random-walker": random_walk.random_walker,
    "superpixels": superpixels.superpixels,
    "pixel-classifier": pixel_classifier.pixel_classifier,
    "pixel-classifier-crf": partial(with_crf, pixel_classifier.pixel_classifier),
}


def _keyword_defaults(fn: Callable) -> dict:
    return {name: p.default for name, p in inspect.signature(fn).parameters.items()
            if p.kind is inspect.Parameter.KEYWORD_ONLY}


def method_defaults(method: str) -> dict:
    """The documented parameters of a method and their default values."""
    fn = _method(method)
    if isinstance(fn, partial) and fn.func is with_crf:
        out = _keyword_defaults(fn.args[0])
        out.update({CRF_PREFIX + k: v for k, v in _keyword_defaults(crf_only.crf_refine).items()})
        return out
    return _keyword_defaults(fn)


def _method(method: str) -> Callable:
    if method not in LOCAL_METHODS:
        raise ConfigError(f"unknown local method {method!r}; choose from {', '.join(LOCAL_METHODS)}")
    return LOCAL_METHODS[method]


def check_params(method: str, params: dict) -> None:
    known = method_defaults(method)
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ConfigError(f"method {method!r} has no parameter(s) {', '.join(unknown)}; "
                          f"it takes {', '.join(known)}")


def predict_local(method: str, image: np.ndarray, weak: np.ndarray, labels: LabelSpace, **params) -> np.ndarray:
    """``(K, H, W) float32`` probabilities over ``labels.keep`` from one image's weak labels.

    ``image``: ``(H, W, 3) uint8``; ``weak``: ``(H, W) uint8`` of data set class ids, 255 unlabelled
    (ids outside ``labels.keep`` are ignored). Probabilities sum to one per pixel, are 0 for classes
    absent from ``weak`` and 1 for the label of a labelled pixel (see the module docstring for images
    with one class or none).
    """
    fn = _method(method)
    check_params(method, params)
    image, weak = np.asarray(image), np.asarray(weak)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"image must be (H, W, 3) uint8, got {image.dtype} {image.shape}")
    if weak.shape != image.shape[:2]:
        raise ValueError(f"weak labels {weak.shape} and image {image.shape[:2]} differ in size")
    k = labels.num_classes
    index = labels.to_index(weak.astype(np.uint8, copy=False))
    present = np.unique(index[index != UNLABELLED])
    out = np.zeros((k,) + weak.shape, dtype=np.float32)
    if present.size == 0:
        out[:] = 1.0 / k
        return out
    if present.size == 1:
        out[present[0]] = 1.0
        return out
    lut = np.full(256, UNLABELLED, dtype=np.uint8)
    lut[present] = np.arange(present.size)
    seeds = lut[index]
    probs = np.asarray(fn(image, seeds, int(present.size), **params), dtype=np.float32)
    if probs.shape != (present.size,) + weak.shape:
        raise RuntimeError(f"{method} returned {probs.shape}, expected {(present.size,) + weak.shape}")
    probs = crf_only.clamp_seeds(np.clip(probs, 0, None), seeds)
    total = probs.sum(0, keepdims=True)
    out[present] = np.where(total > 0, probs / np.where(total > 0, total, 1), 1.0 / present.size)
    return out


def label_map(probs: np.ndarray, labels: LabelSpace) -> np.ndarray:
    """Argmax of ``(K, H, W)`` probabilities as data set ids; 255 where every class is equally likely
    (the "nothing known" answer for an image without weak labels)."""
    idx = probs.argmax(0).astype(np.uint8)
    if probs.shape[0] > 1:
        idx[(probs.max(0) - probs.min(0)) <= 1e-6] = UNLABELLED
    return labels.to_ids(idx)
