"""DeepLabV2 (Chen et al. 2017): a dilated ResNet trunk and an ASPP of summed 3x3 atrous branches.

The trunk is torchvision's ResNet with ``replace_stride_with_dilation`` (output stride 8: the last two
stages keep their resolution and dilate by 2 and 4). ASPP has four 3x3 branches with rates 6, 12, 18
and 24, each predicting class logits; the logits are summed. ``MSC`` adds multi-scale inputs.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torchvision import models

ASPP_RATES = (6, 12, 18, 24)


class ASPP(nn.Module):
    """Atrous spatial pyramid pooling, DeepLabV2 style: parallel 3x3 dilated convs, logits summed."""

    def __init__(self, in_channels: int, num_classes: int, rates=ASPP_RATES):
        super().__init__()
        self.branches = nn.ModuleList(
            nn.Conv2d(in_channels, num_classes, 3, padding=r, dilation=r, bias=True) for r in rates)
        for conv in self.branches:
            nn.init.normal_(conv.weight, 0, 0.01)
            nn.init.zeros_(conv.bias)

    def forward(self, x):
        return sum(branch(x) for branch in self.branches)


class DeepLabV2(nn.Module):
    """``trunk`` maps images to features at stride 8; ``head`` (ASPP) maps them to logits."""

    def __init__(self, trunk: nn.Module, head: nn.Module):
        super().__init__()
        self.trunk = trunk
        self.head = head

    def forward(self, x):
        return self.head(self.trunk(x))

    def param_groups(self):
        """(trunk parameters, head parameters): the head gets 10x the learning rate."""
        return list(self.trunk.parameters()), list(self.head.parameters())


class MSC(nn.Module):
    """Multi-scale inputs: run the model at 1x and at ``scales``; max-fuse the logits at 1x resolution.

    In training the per-scale logits are returned too, so each can be supervised (as DeepLabV2 does).
    """
    def __init__(self, base: nn.Module, scales=(0.5, 0.75)):
        super().__init__()
        self.base = base
        self.scales = tuple(scales)

    def forward(self, x):
        logits = self.base(x)
        size = logits.shape[-2:]
        pyramid = [logits]
        for s in self.scales:
            xs = F.interpolate(x, scale_factor=s, mode="bilinear", align_corners=False)
            pyramid.append(F.interpolate(self.base(xs), size=size, mode="bilinear", align_corners=False))
        fused = torch.stack(pyramid).max(0).values
        return (fused, pyramid) if self.training else fused

    def param_groups(self):
        return self.base.param_groups()


def resnet_trunk(depth: int = 101, weights=None, output_stride: int = 8) -> nn.Module:
    """torchvision ResNet-50/101/152 up to layer4, dilated to ``output_stride`` 8 or 16."""
    if output_stride not in (8, 16):
        raise ValueError("output_stride must be 8 or 16")
    builder = getattr(models, f"resnet{depth}")
    dilate = [False, output_stride == 8, True]
    net = builder(weights=weights, replace_stride_with_dilation=dilate)
    trunk = nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool, net.layer1, net.layer2, net.layer3,
                          net.layer4)
    trunk.out_channels = net.fc.in_features
    return trunk


def deeplabv2_resnet(num_classes: int, depth: int = 101, weights=None, output_stride: int = 8,
                     msc: bool = False) -> nn.Module:
    trunk = resnet_trunk(depth, weights, output_stride)
    model = DeepLabV2(trunk, ASPP(trunk.out_channels, num_classes))
    return MSC(model) if msc else model
