"""A training run as a value: which data, which labels, which :class:`TrainConfig`, and where it goes.

``run_training(spec)`` trains one run (resuming it from its checkpoint, or doing nothing when it is
finished) and writes the run's record ``run.json`` beside its checkpoint. ``train_runs(specs)`` trains
several in spawned worker processes, ``parallel`` at a time with ``threads`` torch threads each: on a
2-core machine two runs side by side with one thread each train faster than one after the other with two.
The ``train`` command and the pipeline are both thin layers over these two functions.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import queue
import sys
import time
import traceback
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable

import torch

from scribblegap.core.errors import ConfigError, ScribblegapError
from scribblegap.core.folders import claimed_folder, differences
from scribblegap.core.io import write_json
from scribblegap.core.layout import RECORD
from scribblegap.core.parallel import default_workers, die_with_parent
from scribblegap.core.provenance import describe
from scribblegap.data import load_dataset
from scribblegap.data.registry import scene_knobs
from scribblegap.network.config import TrainConfig
from scribblegap.network.runlog import curve
from scribblegap.network.device import distributed
from scribblegap.network.train import train
from scribblegap.network.trainset import TrainingSamples
from scribblegap.scribbles import WeakLabels

# RECORD (run.json) is written when the run has trained all its steps


@dataclass(frozen=True)
class RunSpec:
    config: TrainConfig
    out: str                       # the run folder: checkpoint.pt, config.json, log.jsonl, run.json, train.out
    data: str = "default"
    split: str = "train"
    val_split: str | None = "val"  # evaluated during and after training (None: not at all)
    classes: str | None = None
    limit: int | None = None
    labels: str = "full"           # full (dense masks), points, or a folder of scribbles / pseudo-labels
    soft: bool = False             # train on the <id>.npz probabilities in ``labels`` (soft cross-entropy)
    clip: bool = False             # weak labels just outside the image are moved onto its border
    point_radius: float = 0

    def __post_init__(self):
        if self.soft and self.config.loss != "soft":  # soft targets need the soft loss: one switch, not two
            object.__setattr__(self, "config", replace(self.config, loss="soft"))

    @property
    def name(self) -> str:
        return Path(self.out).name

    def to_dict(self) -> dict:
        d = asdict(self)
        d["config"] = self.config.to_dict()
        scenes = scene_knobs(self.data)
        if scenes is not None:  # a run on "default" scenes is stale once the defaults change
            d["scenes"] = scenes
        return d


def comparable(spec: dict) -> dict:
    """A spec as recorded, reduced to what decides the trained weights (a finished run folder stays valid
    where it is moved to)."""
    spec = {k: v for k, v in spec.items() if k != "out"}
    spec["config"] = TrainConfig.from_dict(spec.get("config", {})).settings()
    return spec


def finished(spec: RunSpec) -> dict | None:
    """The record of a finished run of this spec, else None."""
    path = Path(spec.out) / RECORD
    if not path.is_file():
        return None
    record = json.loads(path.read_text())
    return record if not differences(comparable(record.get("spec", {})), comparable(spec.to_dict())) else None


def training_samples(spec: RunSpec, dataset):
    cfg = spec.config
    if spec.soft:
        return TrainingSamples(dataset, soft_dir=spec.labels, base_size=cfg.base_size, crop=cfg.crop_size,
                               scale_range=cfg.scale_range)
    weak = WeakLabels(spec.labels, point_radius=spec.point_radius, clip=spec.clip)
    return TrainingSamples(dataset, weak, base_size=cfg.base_size, crop=cfg.crop_size, scale_range=cfg.scale_range)


def run_training(spec: RunSpec, resume: bool = True, progress: bool = True, overwrite: bool = False) -> dict:
    """Train ``spec`` to its last step and return its record (``run.json``); a finished run is not retrained.

    Under ``torchrun`` every rank calls this; rank 0 writes the record and the others return None.
    """
    done = finished(spec)
    if done is not None:
        return done
    if distributed()[0] != 0:
        return _train(spec, resume, progress)

    # claimed_folder: a run refused or failing before its first file leaves no folder or manifest behind
    with claimed_folder(spec.out, comparable(spec.to_dict()), "a training run", overwrite, normalise=comparable,
                        writer="train"):
        for stale in Path(spec.out).glob(".*.tmp"):  # left by a killed writer; the lock says none is running
            stale.unlink()
        return _train(spec, resume, progress)


def _train(spec: RunSpec, resume: bool, progress: bool) -> dict | None:
    provenance = describe()  # at the start: the code this process has loaded is the code of this commit
    train_data = load_dataset(spec.data, spec.split, classes=spec.classes, limit=spec.limit)
    samples = training_samples(spec, train_data)
    if samples.cache:
        samples.preload(progress)
    val = load_dataset(spec.data, spec.val_split, classes=spec.classes, limit=spec.limit) if spec.val_split else None
    start = time.time()
    summary = train(spec.config, samples, spec.out, val_data=val, resume=resume, progress=progress)
    if distributed()[0] != 0:
        return None
    if summary["steps"] < spec.config.iters:
        return summary  # stopped before its last step: no record, so the next call resumes

    record = {**summary, "wall_seconds": round(time.time() - start, 1), "spec": spec.to_dict(),
              "provenance": provenance, "labelled_fraction": round(samples.labelled_fraction(), 5),
              "curve": curve(spec.out)}
    write_json(Path(spec.out) / RECORD, record)
    return record


def _train_in_worker(spec: RunSpec, threads: int, results) -> None:
    """Worker side (a spawned process): ``threads`` torch threads; the run's output (and tracebacks) go to
    ``<run>/train.out``; the record, or the error, goes back through ``results``."""
    die_with_parent()
    os.environ["OMP_NUM_THREADS"] = str(threads)
    torch.set_num_threads(threads)
    Path(spec.out).mkdir(parents=True, exist_ok=True)
    with open(Path(spec.out) / "train.out", "a") as out:
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
        sys.stdout = sys.stderr = open(1, "w", buffering=1, closefd=False)
        try:
            results.put((spec.out, "done", run_training(spec, progress=False)))
        except ScribblegapError as exc:
            print(f"error: {exc}")
            results.put((spec.out, "refused", str(exc)))
        except BaseException as exc:
            traceback.print_exc()
            results.put((spec.out, "failed", f"{type(exc).__name__}: {exc}"))


def train_runs(specs: list[RunSpec], parallel: int = 2, cores: int | None = None,
               on_done: Callable[[RunSpec, dict], None] | None = None, log=print) -> dict[str, dict]:
    """Train the unfinished runs of ``specs``, each in a spawned process, ``parallel`` at a time, sharing
    ``cores`` (default: every core) as torch threads: one run alone gets them all.

    ``on_done(spec, record)`` is called in this process as each run finishes (the pipeline scores it there).
    Returns ``{run folder: record}`` for every spec. A failed run ends the others (their checkpoints stay,
    so a rerun resumes) and raises, naming its log.
    """
    records = {spec.out: finished(spec) for spec in specs}
    todo = [s for s in specs if records[s.out] is None]
    if len({s.out for s in specs}) != len(specs):
        raise ConfigError("two runs of one batch share a run folder")
    if not todo:
        return records
    parallel = max(1, min(parallel, len(todo)))
    threads = max(1, (cores or default_workers()) // parallel)
    context = mp.get_context("spawn")
    results = context.Queue()
    queued, running = list(todo), {}
    log(f"training {len(todo)} run(s), {parallel} at a time with {threads} thread(s) each: "
        + ", ".join(Path(s.out).name for s in todo))
    try:
        while queued or running:
            while queued and len(running) < parallel:
                spec = queued.pop(0)
                running[spec.out] = (spec, context.Process(target=_train_in_worker, args=(spec, threads, results)))
                running[spec.out][1].start()
            out, status, value = _next_result(results, running)
            spec, process = running.pop(out)
            process.join()
            if status == "refused":
                raise ScribblegapError(value)
            if status != "done":
                raise ScribblegapError(f"training {spec.out} failed ({value}); see {Path(spec.out) / 'train.out'}")
            records[spec.out] = value
            log(f"train {spec.out}: done, {value['train_seconds']:.0f} s of training")
            if on_done is not None:
                on_done(spec, value)
    finally:
        for _, process in running.values():
            process.terminate()
            process.join()
    return records


def _next_result(results, running: dict) -> tuple:
    """The next finished run's (folder, status, record or message); a worker that died without a word
    (killed, out of memory) is reported as failed."""
    while True:
        try:
            return results.get(timeout=5)
        except queue.Empty:
            for out, (_, process) in running.items():
                if not process.is_alive():
                    try:  # its last word may still be on its way
                        return results.get(timeout=2)
                    except queue.Empty:
                        return out, "failed", f"the worker exited with status {process.exitcode}"
