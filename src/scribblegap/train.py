"""The training engine: iteration-based, poly learning rate, 10x rate for the head, resumable.

``train(config, samples, out_dir)`` trains one network and writes into ``out_dir``:
``checkpoint.pt`` (model, optimizer, scheduler, step, RNG states, config; atomic, every
``checkpoint_every`` steps and at the end), ``config.json``, ``log.jsonl`` (one JSON line per logged
step: loss, lr, images/s; and per evaluation: val mIoU against training seconds). On CUDA it uses
mixed precision and channels_last; under ``torchrun`` it trains with DistributedDataParallel (rank 0
logs, evaluates and saves).
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from .checkpoint import CHECKPOINT, load_checkpoint, save_checkpoint, set_rng_state
from .errors import ConfigError
from .io import atomic_path
from .losses import densecrf_loss, partial_cross_entropy, soft_cross_entropy
from .models import MSC, build_model
from .trainset import SampleStream, TrainingSamples
from .transforms import MEAN, STD


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

# ------------------------------------------------------------------------------------------ helpers
def distributed() -> tuple[int, int, int]:
    """(rank, world size, local rank) from torchrun's environment; (0, 1, 0) otherwise."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)), int(os.environ.get("LOCAL_RANK", 0))


def pick_device(local_rank: int = 0) -> torch.device:
    return torch.device(f"cuda:{local_rank}") if torch.cuda.is_available() else torch.device("cpu")


def make_model(config: TrainConfig, num_classes: int) -> torch.nn.Module:
    model = build_model(config.arch, num_classes, config.output_stride, config.head, config.init,
                        config.msc, config.freeze_bn, config.low_stride)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = config.bn_momentum
    return model


def make_optimizer(config: TrainConfig, model) -> torch.optim.Optimizer:
    trunk, head = model.param_groups()
    trunk = [p for p in trunk if p.requires_grad]
    head = [p for p in head if p.requires_grad]
    groups = [{"params": trunk, "lr": config.lr}, {"params": head, "lr": config.lr * config.head_lr_mult}]
    if config.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
    if config.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=config.lr, weight_decay=config.weight_decay)
    raise ConfigError(f"unknown optimizer {config.optimizer!r} (sgd, adamw)")


def poly_schedule(config: TrainConfig):
    def factor(step: int) -> float:
        warm = min(1.0, (step + 1) / config.warmup_iters) if config.warmup_iters else 1.0
        return warm * max(0.0, 1 - step / config.iters) ** config.poly_power
    return factor


LOSSES = ("ce", "soft", "ce+densecrf")


def compute_loss(config: TrainConfig, logits, target, images=None) -> torch.Tensor:
    """The configured loss on the logits upsampled to the target size (every scale under MSC)."""
    if config.loss not in LOSSES:
        raise ConfigError(f"unknown loss {config.loss!r}; choose from {', '.join(LOSSES)}")
    outputs = [logits] if not isinstance(logits, tuple) else [logits[0], *logits[1]]
    total = 0.0
    for out in outputs:
        out = F.interpolate(out, size=target.shape[-2:], mode="bilinear", align_corners=False).float()
        if config.loss == "soft":
            total = total + soft_cross_entropy(out, target)
        else:
            total = total + partial_cross_entropy(out, target)
        if config.loss == "ce+densecrf":
            rgb = images.float() * images.new_tensor(STD).view(1, 3, 1, 1) + images.new_tensor(MEAN).view(1, 3, 1, 1)
            total = total + config.rloss_weight * densecrf_loss(
                torch.softmax(out, 1), rgb * 255, config.rloss_sigma_rgb, config.rloss_sigma_xy, config.rloss_scale)
    return total


def read_log(run, max_step: int | None = None) -> list[dict]:
    """The entries of a run's ``log.jsonl`` (up to ``max_step``: a resumed run drops what came after its
    checkpoint); a torn last line after a kill ends the log."""
    path = Path(run)
    path = path / "log.jsonl" if path.is_dir() or not path.suffix else path
    if not path.is_file():
        return []
    entries = []
    for line in path.read_text().splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            break
        if max_step is None or entry.get("step", 0) <= max_step:
            entries.append(entry)
    return entries


