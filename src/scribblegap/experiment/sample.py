"""A small sample of a chain's pseudo-label layers that ships with the repository (``results/<name>/sample/``),
so the notebooks can show and inspect real pseudo-labels from a fresh clone: for ``n`` training images, the
scribbles, the local and global annotators, the fused and fused + CRF pseudo-labels as label maps (PNG), the
annotators' probabilities as the compact stores (``<id>.npz``, uint8, rounded to steps of ``PROB_STEP``), and
the dense masks. The images themselves stay in the data set (never copied into the repository).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from scribblegap.core.io import read_label_png, write_json, write_label_png
from scribblegap.core.layout import Layout
from scribblegap.core.metrics import image_counts
from scribblegap.core.provenance import git_commit
from scribblegap.data.store import stored_path
from scribblegap.experiment.configs import PipelineConfig
from scribblegap.experiment.results import load_summary
from scribblegap.experiment.stages import chain_folders, dataset

LAYERS = ("scribbles", "local", "global", "fused", "fused_crf")
SAMPLE = "sample"
PROB_STEP = 8   # the sample's probabilities in steps of 8/255 (about 0.03): a third of the bytes of the stores


def quantised_copy(src: Path, dst: Path, step: int = PROB_STEP) -> None:
    """A probability store (``data.store``: uint8, probability x 255) rounded to multiples of ``step``; the
    channels that round to zero everywhere are dropped (they were below step / 2 / 255 at every pixel)."""
    with np.load(src) as z:
        classes, probs = z["classes"], z["probs"]
    rounded = np.minimum((probs.astype(np.int32) + step // 2) // step * step, 255).astype(np.uint8)
    used = rounded.reshape(len(rounded), -1).max(axis=1) > 0
    with open(dst, "wb") as f:
        np.savez_compressed(f, classes=classes[used], probs=rounded[used])


def pick_ids(config: PipelineConfig, folders: dict, n: int) -> list[str]:
    """``n`` training images where the layers disagree most (a sample where every layer scores alike shows
    nothing): by the spread of the local, global and fused + CRF pixel accuracy against the mask."""
    ds = dataset(config, "train")
    spread = []
    for key in ds.ids:
        target = ds.labels.to_index(ds.mask(key))
        accuracy = []
        for layer in ("local", "global", "fused_crf"):
            from_png = ds.labels.to_index(read_label_png(folders[layer] / f"{key}.png"))
            counts = image_counts(from_png, target, ds.labels.num_classes)
            accuracy.append(np.trace(counts[:, :-1]) / max(counts.sum(), 1))
        spread.append((np.ptp(accuracy), key))
    return sorted(key for _, key in sorted(spread, reverse=True)[:n])


def write_sample(config: PipelineConfig, layout: Layout, n: int = 32, seed: int | None = None) -> Path:
    """Copy ``n`` images' layers of the main chain of ``seed`` (default: the first) into ``results/<name>/sample``."""
    folders = chain_folders(config, layout, seed)
    ds = dataset(config, "train")
    out = layout.results / SAMPLE
    ids = pick_ids(config, folders, n)
    tmp = out.with_name(f".{SAMPLE}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    for layer in LAYERS:
        (tmp / layer).mkdir(parents=True)
        for key in ids:
            shutil.copy2(folders[layer] / f"{key}.png", tmp / layer / f"{key}.png")
            if layer != "scribbles":
                quantised_copy(stored_path(folders[layer], key), stored_path(tmp / layer, key))
    (tmp / "mask").mkdir()
    for key in ids:
        write_label_png(tmp / "mask" / f"{key}.png", ds.mask(key), ds.palette)
    write_json(tmp / "sample.json", {"config": config.name, "seed": seed if seed is not None else config.seeds[0],
                                     "ids": ids, "classes": list(ds.labels.kept_names),
                                     "made_from": {k: layout.relative(v) for k, v in folders.items()},
                                     "commit": git_commit()})
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


def read_sample(results_dir) -> dict:
    """``{"ids", "classes", "seed", "config", "folders": {layer: Path}}`` of a shipped sample; each layer folder
    holds ``<id>.png`` label maps (data set class ids, 255 unlabelled) and, for the annotators, ``<id>.npz``."""
    folder = Path(results_dir) / SAMPLE
    meta = load_summary(folder / "sample.json")
    return {**meta, "folders": {layer: folder / layer for layer in (*LAYERS, "mask")}}
