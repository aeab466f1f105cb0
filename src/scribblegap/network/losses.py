"""Losses: partial cross-entropy for sparse or dense hard labels, soft-target cross-entropy for
probabilistic pseudo-labels."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from scribblegap.data.labels import IGNORE


def partial_cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over labelled pixels only (255 ignored): pCE for scribbles, plain CE for masks.

    A batch without a single labelled pixel gives a zero loss that still has a gradient path.
    """
    if (target != IGNORE).any():
        return F.cross_entropy(logits, target.long(), ignore_index=IGNORE)
    return logits.sum() * 0.0


def soft_cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """-sum_k t_k log p_k averaged over pixels whose target vector is non-zero.

    ``target``: ``(B, K, H, W)`` probabilities (floats, or uint8 scaled by 255); all-zero vectors mark
    ignored pixels (crop padding, or pixels a confidence threshold left unlabelled).
    """
    t = target.float()
    if target.dtype == torch.uint8:
        t = t / 255.0
    mass = t.sum(1)
    valid = mass > 0
    if not valid.any():
        return logits.sum() * 0.0
    t = t / mass.clamp_min(1e-6).unsqueeze(1)
    nll = -(t * F.log_softmax(logits, 1)).sum(1)
    return nll[valid].mean()


def densecrf_loss(probs: torch.Tensor, images: torch.Tensor, sigma_rgb: float = 15.0, sigma_xy: float = 8.0,
                  scale: float = 0.25) -> torch.Tensor:
    """The relaxed dense-CRF energy of Tang et al. (ECCV 2018), normalised: the expected fraction of a
    pixel's affinity that falls on pixels of another label,

        E = mean_i sum_k S_ik sum_j A_ij (1 - S_jk),   A = row-normalised Gaussian kernel on RGB and XY.

    ``probs``: ``(B, K, H, W)`` softmax; ``images``: ``(B, 3, H, W)`` in 0-255. Both are downscaled by
    ``scale`` and the affinity is dense (exact, no permutohedral lattice): ``sigma_xy`` is in pixels of
    the downscaled grid. Tang et al. use a lattice at scale 0.5 with sigma_rgb 15, sigma_xy 100 px and a
    weight of 2e-9 on the unnormalised sum; this normalised form needs a weight of order 1.
    """
    if scale != 1:
        probs = F.interpolate(probs, scale_factor=scale, mode="bilinear", align_corners=False)
        images = F.interpolate(images, scale_factor=scale, mode="bilinear", align_corners=False)
    b, k, h, w = probs.shape
    with torch.no_grad():  # the affinity depends on the image only: no graph through it
        yy, xx = torch.meshgrid(torch.arange(h, device=probs.device), torch.arange(w, device=probs.device),
                                indexing="ij")
        xy = torch.stack([yy, xx], -1).reshape(1, h * w, 2).float() / sigma_xy
        rgb = images.reshape(b, 3, h * w).transpose(1, 2).float() / sigma_rgb
        feats = torch.cat([xy.expand(b, -1, -1), rgb], -1)  # (B, N, 5)
        affinity = torch.cdist(feats, feats).square_().mul_(-0.5).exp_()
        affinity.diagonal(dim1=1, dim2=2).zero_()
        affinity /= affinity.sum(-1, keepdim=True).clamp_min(1e-8)
    s = probs.reshape(b, k, h * w).transpose(1, 2)  # (B, N, K)
    return (s * (affinity @ (1 - s))).sum(-1).mean()
