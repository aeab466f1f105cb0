"""Losses: partial cross-entropy for sparse or dense hard labels, soft-target cross-entropy for
probabilistic pseudo-labels."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .data.labels import IGNORE


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
