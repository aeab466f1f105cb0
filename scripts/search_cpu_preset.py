"""Which CPU schedule for the pretrained trunk? F (full masks) on VOC12-mini for candidate changes of a
starting point (an ImageNet-initialised EfficientNet-Lite0 at 320-px images, 600 steps of batch 8): val mIoU,
its curve over training, and the training time on one thread. The ``cpu-pretrained`` preset is the winner.

    python scripts/search_cpu_preset.py                        # every candidate, seed 0
    python scripts/search_cpu_preset.py --candidates frozen-bn --seeds 1 2

Runs go to ``runs/preset-search/<candidate>_s<seed>`` (resumable), results to
``results/voc12-mini/preset_search.json``; two runs train side by side with one thread each.
"""
import argparse
import json
from dataclasses import replace
from pathlib import Path

from scribblegap.io import write_json
from scribblegap.runs import RunSpec, train_runs
from scribblegap.settings import REPO_ROOT
from scribblegap.options import Preset

from scribblegap.train import TrainConfig

BASE = Preset("the starting point of the search", arch="efficientnet_lite0", init="imagenet", base_size=320,
              crop_size=224, iters=600, batch_size=8, lr=2e-4, warmup_iters=30, eval_every=100)
CANDIDATES = {
    "base": {},
    "frozen-bn": {"freeze_bn": True},
    "frozen-bn-lr4e-4": {"freeze_bn": True, "lr": 4e-4},
    "frozen-bn-400": {"freeze_bn": True, "iters": 400},
    "frozen-bn-crop192": {"freeze_bn": True, "base_size": 256, "crop_size": 192, "batch_size": 12},
    "frozen-bn-low4": {"freeze_bn": True, "low_stride": 4},
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", nargs="+", default=list(CANDIDATES), choices=list(CANDIDATES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--json", default=str(REPO_ROOT / "results" / "voc12-mini" / "preset_search.json"))
    args = parser.parse_args()

    specs = {}
    for name in args.candidates:
        config = BASE.build(TrainConfig, "training setting", **CANDIDATES[name]).check()
        for seed in args.seeds:
            out = REPO_ROOT / "runs" / "preset-search" / f"{name}_s{seed}"
            specs[str(out)] = (name, RunSpec(config=replace(config, seed=seed), out=str(out), data="voc12-mini",
                                             classes="voc12-mini", labels="full"))
    path = Path(args.json)

    def record(spec, rec):
        name = specs[spec.out][0]
        results = json.loads(path.read_text()) if path.is_file() else {"runs": {}}
        results["base"] = BASE.changes
        results["runs"][f"{name}_s{spec.config.seed}"] = {
            "candidate": name, "changes": CANDIDATES[name], "seed": spec.config.seed, "val_miou": rec["val"]["miou"],
            "train_seconds": rec["train_seconds"], "images_per_s": rec["images_per_s"],
            "curve": [(e["step"], round(e["train_seconds"]), e["val_miou"]) for e in rec["curve"]],
            "commit": rec["provenance"]["commit"], "machine": rec["provenance"]["machine"]}
        write_json(path, results)
        print(f"{name} seed {spec.config.seed}: F val mIoU {100 * rec['val']['miou']:.1f}% after "
              f"{rec['train_seconds'] / 60:.1f} min of training", flush=True)

    train_runs([s for _, s in specs.values()], parallel=args.parallel, on_done=record)


if __name__ == "__main__":
    main()
