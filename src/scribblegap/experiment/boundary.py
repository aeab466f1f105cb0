"""Where does full supervision win? Pixels scored by their distance to the nearest object boundary.

For every val pixel with a label, the distance (in pixels of the original image) to the nearest pixel
whose neighbour has another label (VOC's void band around objects counts as another label, so its
edge is the boundary). In each distance band: how many pixels each network labels right, and the
share that F labels right and a weaker network wrong (and the reverse). The net of the two, times the
band's share of the pixels, is what that band adds to the accuracy gap.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage
from tqdm.auto import tqdm

from scribblegap.data.labels import IGNORE
from scribblegap.network.predict import predict_probs

BANDS = (0, 2, 4, 8, 16, 32, 64, np.inf)  # pixel distance bands [a, b)


def boundary_distance(mask: np.ndarray) -> np.ndarray:
    """Distance of each pixel to the nearest pixel that touches a different label (4-neighbours)."""
    edge = np.zeros(mask.shape, bool)
    vertical = mask[1:] != mask[:-1]
    horizontal = mask[:, 1:] != mask[:, :-1]
    edge[1:] |= vertical
    edge[:-1] |= vertical
    edge[:, 1:] |= horizontal
    edge[:, :-1] |= horizontal
    if not edge.any():
        return np.full(mask.shape, np.inf)
    return ndimage.distance_transform_edt(~edge)


def band_counts(distance: np.ndarray, target: np.ndarray, predictions: dict[str, np.ndarray],
                reference: str = "F") -> dict:
    """Per band: labelled pixels, right pixels of each prediction, and reference-right/other-wrong counts."""
    scored = target != IGNORE
    band = np.digitize(distance[scored], BANDS[1:-1])
    right = {k: (p[scored] == target[scored]) for k, p in predictions.items()}
    n = len(BANDS) - 1
    out = {"pixels": np.bincount(band, minlength=n)}
    for key, r in right.items():
        out[f"right_{key}"] = np.bincount(band, weights=r, minlength=n)
        if key != reference:
            out[f"only_{reference}_{key}"] = np.bincount(band, weights=right[reference] & ~r, minlength=n)
            out[f"only_{key}_{reference}"] = np.bincount(band, weights=r & ~right[reference], minlength=n)
    return out


def boundary_profile(models: dict, dataset, base_size: int | None, reference: str = "F",
                     progress: bool = True) -> dict:
    """:func:`band_counts` summed over ``dataset`` for ``models`` ({key: network}); shares per band."""
    labels = dataset.labels
    total: dict[str, np.ndarray] = {}
    for key in tqdm(dataset.ids, desc="boundary bands", disable=not progress, dynamic_ncols=True):
        target = labels.to_index(dataset.mask(key))
        image = dataset.image(key)
        predictions = {k: predict_probs(m, image, base_size).argmax(0) for k, m in models.items()}
        for name, counts in band_counts(boundary_distance(target), target, predictions, reference).items():
            total[name] = total.get(name, 0) + counts
    pixels = total["pixels"]
    shares = {name: (counts / np.maximum(pixels, 1)).tolist() for name, counts in total.items() if name != "pixels"}
    return {"bands": [[a, None if np.isinf(b) else b] for a, b in zip(BANDS[:-1], BANDS[1:])],
            "reference": reference, "models": list(models), "images": len(dataset),
            "pixels": pixels.tolist(), "pixel_share": (pixels / max(pixels.sum(), 1)).tolist(), "shares": shares}