# ------------------------------------------------------------------------------------------- train
def train(config: TrainConfig, samples: TrainingSamples, out_dir, val_data=None, resume: bool = False,
          progress: bool = True, stop_after: int | None = None) -> dict:
    """Train and return a summary (steps, seconds, images/s, final validation scores when ``val_data``).

    ``stop_after``: stop (with a checkpoint) after this many steps of this call: used by the tests to
    simulate an interruption.
    """
    from tqdm.auto import tqdm

    from .predict import evaluate_model

    config.check()
    rank, world, local_rank = distributed()
    if world > 1 and not torch.distributed.is_initialized():
        torch.distributed.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    device = pick_device(local_rank)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if config.threads:
        torch.set_num_threads(config.threads)
    if config.batch_size % world:
        raise ConfigError(f"batch size {config.batch_size} is not divisible by {world} processes")
    out_dir = Path(out_dir)
    main_rank = rank == 0
    if main_rank:
        out_dir.mkdir(parents=True, exist_ok=True)

    torch.manual_seed(config.seed)
    labels = samples.dataset.labels
    num_classes = labels.num_classes
    label_info = {"num_classes": num_classes, "classes": list(labels.keep), "class_names": list(labels.names)}
    model = make_model(config, num_classes).to(device)
    if config.channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = make_optimizer(config, model)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, poly_schedule(config))
    step, train_seconds = 0, 0.0
    ckpt_path = out_dir / CHECKPOINT
    if resume and ckpt_path.is_file():
        state = load_checkpoint(ckpt_path)
        theirs = TrainConfig.from_dict(state.get("config", {})).settings()
        changed = sorted(k for k, v in config.settings().items() if theirs.get(k) != v)
        if changed:
            raise ConfigError(f"{out_dir} holds a run with other settings ({', '.join(changed[:5])} differ); "
                              "use a new --out, or delete the folder to start again")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        set_rng_state(state["rng"])
        step = int(state["step"])
        train_seconds = float(state["extra"].get("train_seconds", 0.0))
    elif ckpt_path.is_file() and main_rank:
        raise ConfigError(f"{out_dir} already holds a run; pass --resume to continue it or use a new --out")
    log_path = out_dir / "log.jsonl"
    log_lines = [json.dumps(e) for e in read_log(log_path, step)] if resume else []
    if main_rank:
        with atomic_path(out_dir / "config.json") as tmp:
            tmp.write_text(json.dumps(config.to_dict(), indent=2) + "\n")
        with atomic_path(log_path) as tmp:
            tmp.write_text("".join(line + "\n" for line in log_lines))

    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[local_rank] if device.type == "cuda" else None)
    per_rank = config.batch_size // world
    stream = SampleStream(len(samples), config.seed, start=step * config.batch_size, rank=rank, world=world)
    loader = DataLoader(samples, batch_size=per_rank, sampler=stream, num_workers=config.workers,
                        pin_memory=device.type == "cuda", persistent_workers=config.workers > 0,
                        drop_last=True)
    use_amp = config.amp and device.type == "cuda"
    amp_dtype = torch.bfloat16 if use_amp and torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp and amp_dtype == torch.float16)

    def log(entry: dict):
        if main_rank:
            with open(log_path, "a") as f:
                f.write(json.dumps(entry) + "\n")

    def checkpoint():
        if main_rank:
            save_checkpoint(ckpt_path, model=model, optimizer=optimizer, scheduler=scheduler, step=step,
                            config=config.to_dict(), extra={"train_seconds": train_seconds, **label_info})

    def validate(limit):
        if val_data is None:
            return None
        if main_rank:
            data = val_data.head(limit) if limit else val_data
            return evaluate_model(model.module if world > 1 else model, data, config.base_size,
                                  device=device, progress=False)
        return None

    model.train()
    bar = tqdm(total=config.iters, initial=step, desc=f"train {out_dir.name}", disable=not (progress and main_rank),
               dynamic_ncols=True)
    it = iter(loader)
    window_t, window_n, calls = time.perf_counter(), 0, 0
    while step < config.iters and (stop_after is None or calls < stop_after):
        t0 = time.perf_counter()
        images, targets = next(it)
        images = images.to(device, non_blocking=True)
        targets = targets.to(device, non_blocking=True)
        if config.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        with torch.autocast(device.type, dtype=amp_dtype, enabled=use_amp):
            logits = model(images)
        loss = compute_loss(config, logits, targets, images)
        if not math.isfinite(loss.item()):
            raise FloatingPointError(f"loss became {loss.item()} at step {step}; lower the learning rate")
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        lr = optimizer.param_groups[0]["lr"]
        scheduler.step()
        step += 1
        calls += 1
        train_seconds += time.perf_counter() - t0
        window_n += images.shape[0] * world
        bar.update()
        if step % config.log_every == 0 or step == config.iters:
            now = time.perf_counter()
            ips = window_n / max(now - window_t, 1e-9)
            window_t, window_n = now, 0
            log({"step": step, "loss": round(loss.item(), 5), "lr": lr, "images_per_s": round(ips, 2),
                 "train_seconds": round(train_seconds, 2)})
            bar.set_postfix(loss=f"{loss.item():.3f}", ips=f"{ips:.1f}")
        if config.eval_every and step % config.eval_every == 0 and step < config.iters:
            scores = validate(config.eval_limit)
            if scores is not None:
                log({"step": step, "train_seconds": round(train_seconds, 2), "val_miou": scores["miou"],
                     "val_images": scores["num_images"]})
            model.train()
            window_t = time.perf_counter()
        if step % config.checkpoint_every == 0 or step == config.iters:
            checkpoint()
    bar.close()
    if calls and step % config.checkpoint_every and step != config.iters:
        checkpoint()
    summary = {"steps": step, "train_seconds": round(train_seconds, 1),
               "images_per_s": round(step * config.batch_size / max(train_seconds, 1e-9), 2)}
    if step >= config.iters:
        scores = validate(None)
        if scores is not None:
            summary["val"] = scores
            log({"step": step, "train_seconds": round(train_seconds, 2), "val_miou": scores["miou"],
                 "val_images": scores["num_images"], "final": True})
    if world > 1:
        torch.distributed.barrier()
    return summary


def load_trained(run, device=None):
    """(model in eval mode, TrainConfig) from a run folder or checkpoint file."""
    state = load_checkpoint(run)
    config = TrainConfig.from_dict(state["config"])
    model = make_model(replace(config, init=None), int(state["extra"]["num_classes"]))
    model.load_state_dict(state["model"])
    device = device or pick_device()
    model.run_info = {"step": int(state["step"]), **state["extra"]}
    return model.to(device).eval(), config


def curve(run) -> list[dict]:
    """The validation entries of a run's log: [{step, train_seconds, val_miou, ...}, ...]."""
    return [e for e in read_log(run) if "val_miou" in e]


__all__ = ["TrainConfig", "train", "load_trained", "curve", "read_log", "MSC"]
