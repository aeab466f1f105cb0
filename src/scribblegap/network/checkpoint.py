"""Checkpoints: model, optimizer, scheduler, step, RNG states and config, saved atomically and read
back with ``weights_only=True`` (plain tensors, numbers, strings, lists and dicts only); a network built
from its :class:`TrainConfig`, and a trained one loaded back."""
from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from scribblegap.core.errors import DataError
from scribblegap.core.io import atomic_path, one_line
from scribblegap.network.config import TrainConfig
from scribblegap.network.device import pick_device
from scribblegap.network.models import build_model

CHECKPOINT = "checkpoint.pt"


def rng_state() -> dict:
    np_state = np.random.get_state()
    return {"torch": torch.get_rng_state(), "numpy": [np_state[0], torch.from_numpy(np_state[1].astype(np.int64)),
                                                      int(np_state[2]), int(np_state[3]), float(np_state[4])],
            "python": _py_state_to_list(random.getstate()),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state((n[0], n[1].numpy().astype(np.uint32), n[2], n[3], n[4]))
    v, inner, gauss = state["python"]
    random.setstate((v, tuple(inner), gauss))
    if state.get("cuda") and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _py_state_to_list(state):
    v, inner, gauss = state
    return [v, list(inner), gauss]


class _KeptWriteError:
    """A file for ``torch.save`` that keeps the OSError of a failed write (a full disk): torch reports it
    as a RuntimeError about stream positions, which names neither the file nor the cause."""

    def __init__(self, handle):
        self.handle, self.error = handle, None

    def write(self, data):
        try:
            return self.handle.write(data)
        except OSError as exc:
            self.error = exc
            raise

    def flush(self):
        self.handle.flush()


def save_checkpoint(path, *, model, optimizer, scheduler, step: int, config: dict, extra: dict | None = None):
    state = {"model": _unwrap(model).state_dict(), "optimizer": optimizer.state_dict(),
             "scheduler": scheduler.state_dict(), "step": step, "config": config, "rng": rng_state(),
             "extra": extra or {}}
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        stream = _KeptWriteError(handle)
        try:
            torch.save(state, stream)
        except RuntimeError:
            if stream.error is None:
                raise
            raise stream.error from None  # atomic_path names the checkpoint and removes the partial file


def load_checkpoint(path) -> dict:
    """The saved state; a missing or unreadable file, or one without the parts every use of a checkpoint
    needs (model weights, config, step, the label space in ``extra``), raises :class:`DataError`."""
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT
    if not path.is_file():
        raise DataError(path, "checkpoint is missing")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for a bad file
        raise DataError(path, f"cannot read checkpoint ({one_line(exc)})") from None
    missing = missing_parts(state)
    if missing:
        raise DataError(path, f"checkpoint lacks {', '.join(missing)} (not a checkpoint written by "
                              "scribblegap train?)")
    return state


def missing_parts(state) -> list[str]:
    """Names of the expected entries that ``state`` lacks or holds in the wrong type."""
    if not isinstance(state, dict):
        return ["everything (it is not a dict)"]
    kinds = {"model": dict, "config": dict, "step": int, "extra": dict}
    missing = [k for k, kind in kinds.items() if not isinstance(state.get(k), kind)]
    extra = state.get("extra") if isinstance(state.get("extra"), dict) else {}
    if not isinstance(extra.get("num_classes"), int) or extra["num_classes"] < 1:
        missing.append("extra.num_classes")
    return missing


def _unwrap(model):
    return model.module if hasattr(model, "module") else model


def make_model(config: TrainConfig, num_classes: int) -> torch.nn.Module:
    model = build_model(config.arch, num_classes, config.output_stride, config.head, config.init,
                        config.msc, config.freeze_bn, config.low_stride)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = config.bn_momentum
    return model


def load_trained(run, device=None):
    """(model in eval mode, TrainConfig) from a run folder or checkpoint file."""
    state = load_checkpoint(run)
    config = TrainConfig.from_dict(state["config"])
    model = make_model(replace(config, init=None), int(state["extra"]["num_classes"]))
    model.load_state_dict(state["model"])
    device = device or pick_device()
    model.run_info = {"step": int(state["step"]), **state["extra"]}
    return model.to(device).eval(), config
