"""Measure the fusion options on VOC12-mini train: pseudo-label mIoU of every mode x local weight, and what a
confidence threshold keeps, from the stored local and global annotator outputs of the main chain.

    python scripts/measure_fusion.py                     # all 1200 train images (272 s in one process)
    python scripts/measure_fusion.py --step 10           # every 10th image (a quick look)

Inputs are the outputs of ``python -m scribblegap run --config voc12-mini`` (local annotator and global
annotator B_s0 at the default budget; ``--config voc12-mini-scratch`` for the networks from scratch); no CRF here (the CRF's gain is in ``summary.json`` under
``pseudo_labels``). Writes ``results/<config>/fusion_variants.json``; ``scribblegap report`` shows it.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from tqdm import tqdm

from scribblegap.data.labels import IGNORE
from scribblegap.pseudolabels.fusion import MODES, fuse
from scribblegap.core.io import write_json
from scribblegap.core.metrics import ConfusionMatrix
from scribblegap.experiment.configs import load_config
from scribblegap.pipeline import Pipeline, chain_folders
from scribblegap.core.provenance import describe
from scribblegap.scribbles import WeakLabels
from scribblegap.core.settings import REPO_ROOT
from scribblegap.data.store import load_probs, stored_path

WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
THRESHOLDS = (0.5, 0.7, 0.9)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default="voc12-mini", help="pipeline config whose chain outputs are read")
    p.add_argument("--seed", type=int, default=0, help="which B run is the global annotator")
    p.add_argument("--step", type=int, default=1, help="score every STEP-th train image")
    p.add_argument("--out", default=None, help="default: results/<name>/fusion_variants.json")
    args = p.parse_args()

    pipe = Pipeline(load_config(args.config), REPO_ROOT, log=lambda *a: None)
    folders = chain_folders(pipe)
    if args.seed != pipe.config.seeds[0]:
        folders["global"] = pipe.layout.global_(pipe.main_tag, pipe.layout.run("B", args.seed))
    for name in ("scribbles", "local", "global"):
        if not folders[name].is_dir():
            raise SystemExit(f"{folders[name]} is missing: run `python -m scribblegap run --config {args.config}` first")
    ds = pipe.dataset("train")
    labels, weak = ds.labels, WeakLabels(folders["scribbles"], clip=True)
    keys = list(ds.ids)[:: args.step]
    # max-confidence picks one annotator per pixel: the weight plays no part in it
    variants = {(mode, w): ConfusionMatrix(labels.num_classes) for mode in MODES
                for w in (WEIGHTS if mode != "max" else (0.5,))}
    kept = {t: [0, 0, 0] for t in THRESHOLDS}  # pixels kept, kept and right, scored pixels
    start = time.perf_counter()
    for key in tqdm(keys, desc="fusion variants"):
        local = load_probs(stored_path(folders["local"], key), labels)
        global_ = load_probs(stored_path(folders["global"], key), labels)
        truth = labels.to_index(ds.mask(key))
        weak_index = labels.to_index(weak(ds, key))
        for (mode, w), cm in variants.items():
            cm.update(fuse(local, global_, w, mode, weak_index).argmax(0), truth)
        mean = fuse(local, global_, pipe.config.fusion_weight, "mean", weak_index)
        scored = truth != IGNORE
        confidence, right = mean.max(0)[scored], (mean.argmax(0) == truth)[scored]
        for t, counts in kept.items():
            counts[0] += int((confidence >= t).sum())
            counts[1] += int((right & (confidence >= t)).sum())
            counts[2] += int(scored.sum())
    out = Path(args.out) if args.out else pipe.layout.side_file("fusion_variants")
    write_json(out, {
        "what": "pseudo-label mIoU on train of fuse(local, global, weight, mode), scribbles clamped, no CRF",
        "local": pipe.layout.relative(folders["local"]), "global": pipe.layout.relative(folders["global"]),
        "images": len(keys), "step": args.step, "seconds": round(time.perf_counter() - start, 1),
        "miou": {mode: {(f"{w:g}" if mode != "max" else "any"): cm.miou() for (m, w), cm in variants.items()
                        if m == mode} for mode in MODES},
        "threshold": {f"{t:g}": {"kept": k / n, "accuracy_kept": r / max(k, 1)} for t, (k, r, n) in kept.items()},
        "provenance": describe()})
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
