"""Light trunks for CPU training from scratch: torchvision's MobileNetV3 with a segmentation head.

The trunk is dilated to output stride 16 (torchvision's ``dilated=True``) or 8 (the stride-2 block of
the third stage too). The head (:mod:`.heads`) adds early features at stride 8 (``low_stride=4``: at
stride 4, for finer output) to the deep ones.
"""
from __future__ import annotations

from torch import nn
from torchvision import models

from scribblegap.network.models.heads import make_head


def _dilate_from(features: nn.Sequential, start: int, dilation: int) -> None:
    """Turn the stride of block ``start`` into dilation for it and every later block (in place)."""
    for block in list(features)[start:]:
        for m in block.modules():
            if isinstance(m, nn.Conv2d) and m.kernel_size[0] > 1:
                if m.stride != (1, 1):
                    m.stride = (1, 1)
                d = dilation * (m.dilation[0] if m.dilation[0] > 1 else 1)
                m.dilation = (d, d)
                m.padding = ((m.kernel_size[0] - 1) // 2 * d,) * 2


class MobileNetSeg(nn.Module):
    def __init__(self, num_classes: int, variant: str = "small", output_stride: int = 16,
                 head: str = "lraspp", weights=None, inter_channels: int = 128, low_stride: int = 8):
        super().__init__()

        builder = {"small": models.mobilenet_v3_small, "large": models.mobilenet_v3_large}[variant]
        features = builder(weights=weights, dilated=True).features  # output stride 16
        stages = [i for i, b in enumerate(features) if getattr(b, "_is_cn", False)]
        if low_stride not in (4, 8):
            raise ValueError("low_stride must be 4 or 8")
        # the head fuses the last block at stride 8 (or 4: finer output, cheap channels) with the deep features
        self.low_index = stages[-2] - 1 if low_stride == 8 else stages[-3] - 1
        if output_stride == 8:
            _dilate_from(features, stages[-2], 2)  # the C4 blocks were already dilated by 2 -> 4
        elif output_stride != 16:
            raise ValueError("output_stride must be 8 or 16")
        self.trunk = features
        self.head = make_head(head, features[self.low_index].out_channels, features[-1].out_channels, num_classes,
                              output_stride, inter_channels)

    def forward(self, x):
        low = None
        for i, block in enumerate(self.trunk):
            x = block(x)
            if i == self.low_index:
                low = x
        return self.head({"low": low, "high": x})

    def param_groups(self):
        return list(self.trunk.parameters()), list(self.head.parameters())
