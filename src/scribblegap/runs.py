"""A training run as a value: which data, which labels, which :class:`TrainConfig`, and where it goes.

``run_training(spec)`` trains one run (resuming it from its checkpoint, or doing nothing when it is
finished) and writes the run's record ``run.json`` beside its checkpoint. ``train_runs(specs)`` trains
several in spawned worker processes, ``parallel`` at a time with ``threads`` torch threads each: on a
2-core machine two runs side by side with one thread each train faster than one after the other with two.
The ``train`` command and the pipeline are both thin layers over these two functions.
"""
from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable

from .errors import ConfigError, ScribblegapError
from .train import TrainConfig

RECORD = "run.json"  # written when the run has trained all its steps


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
        from .data.registry import scene_knobs

        d = asdict(self)
        d["config"] = self.config.to_dict()
        scenes = scene_knobs(self.data)
        if scenes is not None:  # a run on "default" scenes is stale once the defaults change
            d["scenes"] = scenes
        return d


def _comparable(spec: dict) -> dict:
    """A spec as recorded, reduced to what decides the trained weights (a finished run folder stays valid
    where it is moved to)."""
    spec = {k: v for k, v in spec.items() if k != "out"}
    spec["config"] = TrainConfig.from_dict(spec.get("config", {})).settings()
    return spec


def finished(spec: RunSpec) -> dict | None:
    """The record of a finished run of this spec, else None."""
    from .manifest import differences

    path = Path(spec.out) / RECORD
    if not path.is_file():
        return None
    record = json.loads(path.read_text())
    return record if not differences(_comparable(record.get("spec", {})), _comparable(spec.to_dict())) else None


def training_samples(spec: RunSpec, dataset):
    from .scribbles import WeakLabels
    from .trainset import TrainingSamples

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
    from .train import distributed

    done = finished(spec)
    if done is not None:
        return done
    if distributed()[0] != 0:
        return _train(spec, resume, progress)
    from .manifest import claimed

    with claimed(spec.out, _comparable(spec.to_dict()), "a training run", overwrite, normalise=_comparable):
        for stale in Path(spec.out).glob(".*.tmp"):  # left by a killed writer; the lock says none is running
            stale.unlink()
        return _train(spec, resume, progress)


def _train(spec: RunSpec, resume: bool, progress: bool) -> dict | None:
    from .data import load_dataset
    from .provenance import describe
    from .train import distributed, train

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
    from .io import write_json
    from .train import curve

    record = {**summary, "wall_seconds": round(time.time() - start, 1), "spec": spec.to_dict(),
              "provenance": provenance, "labelled_fraction": round(samples.labelled_fraction(), 5),
              "curve": curve(spec.out)}
    write_json(Path(spec.out) / RECORD, record)
    return record


def _worker_start(threads: int) -> None:
    from .parallel import die_with_parent

    die_with_parent()
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import torch

    torch.set_num_threads(threads)


def _train_in_worker(spec: RunSpec) -> dict:
    """Worker side: the run's output (and tracebacks) go to ``<run>/train.out``."""
    Path(spec.out).mkdir(parents=True, exist_ok=True)
    with open(Path(spec.out) / "train.out", "a") as out:
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
        sys.stdout = sys.stderr = open(1, "w", buffering=1, closefd=False)
        try:
            return run_training(spec, progress=False)
        except ScribblegapError as exc:
            print(f"error: {exc}")
            raise
        except BaseException:
            import traceback

            traceback.print_exc()
            raise


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel the queued runs and end the running ones (their checkpoints stay, so a rerun resumes)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # no public API ends running workers
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()


def train_runs(specs: list[RunSpec], parallel: int = 2, cores: int | None = None,
               on_done: Callable[[RunSpec, dict], None] | None = None, log=print) -> dict[str, dict]:
    """Train the unfinished runs of ``specs`` in spawned processes, ``parallel`` at a time, sharing ``cores``
    (default: every core) as torch threads: one run alone gets them all.

    ``on_done(spec, record)`` is called in this process as each run finishes (the pipeline scores it there).
    Returns ``{run folder: record}`` for every spec. A failed run stops the others and raises, naming its log.
    """
    import multiprocessing as mp

    from .parallel import default_workers

    records = {spec.out: finished(spec) for spec in specs}
    todo = [s for s in specs if records[s.out] is None]
    if len({s.out for s in specs}) != len(specs):
        raise ConfigError("two runs of one batch share a run folder")
    if not todo:
        return records
    parallel = max(1, min(parallel, len(todo)))
    threads = max(1, (cores or default_workers()) // parallel)
    pool = ProcessPoolExecutor(parallel, mp_context=mp.get_context("spawn"), initializer=_worker_start,
                               initargs=(threads,))
    try:
        pending = {}
        for spec in todo:
            pending[pool.submit(_train_in_worker, spec)] = spec
        log(f"training {len(todo)} run(s), {parallel} at a time with {threads} thread(s) each: "
            + ", ".join(Path(s.out).name for s in todo))
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                spec = pending.pop(future)
                try:
                    record = future.result()
                except BaseException as exc:
                    _stop(pool)
                    if isinstance(exc, ScribblegapError):
                        raise
                    raise ScribblegapError(f"training {spec.out} failed ({type(exc).__name__}: {exc}); "
                                           f"see {Path(spec.out) / 'train.out'}") from None
                records[spec.out] = record
                log(f"train {spec.out}: done, {record['train_seconds']:.0f} s of training")
                if on_done is not None:
                    on_done(spec, record)
    except KeyboardInterrupt:
        _stop(pool)
        raise
    pool.shutdown()
    return records
