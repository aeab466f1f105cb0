"""Benchmark: a data set of one's own, end to end. Builds a VOC-layout folder with its own ``classes.txt``
of 11 classes (background and VOC12-mini's ten most frequent object classes, the others void) from about
200 VOC12-mini images at their own sizes, runs the whole chain on it with one command, and records the
wall time (``results/<name>/own_data_bench.json``; the chain's own results beside it).

    python scripts/bench_own_data.py                       # 150 train + 50 val images, 11 classes
    python scripts/bench_own_data.py --train 40 --val 10   # a quicker look

The folder is built in a temporary directory (VOC images never enter the repository).
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from scribblegap.core.io import write_json, write_label_png
from scribblegap.core.provenance import git_commit
from scribblegap.core.settings import REPO_ROOT, voc12_mini_dir
from scribblegap.data.labels import VOC_CLASSES


def read_ids(voc: Path, split: str) -> list[str]:
    return (voc / "ImageSets" / "Segmentation" / f"{split}.txt").read_text().split()


def read_mask(voc: Path, image_id: str) -> np.ndarray:
    return np.asarray(Image.open(voc / "SegmentationClassAug" / f"{image_id}.png"))


def build_folder(voc: Path, root: Path, n_train: int, n_val: int, n_objects: int) -> list[str]:
    """The folder at ``root``; returns its class names (id order)."""
    train_ids, val_ids = read_ids(voc, "train"), read_ids(voc, "val")
    images_with = np.zeros(256, dtype=np.int64)  # train images that hold each VOC id
    masks = {i: read_mask(voc, i) for i in train_ids + val_ids}
    for i in train_ids:
        images_with[np.unique(masks[i])] += 1
    objects = [c for c in np.argsort(-images_with[1:21], kind="stable") + 1][:n_objects]
    kept = [0] + sorted(int(c) for c in objects)
    remap = np.full(256, 255, dtype=np.uint8)
    remap[kept] = np.arange(len(kept), dtype=np.uint8)
    for sub in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for split, ids, n in (("train", train_ids, n_train), ("val", val_ids, n_val)):
        # the images of the rarer kept classes first, so that every class is present
        rarity = {i: min((images_with[c] for c in np.unique(masks[i]) if c in objects), default=10 ** 9)
                  for i in ids}
        chosen = sorted(sorted(ids, key=lambda i: (rarity[i], i))[:n])
        for i in chosen:
            shutil.copyfile(voc / "JPEGImages" / f"{i}.jpg", root / "JPEGImages" / f"{i}.jpg")
            write_label_png(root / "SegmentationClass" / f"{i}.png", remap[masks[i]])
        (root / "ImageSets" / "Segmentation" / f"{split}.txt").write_text("\n".join(chosen) + "\n")
    names = [VOC_CLASSES[c] for c in kept]
    (root / "classes.txt").write_text("# 11 classes of VOC12-mini, ids renumbered; the others are void\n"
                                      + "\n".join(names) + "\nbackground: background\n")
    return names


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--train", type=int, default=150)
    p.add_argument("--val", type=int, default=50)
    p.add_argument("--objects", type=int, default=10, help="object classes kept beside the background")
    p.add_argument("--name", default="own-data-voc11", help="results/<name>/ of the chain and the benchmark")
    p.add_argument("--config", default="example-own-data", help="the config the chain runs with --set data=PATH")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="scribblegap-own-data-") as tmp:
        root = Path(tmp) / "own-data"
        names = build_folder(voc12_mini_dir(), root, args.train, args.val, args.objects)
        command = [sys.executable, "-m", "scribblegap", "run", "--config", args.config, "--no-progress",
                   "--set", f"data={root}", "--set", f"name={args.name}"]
        print(f"{len(names)} classes ({', '.join(names)}), {args.train} + {args.val} images: {' '.join(command[1:])}")
        start = time.perf_counter()
        rc = subprocess.call(command, cwd=REPO_ROOT)
        wall = time.perf_counter() - start
    if rc != 0:
        print(f"the chain failed (exit {rc})", file=sys.stderr)
        return rc
    record = {"classes": names, "images": {"train": args.train, "val": args.val}, "config": args.config,
              "command": "scribblegap " + " ".join(command[3:]).replace(str(root), "PATH"),
              "wall_seconds": round(wall, 1), "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cpus",
              "commit": git_commit()}
    write_json(REPO_ROOT / "results" / args.name / "own_data_bench.json", record)
    print(f"whole chain on {len(names)} classes: {wall:.0f} s ({wall / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
