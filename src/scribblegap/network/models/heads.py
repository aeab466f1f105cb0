"""Segmentation heads for the light trunks: deep features at stride 16 (or 8) plus early ones at 8 (or 4).

Both take ``{"low": early features, "high": deep features}`` and return logits at the early features'
resolution. ``lraspp``: torchvision's Lite R-ASPP (a gated 1x1 branch on the deep features, added to a 1x1
classifier of the early ones). ``aspp``: DeepLabV2's summed atrous branches, with rates scaled to the small
feature maps, plus the same 1x1 classifier of the early features.
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import nn
from torchvision.models.segmentation.lraspp import LRASPPHead

from scribblegap.network.models.deeplabv2 import ASPP

HEADS = ("lraspp", "aspp")


class ASPPWithLow(nn.Module):
    def __init__(self, low_channels: int, high_channels: int, num_classes: int, output_stride: int = 16):
        super().__init__()
        # DeepLabV2's rates 6-24 are meant for stride-8 maps of 321-px crops; these maps are a few cells wide
        self.high = ASPP(high_channels, num_classes, (1, 2, 3, 4) if output_stride == 16 else (2, 4, 6, 8))
        self.low = nn.Conv2d(low_channels, num_classes, 1)

    def forward(self, features: dict):
        low = features["low"]
        high = F.interpolate(self.high(features["high"]), size=low.shape[-2:], mode="bilinear", align_corners=False)
        return high + self.low(low)


def make_head(kind: str, low_channels: int, high_channels: int, num_classes: int, output_stride: int = 16,
              inter_channels: int = 128) -> nn.Module:
    if kind == "lraspp":

        return LRASPPHead(low_channels, high_channels, num_classes, inter_channels)
    if kind == "aspp":
        return ASPPWithLow(low_channels, high_channels, num_classes, output_stride)
    raise ValueError(f"unknown head {kind!r} ({', '.join(HEADS)})")
