"""A per-image pixel classifier: a small MLP on rich per-pixel features, trained on that image's seeds.

Features (:func:`features.rich_features`): Lab, RGB and saturation, position, texture (gradient
magnitude, Laplacian of Gaussian, local standard deviation at three scales) and the Lab colour blurred
at two scales (context). The MLP is trained full-batch with Adam and class-balanced cross-entropy; with
a fixed ``seed`` the same input gives the same output. Richer features let it separate classes that
share a colour but differ in texture (fur against grass); they also let it overfit the few labelled
pixels of a click, where it is no better than the mixture model.
"""
from __future__ import annotations

import numpy as np
import torch

from scribblegap.annotators.features import (downscale_image, downscale_seeds, one_torch_thread, rich_features,
                                             training_mask, upsample_probs, working_size)


def pixel_classifier(image: np.ndarray, seeds: np.ndarray, num_classes: int, *, max_side: int = 160,
                     hidden: int = 32, steps: int = 150, lr: float = 0.03, weight_decay: float = 1e-3,
                     temperature: float = 1.0, max_samples: int = 3000, min_pixels: int = 30, grow: int = 3,
                     texture_scales=(1.0, 2.0, 4.0), context_scales=(2.0, 6.0), position_weight: float = 1.0,
                     seed: int = 0) -> np.ndarray:
    """MLP probabilities ``(C, H, W)``.

    ``hidden``: hidden units (0: multinomial logistic regression). ``steps``/``lr``/``weight_decay``:
    full-batch Adam. ``temperature``: divides the logits at prediction. ``max_samples``: seeds per class
    used for training (random, seeded). ``min_pixels``/``grow``: as in :func:`mixture.gmm`.
    ``texture_scales``/``context_scales``/``position_weight``: the features, see
    :func:`features.rich_features`.
    """

    size = working_size(image.shape, max_side)
    feats = rich_features(downscale_image(image, size), tuple(texture_scales), tuple(context_scales),
                          position_weight)
    small = downscale_seeds(seeds, size, num_classes)
    train = training_mask(small, num_classes, min_pixels, max(0, round(grow * size[0] / image.shape[0])))
    rng = np.random.default_rng(seed)
    idx = []
    for c in range(num_classes):
        i = np.flatnonzero(train.ravel() == c)
        idx.append(np.sort(rng.choice(i, max_samples, replace=False)) if i.size > max_samples else i)
    idx = np.concatenate(idx)
    x_all = torch.from_numpy(feats.reshape(-1, feats.shape[-1]))
    x, y = x_all[idx], torch.from_numpy(train.ravel()[idx].astype(np.int64))
    weight = 1.0 / torch.bincount(y, minlength=num_classes).clamp(min=1).float()
    # one thread: the model is tiny, and float sums then do not depend on the machine's core count,
    # so the same seed gives byte-identical outputs everywhere
    with one_torch_thread(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        d = x.shape[1]
        net = torch.nn.Sequential(torch.nn.Linear(d, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, num_classes)) \
            if hidden > 0 else torch.nn.Linear(d, num_classes)
        opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)
        loss_fn = torch.nn.CrossEntropyLoss(weight=weight / weight.sum() * num_classes)
        for _ in range(steps):
            opt.zero_grad()
            loss = loss_fn(net(x), y)
            loss.backward()
            opt.step()
        with torch.no_grad():
            probs = torch.softmax(net(x_all) / temperature, 1).T.reshape((num_classes,) + size).numpy()
    return upsample_probs(probs, image.shape[:2])
