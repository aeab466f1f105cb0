"""The results files (``results/<data>/summary.json``): one entry per experiment key, many runs each.

A run is a dict holding at least ``run_id``, ``miou`` (and ``miou_crf`` when scored with the CRF),
the config, seed, git commit and wall time. Recording a run with an existing ``run_id`` replaces it,
so an experiment can be completed over several sessions and rerun without double counting. The
aggregate fields (mean, sample standard deviation, count) are recomputed on every write.
"""
from __future__ import annotations

import fcntl
import json
import math
from contextlib import contextmanager
from pathlib import Path

from .io import write_json

AGGREGATED = ("miou", "miou_crf", "pixel_accuracy")


@contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel experiments may record at the same time
        yield


def load_summary(path) -> dict:
    path = Path(path)
    return json.loads(path.read_text()) if path.is_file() else {}


def aggregate(runs: list[dict]) -> dict:
    out = {"n": len(runs)}
    for field in AGGREGATED:
        values = [r[field] for r in runs if r.get(field) is not None]
        if values:
            mean = sum(values) / len(values)
            out[field] = mean
            out[f"{field}_std"] = (math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
                                   if len(values) > 1 else None)
    return out


def record_run(path, key: str, run: dict) -> dict:
    """Add (or replace, same ``run_id``) ``run`` under ``key``; returns the updated entry."""
    path = Path(path)
    with _locked(path):
        summary = load_summary(path)
        entry = summary.get(key, {})
        runs = [r for r in entry.get("runs", []) if r.get("run_id") != run["run_id"]] + [run]
        runs.sort(key=lambda r: (r.get("seed", 0), r["run_id"]))
        entry = {**{k: v for k, v in entry.items() if k != "runs"}, **aggregate(runs), "runs": runs}
        summary[key] = entry
        write_json(path, summary)
    return entry


def update_value(path, key: str, subkey: str, value) -> None:
    """Set ``summary[key][subkey] = value`` (other subkeys are kept)."""
    path = Path(path)
    with _locked(path):
        summary = load_summary(path)
        summary.setdefault(key, {})[subkey] = value
        write_json(path, summary)


def run_record(run_dir, scores: dict, evaluated: dict | None = None) -> dict:
    """A run's entry: scores plus what produced them (spec, config, seed, commit, wall time, speed, curve)."""
    from .runs import RECORD

    run_dir = Path(run_dir)
    trained = load_summary(run_dir / RECORD)
    spec = trained.get("spec", {})
    config = spec.get("config", {})
    provenance = trained.get("provenance") or {}
    record = {"run_id": run_dir.name, "run_dir": str(run_dir), "seed": config.get("seed"),
              "preset": config.get("extra", {}).get("preset"), "labels": spec.get("labels"),
              "miou": scores["miou"], "pixel_accuracy": scores.get("pixel_accuracy"), "iou": scores.get("iou")}
    if "crf" in scores:
        record.update({"miou_crf": scores["crf"]["miou"], "iou_crf": scores["crf"].get("iou")})
    record.update({"train_seconds": trained.get("train_seconds"), "wall_seconds": trained.get("wall_seconds"),
                   "images_per_s": trained.get("images_per_s"), "labelled_fraction": trained.get("labelled_fraction"),
                   "commit": provenance.get("commit"), "machine": provenance.get("machine"),
                   "threads": provenance.get("threads"), "evaluated": evaluated, "config": config,
                   "spec": {k: v for k, v in spec.items() if k != "config"},
                   "curve": [{k: e.get(k) for k in ("step", "train_seconds", "val_miou")} for e in trained.get("curve", [])]})
    return record


def recorded_curve(run: dict) -> list[dict]:
    """The validation points of a recorded run: from its record, or (older records) from its log while the
    run folder still holds that very run. A folder later reused by another config is not read."""
    if run.get("curve") is not None:
        return run["curve"]
    from .runs import RECORD
    from .settings import REPO_ROOT
    from .train import curve

    folder = REPO_ROOT / run.get("run_dir", "-")
    trained = load_summary(folder / RECORD)
    if trained.get("train_seconds") is None or trained.get("train_seconds") != run.get("train_seconds"):
        return []
    return curve(folder)
