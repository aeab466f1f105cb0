"""Training augmentation (random scale, crop padded with ignore, flip) and test-time preprocessing.

Both go through torchvision ``transforms.v2`` functionals on ``tv_tensors`` so images and label maps
(hard ``(H, W)`` or soft ``(K, H, W)``) move together. Randomness comes from an explicit
``torch.Generator`` per sample, so a sample's augmentation depends only on (seed, position in the
sample stream): that is what makes resumed training bit-identical on the CPU.
"""
from __future__ import annotations

import numpy as np
import torch
from torchvision import tv_tensors
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as TF

from scribblegap.data.labels import IGNORE

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def to_image_tensor(image: np.ndarray) -> torch.Tensor:
    """HxWx3 uint8 -> normalised 3xHxW float tensor (ImageNet statistics, as torchvision trunks expect)."""
    t = tv_tensors.Image(torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1))
    return TF.normalize(TF.to_dtype(t, torch.float32, scale=True), MEAN, STD)


def fit_long_side(shape, long_side: int | None) -> tuple[int, int]:
    """Size (H, W) shrunk so the longer side is at most ``long_side`` (never enlarged; None: unchanged)."""
    h, w = shape
    if not long_side or max(h, w) <= long_side:
        return h, w
    s = long_side / max(h, w)
    return max(1, round(h * s)), max(1, round(w * s))


def resize_pair(image: np.ndarray, target: np.ndarray, size: tuple[int, int]):
    """Resize an image (bilinear, antialiased) and its target (nearest for hard, bilinear for soft)."""
    img = TF.resize(tv_tensors.Image(torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)),
                    list(size), antialias=True)
    tgt = torch.from_numpy(np.ascontiguousarray(target))
    soft = tgt.ndim == 3
    tgt = TF.resize(tv_tensors.Mask(tgt if soft else tgt[None]), list(size),
                    interpolation=v2.InterpolationMode.BILINEAR if soft else v2.InterpolationMode.NEAREST,
                    antialias=False)
    return img.permute(1, 2, 0).numpy(), (tgt.numpy() if soft else tgt[0].numpy())


def augment(image: np.ndarray, target: np.ndarray, crop: int, scale_range=(0.5, 1.5), flip: bool = True,
            generator: torch.Generator | None = None):
    """Random scale, random crop of ``crop`` x ``crop`` (padded: image with the mean, target with ignore),
    horizontal flip. ``target`` is ``(H, W) uint8`` (255 = ignore) or ``(K, H, W) uint8`` soft targets
    (padding gets all-zero vectors, which the soft loss ignores). Returns (3xCxC float, target tensor)."""
    g = generator

    def rand() -> float:
        return float(torch.rand((), generator=g))

    img = to_image_tensor(image)
    soft = target.ndim == 3
    tgt = tv_tensors.Mask(torch.from_numpy(np.ascontiguousarray(target if soft else target[None])))
    s = scale_range[0] + (scale_range[1] - scale_range[0]) * rand()
    h, w = img.shape[-2:]
    size = [max(1, round(h * s)), max(1, round(w * s))]
    img = TF.resize(img, size, antialias=True)
    tgt = TF.resize(tgt, size, interpolation=v2.InterpolationMode.NEAREST)
    ph, pw = max(crop - size[0], 0), max(crop - size[1], 0)
    if ph or pw:  # pad right/bottom; the crop offset below then places the image anywhere
        img = TF.pad(img, [0, 0, pw, ph], fill=0.0)  # 0 after normalisation = the mean colour
        tgt = TF.pad(tgt, [0, 0, pw, ph], fill=0 if soft else IGNORE)
    h, w = img.shape[-2:]
    top, left = int(rand() * (h - crop + 1)), int(rand() * (w - crop + 1))
    img, tgt = TF.crop(img, top, left, crop, crop), TF.crop(tgt, top, left, crop, crop)
    if flip and rand() < 0.5:
        img, tgt = TF.horizontal_flip(img), TF.horizontal_flip(tgt)
    img = img.as_subclass(torch.Tensor)
    tgt = tgt.as_subclass(torch.Tensor)
    return img, (tgt if soft else tgt[0])
