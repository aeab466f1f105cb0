"""Measurements the report reads beside the chain's own results (``scribblegap measure``):

* ``fusion``: pseudo-label mIoU on train of every fusion mode x local weight, from a chain's stored local and
  global annotator outputs (no CRF), and what a confidence threshold keeps -> ``results/<name>/fusion_variants.json``;
* ``local``: every local annotator from simulated scribbles and from human clicks: mIoU against the dense
  masks, CPU seconds per image on one thread, store size -> ``results/<name>/local_annotators.json``.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from scribblegap.annotators.local import LOCAL_METHODS, method_defaults, predict_local
from scribblegap.annotators.runner import run_local
from scribblegap.core.errors import DataError
from scribblegap.core.io import write_json
from scribblegap.core.layout import Layout, simulated_tag
from scribblegap.core.metrics import ConfusionMatrix, score_folder
from scribblegap.core.provenance import describe
from scribblegap.data.labels import IGNORE
from scribblegap.data.store import load_probs, stored_path
from scribblegap.experiment.configs import PipelineConfig
from scribblegap.experiment.stages import chain_folders, dataset
from scribblegap.pseudolabels.fusion import MODES, fuse
from scribblegap.scribbles import WeakLabels

WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
THRESHOLDS = (0.5, 0.7, 0.9)
TRAIN_AUG_IMAGES = 10_582  # VOC 2012 train_aug: what the store size is projected onto


def fusion_options(config: PipelineConfig, layout: Layout, seed: int | None = None, step: int = 1) -> Path:
    """Score every fusion mode and weight on the main chain of ``seed`` (default: the first)."""
    folders = chain_folders(config, layout, seed)
    for name in ("scribbles", "local", "global"):
        if not folders[name].is_dir():
            raise DataError(folders[name], f"missing: run `scribblegap run --config {config.name}` first")
    ds = dataset(config, "train")
    labels, weak = ds.labels, WeakLabels(folders["scribbles"], clip=True)
    keys = list(ds.ids)[::step]
    # max-confidence picks one annotator per pixel: the weight plays no part in it
    variants = {(mode, w): ConfusionMatrix(labels.num_classes) for mode in MODES
                for w in (WEIGHTS if mode != "max" else (0.5,))}
    kept = {t: [0, 0, 0] for t in THRESHOLDS}  # pixels kept, kept and right, scored pixels
    start = time.perf_counter()
    for key in tqdm(keys, desc="fusion variants", disable=not config.progress):
        local = load_probs(stored_path(folders["local"], key), labels)
        global_ = load_probs(stored_path(folders["global"], key), labels)
        truth, weak_index = labels.to_index(ds.mask(key)), labels.to_index(weak(ds, key))
        for (mode, w), cm in variants.items():
            cm.update(fuse(local, global_, w, mode, weak_index).argmax(0), truth)
        mean = fuse(local, global_, config.fusion_weight, "mean", weak_index)
        scored = truth != IGNORE
        confidence, right = mean.max(0)[scored], (mean.argmax(0) == truth)[scored]
        for t, counts in kept.items():
            counts[0] += int((confidence >= t).sum())
            counts[1] += int((right & (confidence >= t)).sum())
            counts[2] += int(scored.sum())
    out = layout.side_file("fusion_variants")
    write_json(out, {
        "what": "pseudo-label mIoU on train of fuse(local, global, weight, mode), scribbles clamped, no CRF",
        "local": layout.relative(folders["local"]), "global": layout.relative(folders["global"]),
        "images": len(keys), "step": step, "seconds": round(time.perf_counter() - start, 1),
        "miou": {mode: {(f"{w:g}" if mode != "max" else "any"): cm.miou() for (m, w), cm in variants.items()
                        if m == mode} for mode in MODES},
        "threshold": {f"{t:g}": {"kept": k / n, "accuracy_kept": r / max(k, 1)} for t, (k, r, n) in kept.items()},
        "provenance": describe()})
    return out


def _cpu_seconds(ds, weak, method: str, keys) -> dict:
    """Mean process CPU seconds (and wall seconds) of ``predict_local`` per image, one thread, no file I/O:
    CPU time, unlike wall time, is not inflated when other jobs share the cores."""
    torch.set_num_threads(1)
    cpu, wall = [], []
    for key in keys:
        image, labels = ds.image(key), weak(ds, key)
        c0, w0 = time.process_time(), time.perf_counter()
        predict_local(method, image, labels, ds.labels)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return {"cpu": float(np.mean(cpu)), "wall": float(np.mean(wall))}


def local_methods(config: PipelineConfig, layout: Layout, methods=LOCAL_METHODS, step: int = 1,
                  timing_images: int = 20) -> Path:
    """Every local annotator from seed 0's simulated scribbles at the main budget and from the human clicks,
    each image once (resumable: label maps and stores under ``outputs/<name>/local-methods/``)."""
    ds_all = dataset(config, "train")
    scribbles = layout.scribbles(simulated_tag(config.budget, config.seeds[0]))
    if not scribbles.is_dir():
        raise DataError(scribbles, f"missing: run `scribblegap run --config {config.name}` first")
    out = layout.side_file("local_annotators")
    results = json.loads(out.read_text()) if out.is_file() else {}
    sources = {"scribbles": WeakLabels(scribbles), "points": WeakLabels("points", clip=True)}
    timing_keys = ds_all.ids[:: max(1, len(ds_all) // timing_images)][:timing_images]
    results.update({
        "data": config.data, "split": ds_all.split, "classes": list(ds_all.labels.kept_names),
        "metric": "pseudo-label mIoU (%) against the dense train masks, labelled pixels included",
        "weak_labels": {"scribbles": {"source": layout.relative(scribbles)}, "points": {"source": "points.json"}},
        "timing": {"clock": "process CPU seconds of predict_local per image, one thread, one process",
                   "images": len(timing_keys)},
        "store_projection": {"images": TRAIN_AUG_IMAGES}})
    entries = results.setdefault("methods", {})
    ds = ds_all.with_ids(ds_all.ids[::step])
    for method in methods:
        entry = entries.setdefault(method, {})
        if "sec_per_image" not in entry:
            t = _cpu_seconds(ds_all, sources["scribbles"], method, timing_keys)
            entry.update(sec_per_image=round(t["cpu"], 3), sec_per_image_wall=round(t["wall"], 3))
        entry["params"] = json.loads(json.dumps(method_defaults(method), default=float))
        entry["measured_on"] = {"images": len(ds), "step": step}
        for tag, weak in sources.items():
            folder = layout.outputs / "local-methods" / tag / method
            record = run_local(ds, weak, method, folder, workers=1, progress=config.progress)
            score = score_folder(ds, folder)
            entry[f"miou_{tag}"] = round(score["miou"] * 100, 2)
            entry[f"iou_{tag}"] = {k: (None if v is None else round(v * 100, 2)) for k, v in score["iou"].items()}
            entry[f"store_bytes_per_image_{tag}"] = round(record["bytes_per_image"])
            write_json(out, results)
    done = {m: e for m, e in entries.items() if "miou_scribbles" in e and "miou_points" in e}
    if done:
        best = max(done, key=lambda m: done[m]["miou_scribbles"])
        store = max(done[best][f"store_bytes_per_image_{t}"] for t in sources)
        results["best"] = {"method": best, "miou_scribbles": done[best]["miou_scribbles"]}
        results["store_projection"].update({"method": best, "bytes_per_image": store,
                                            "projected_gb": round(store * TRAIN_AUG_IMAGES / 1e9, 3)})
        write_json(out, results)
    return out
