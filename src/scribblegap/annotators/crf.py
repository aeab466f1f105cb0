"""Fully connected CRF (Krähenbühl & Koltun 2011) over class probabilities, via pydensecrf2.

Defaults are DeepLab's for PASCAL VOC as used by kazuto1011/deeplab-pytorch: 10 mean-field iterations,
a Gaussian (smoothness) kernel of weight 3 and xy std 1, a bilateral (appearance) kernel of weight 4,
xy std 67 and rgb std 3. Its Potts compatibility is the same between every pair of classes: no class (a
background, say) is favoured, so a data set without a background class needs nothing different.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pydensecrf.densecrf as dcrf
from pydensecrf.utils import unary_from_softmax

from scribblegap.core.parallel import map_images


@dataclass
class DenseCRF:
    iter_max: int = 10
    pos_w: float = 3.0
    pos_xy_std: float = 1.0
    bi_w: float = 4.0
    bi_xy_std: float = 67.0
    bi_rgb_std: float = 3.0

    def __call__(self, image: np.ndarray, probs: np.ndarray) -> np.ndarray:
        """Refine ``probs`` (``(K, H, W)``, rows summing to 1) given the RGB ``image``; returns ``(K, H, W)``."""
        k, h, w = probs.shape
        if image.shape[:2] != (h, w):
            raise ValueError(f"image {image.shape[:2]} and probabilities {(h, w)} differ in size")
        d = dcrf.DenseCRF2D(w, h, k)
        d.setUnaryEnergy(np.ascontiguousarray(unary_from_softmax(probs.astype(np.float32), clip=1e-5)))
        d.addPairwiseGaussian(sxy=self.pos_xy_std, compat=self.pos_w)
        d.addPairwiseBilateral(sxy=self.bi_xy_std, srgb=self.bi_rgb_std,
                               rgbim=np.require(image[..., :3], np.uint8, ["C", "W"]), compat=self.bi_w)
        q = d.inference(self.iter_max)
        return np.asarray(q, dtype=np.float32).reshape(k, h, w)

    def to_dict(self) -> dict:
        return asdict(self)


def _crf_one(payload):
    crf, image, probs, labels_only = payload
    out = crf(image, probs)
    return out.argmax(0).astype(np.uint8) if labels_only else out


def crf_map(crf: DenseCRF, pairs, workers: int = 1, labels_only: bool = False):
    """Apply ``crf`` to (image, probs) pairs in parallel processes; yields results in order (the ``(H, W)``
    argmax with ``labels_only``). ``pairs`` is read lazily: a generator may compute them as they go."""
    yield from map_images(_crf_one, ((crf, im, p, labels_only) for im, p in pairs), workers, progress=False)
