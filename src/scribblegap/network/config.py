"""The training settings of one network (:class:`TrainConfig`), and what in them decides the trained weights."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

from scribblegap.core.errors import ConfigError

LOSSES = ("ce", "soft", "ce+densecrf")


@dataclass
class TrainConfig:
    # model
    arch: str = "mobilenet_v3_small"
    head: str = "lraspp"
    output_stride: int = 16
    low_stride: int = 8                  # light trunks: stride of the early features the head adds (4: finer)
    init: str | None = None              # None: from scratch; "imagenet"; or a local weights file
    msc: bool = False
    freeze_bn: bool = False
    bn_momentum: float = 0.1
    # data
    base_size: int | None = 160          # longer image side for training and inference (None: native)
    crop_size: int = 128
    scale_range: tuple = (0.5, 1.5)
    # optimisation
    iters: int = 1500
    batch_size: int = 16                 # global batch (split over ranks under torchrun)
    optimizer: str = "adamw"             # "adamw" or "sgd"
    lr: float = 1e-3
    head_lr_mult: float = 10.0
    momentum: float = 0.9
    weight_decay: float = 1e-4
    poly_power: float = 0.9
    warmup_iters: int = 0
    loss: str = "ce"                     # "ce" (hard targets: pCE on scribbles), "soft" (probabilities),
                                         # "ce+densecrf" (pCE + Tang et al.'s DenseCRF regularised loss)
    rloss_weight: float = 1.0            # weight of the normalised DenseCRF energy
    rloss_sigma_rgb: float = 15.0
    rloss_sigma_xy: float = 8.0          # pixels of the downscaled grid
    rloss_scale: float = 0.25
    # engine
    seed: int = 0
    workers: int = 0                     # DataLoader worker processes
    amp: bool = True                     # CUDA only
    channels_last: bool = True
    threads: int | None = None           # torch CPU threads (None: torch's default)
    eval_every: int = 0                  # steps between validation evaluations (0: only at the end)
    eval_limit: int | None = None        # validation images per intermediate evaluation
    checkpoint_every: int = 100
    log_every: int = 10
    extra: dict = field(default_factory=dict)  # free-form notes (data, labels) kept with the run

    def to_dict(self) -> dict:
        d = asdict(self)
        d["scale_range"] = list(self.scale_range)
        return d

    def check(self) -> "TrainConfig":
        """Raise :class:`ConfigError` for values no training can use; return self."""
        positive = ("iters", "batch_size", "crop_size", "checkpoint_every", "log_every", "lr", "head_lr_mult",
                    "rloss_sigma_rgb", "rloss_sigma_xy", "rloss_scale", "bn_momentum")
        non_negative = ("weight_decay", "momentum", "poly_power", "warmup_iters", "eval_every", "rloss_weight",
                        "workers", "seed")
        for name in positive + non_negative:
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0 \
                    or (name in positive and value == 0):
                sign = "> 0" if name in positive else ">= 0"
                raise ConfigError(f"training setting {name} must be a finite number {sign}, got {value!r}")
        for name in ("base_size", "threads", "eval_limit"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ConfigError(f"training setting {name} must be a positive integer or None, got {value!r}")
        lo, hi = self.scale_range
        if not (0 < lo <= hi and math.isfinite(hi)):
            raise ConfigError(f"training setting scale_range must be 0 < low <= high, got {self.scale_range}")
        if self.output_stride not in (8, 16) or self.low_stride not in (4, 8):
            raise ConfigError("training settings output_stride must be 8 or 16 and low_stride 4 or 8")
        if self.loss not in LOSSES:
            raise ConfigError(f"unknown loss {self.loss!r}; choose from {', '.join(LOSSES)}")
        return self

    def settings(self) -> dict:
        """What decides the trained weights: everything but the engine's threads, logging and notes (and the
        DenseCRF loss's knobs when that loss is not used)."""
        unused = ENGINE_ONLY + (() if self.loss == "ce+densecrf" else RLOSS_ONLY)
        return {k: v for k, v in self.to_dict().items() if k not in unused}

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        if "scale_range" in d:
            d["scale_range"] = tuple(d["scale_range"])
        return cls(**d)


ENGINE_ONLY = ("threads", "workers", "log_every", "checkpoint_every", "extra")
RLOSS_ONLY = ("rloss_weight", "rloss_sigma_rgb", "rloss_sigma_xy", "rloss_scale")
