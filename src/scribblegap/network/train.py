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
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from scribblegap.core.errors import ConfigError
from scribblegap.core.io import atomic_path
from scribblegap.network.checkpoint import CHECKPOINT, load_checkpoint, make_model, save_checkpoint, set_rng_state
from scribblegap.network.config import LOSSES, TrainConfig
from scribblegap.network.device import distributed, pick_device
from scribblegap.network.losses import densecrf_loss, partial_cross_entropy, soft_cross_entropy
from scribblegap.network.predict import evaluate_model
from scribblegap.network.runlog import read_log
from scribblegap.network.trainset import SampleStream, TrainingSamples
from scribblegap.network.transforms import MEAN, STD


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


# ------------------------------------------------------------------------------------------- train
def train(config: TrainConfig, samples: TrainingSamples, out_dir, val_data=None, resume: bool = False,
          progress: bool = True, stop_after: int | None = None) -> dict:
    """Train and return a summary (steps, seconds, images/s, final validation scores when ``val_data``).

    ``stop_after``: stop (with a checkpoint) after this many steps of this call: used by the tests to
    simulate an interruption.
    """
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
            scores = evaluate_model(model.module if world > 1 else model, data, config.base_size,
                                    device=device, progress=False)
            scores.pop("per_image")  # the run's log keeps the scores; the pipeline stores per-image counts
            return scores
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
