"""The results files (``results/<name>/summary.json`` and the files beside it): one entry per experiment key,
many runs each, and every evaluation's per-image pixel counts (``results/<name>/per_image/<run id>.npz``).

A run is a dict holding at least ``run_id``, ``miou`` (and ``miou_crf`` when scored with the CRF),
the config, seed, git commit and wall time. Recording a run with an existing ``run_id`` replaces it,
so an experiment can be completed over several sessions and rerun without double counting. The
aggregate fields (mean, sample standard deviation, count) are recomputed on every write.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from scribblegap.core.folders import locked
from scribblegap.core.io import atomic_path, write_json
from scribblegap.core.layout import RECORD

AGGREGATED = ("miou", "miou_crf", "pixel_accuracy")


def _locked(path: Path):
    return locked(Path(path).with_suffix(".lock"), wait=None)  # parallel experiments may record at once


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


def record_run(path, key: str, run: dict, subkey: str | None = None) -> dict:
    """Add (or replace, same ``run_id``) ``run`` under ``key`` (or ``key`` then ``subkey``); returns the
    updated entry."""
    path = Path(path)
    with _locked(path):
        summary = load_summary(path)
        holder = summary.setdefault(key, {}) if subkey is not None else summary
        name = subkey if subkey is not None else key
        entry = holder.get(name, {})
        runs = [r for r in entry.get("runs", []) if r.get("run_id") != run["run_id"]] + [run]
        runs.sort(key=lambda r: (r.get("seed", 0), r["run_id"]))
        entry = {**{k: v for k, v in entry.items() if k != "runs"}, **aggregate(runs), "runs": runs}
        holder[name] = entry
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
    """The validation points a run recorded during training."""
    return run.get("curve") or []


def save_per_image(path, per_image: dict) -> None:
    """Write an evaluation's per-image counts (:func:`~scribblegap.network.predict.evaluate_model`) compactly."""
    arrays = {"ids": np.asarray(per_image["ids"]), "classes": np.asarray(per_image["classes"]),
              "counts": np.asarray(per_image["counts"], dtype=np.uint32)}
    if "counts_crf" in per_image:
        arrays["counts_crf"] = np.asarray(per_image["counts_crf"], dtype=np.uint32)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **arrays)


def load_per_image(path) -> dict:
    """``{"ids", "classes", "counts" (N, K, K + 1) int64, ["counts_crf"]}`` of a stored evaluation."""
    with np.load(path) as z:
        out = {"ids": z["ids"].tolist(), "classes": z["classes"].tolist(), "counts": z["counts"].astype(np.int64)}
        if "counts_crf" in z:
            out["counts_crf"] = z["counts_crf"].astype(np.int64)
    return out
