"""Benchmark the scribble simulator on VOC12-mini and write ``results/voc12-mini/simulator.json``.

What it measures:

* throughput at the default budget on ONE core: images per CPU-second of this single process (the
  machine may be shared, so wall-clock rates are recorded beside it with the load average);
* the achieved mean labelled fraction for each budget (0.5%, 1%, 3%, 10%) on train and val, with the
  pixels that disagree with the mask and the share of objects larger than 1% of the image touched;
* simulated scribbles vs real human clicks (``points.json``): normalised boundary-distance
  distributions with a two-sample KS test, and per-class coverage.

    OMP_NUM_THREADS=1 python scripts/bench_simulator.py            # full run (~15 min on one core)
    python scripts/bench_simulator.py --limit 20 --out outputs/bench-smoke.json  # smoke run
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core: set before numpy / scipy load

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
NORM_BINS = np.linspace(0.0, 1.0, 21)


def throughput(ds, n: int, seed: int) -> dict:
    """Images per CPU-second at the default budget: simulation alone, and read mask + simulate + PNG."""
    import io as _io

    from PIL import Image

    from scribblegap.scribbles.simulate import DEFAULT_BUDGET, simulate_scribbles

    ids = ds.ids[:n]
    masks = [ds.mask(k) for k in ids]
    simulate_scribbles(masks[0], ds.labels, key=ids[0])  # warm up (imports, caches)
    cpu, wall = time.process_time(), time.perf_counter()
    for key, mask in zip(ids, masks):
        simulate_scribbles(mask, ds.labels, DEFAULT_BUDGET, seed=seed, key=key)
    sim_cpu, sim_wall = time.process_time() - cpu, time.perf_counter() - wall
    cpu, wall = time.process_time(), time.perf_counter()
    for key in ids:
        out, _ = simulate_scribbles(ds.mask(key), ds.labels, DEFAULT_BUDGET, seed=seed, key=key)
        im = Image.fromarray(out)
        im.putpalette(ds.palette.ravel().tolist())
        im.save(_io.BytesIO(), format="PNG")
    e2e_cpu, e2e_wall = time.process_time() - cpu, time.perf_counter() - wall
    h, w = masks[0].shape
    return {
        "images": len(ids), "budget": DEFAULT_BUDGET,
        "mean_image_pixels": float(np.mean([m.size for m in masks])),
        "simulate_images_per_cpu_second": len(ids) / sim_cpu,
        "simulate_images_per_wall_second": len(ids) / sim_wall,
        "read_simulate_write_images_per_cpu_second": len(ids) / e2e_cpu,
        "read_simulate_write_images_per_wall_second": len(ids) / e2e_wall,
        "target_images_per_second_per_core": 20.0,
        "met": len(ids) / sim_cpu >= 20.0,
    }


def budget_row(ds, split: str, budget: float, folder: Path, seed: int) -> dict:
    from scribblegap.scribbles.simulate import simulate_dataset

    t = time.perf_counter()
    stats = simulate_dataset(ds, folder, budget=budget, seed=seed, workers=1, progress=True)
    s = stats["statistics"]
    achieved = stats["budget"]["achieved_mean"]
    dis = s["disagreement"]
    return {
        "split": split, "target": budget, "achieved": achieved,
        "relative_error": (achieved - budget) / budget,
        "within_10_percent": abs(achieved - budget) <= 0.1 * budget,
        "effective_width": stats["parameters"]["effective_width"],
        "images": stats["images"],
        "images_under_budget_by_10pct": stats["budget"]["images_under_budget_by_10pct"],
        "images_over_budget_by_10pct": stats["budget"]["images_over_budget_by_10pct"],
        "disagreeing_pixels": dis["pixels_on_other_class"] + dis["pixels_on_void"],
        "objects_larger_than_1pct_touched": s["objects_touched"]["larger_than_1_percent"],
        "untouched": stats["untouched"],
        "scribbles_per_image": s["scribbles"]["per_image_mean"],
        "scribble_length_px_median": s["scribbles"]["length_px_median"],
        "seconds": time.perf_counter() - t,
        "folder": os.path.relpath(folder),  # relative: results files travel with the repository
    }


def human_comparison(ds, sim_folder: Path, samples_per_image: int) -> dict:
    """Human clicks vs simulated scribbles at the default budget, on one split."""
    from scribblegap.scribbles import WeakLabels
    from scribblegap.scribbles.statistics import dataset_statistics, ks_test

    human, h_total = dataset_statistics(ds, WeakLabels("points", clip=True), samples=10 ** 6,
                                        desc=f"human clicks {ds.split}")
    sim, s_total = dataset_statistics(ds, WeakLabels(sim_folder), samples=samples_per_image,
                                      desc=f"simulated {ds.split}")
    out = {"distance": {}, "coverage": {}}
    for group in ("background", "objects"):
        a, b = np.asarray(h_total[f"samples_{group}"]), np.asarray(s_total[f"samples_{group}"])
        out["distance"][group] = {
            "ks": ks_test(a, b),
            "human_median": float(np.median(a)) if len(a) else None,
            "simulated_median": float(np.median(b)) if len(b) else None,
            "human_quartiles": np.percentile(a, [25, 75]).tolist() if len(a) else None,
            "simulated_quartiles": np.percentile(b, [25, 75]).tolist() if len(b) else None,
            "bins": NORM_BINS.tolist(),
            "human_hist": np.histogram(np.clip(a, 0, 1), NORM_BINS)[0].tolist(),
            "simulated_hist": np.histogram(np.clip(b, 0, 1), NORM_BINS)[0].tolist(),
        }
    for name, summary in (("human", human), ("simulated", sim)):
        out["coverage"][name] = {
            cls: {"objects_touched_fraction": v["objects_touched_fraction"],
                  "large_objects_touched_fraction": v["large_objects_touched_fraction"],
                  "images_labelled_fraction": (v["images_with_class_labelled"] / v["images_with_class"]
                                               if v["images_with_class"] else None),
                  "labelled_fraction_of_class_pixels": v["labelled_fraction_of_class_pixels"]}
            for cls, v in summary["per_class"].items()}
        out["coverage"][name]["_all"] = {
            "objects_larger_than_1pct_touched": summary["objects_touched"]["larger_than_1_percent"],
            "labelled_fraction": summary["labelled_fraction"]["mean_per_image"],
            "scribbles_per_image": summary["scribbles"]["per_image_mean"],
            "disagreement_fraction": summary["disagreement"]["fraction_of_labelled"],
        }
    out["samples_per_image_simulated"] = samples_per_image
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="voc12-mini")
    p.add_argument("--splits", default="train,val")
    p.add_argument("--budgets", default="0.005,0.01,0.03,0.1")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int, default=None, help="images per split (smoke runs)")
    p.add_argument("--throughput-images", type=int, default=300)
    p.add_argument("--samples", type=int, default=50, help="simulated distance samples per image for KS")
    p.add_argument("--work", default=str(REPO / "outputs" / "voc12-mini" / "bench-simulator"),
                   help="folder for the simulated PNGs (resumable)")
    p.add_argument("--out", default=str(REPO / "results" / "voc12-mini" / "simulator.json"))
    args = p.parse_args(argv)

    import scipy
    import skimage

    from scribblegap.data import load_dataset
    from scribblegap.core.io import write_json
    from scribblegap.scribbles.simulate import DEFAULT_BUDGET, SIMULATOR_VERSION, SimulatorOptions

    budgets = [float(b) for b in args.budgets.split(",")]
    splits = args.splits.split(",")
    started = time.time()
    result = {
        "command": " ".join([Path(sys.argv[0]).name] + (argv if argv is not None else sys.argv[1:])),
        "environment": {"python": platform.python_version(), "numpy": np.__version__,
                        "scipy": scipy.__version__, "scikit-image": skimage.__version__,
                        "cpu": platform.processor() or platform.machine(),
                        "cores_visible": len(os.sched_getaffinity(0)),
                        "load_average_at_start": os.getloadavg(),
                        "omp_num_threads": os.environ.get("OMP_NUM_THREADS")},
        "simulator": {"version": SIMULATOR_VERSION, "default_budget": DEFAULT_BUDGET,
                      "options": SimulatorOptions().__dict__},
        "data": args.data, "seed": args.seed, "limit": args.limit,
    }
    work = Path(args.work)
    train = load_dataset(args.data, "train", limit=args.limit)
    result["throughput"] = throughput(train, min(args.throughput_images, len(train)), args.seed)
    print(f"throughput: {result['throughput']['simulate_images_per_cpu_second']:.1f} images per CPU-second",
          flush=True)

    rows = []
    for split in splits:
        ds = load_dataset(args.data, split, limit=args.limit)
        for budget in budgets:
            folder = work / split / f"budget-{budget:g}" if args.limit is None else \
                work / f"limit-{args.limit}" / split / f"budget-{budget:g}"
            rows.append(budget_row(ds, split, budget, folder, args.seed))
            r = rows[-1]
            print(f"{split} budget {budget:g}: achieved {r['achieved']:.5f} ({100 * r['relative_error']:+.1f}%), "
                  f"disagreeing pixels {r['disagreeing_pixels']}, objects > 1% touched "
                  f"{r['objects_larger_than_1pct_touched']['objects']:.4f}", flush=True)
    result["budgets"] = rows

    comparison = {}
    for split in splits:
        ds = load_dataset(args.data, split, limit=args.limit)
        default_row = next(r for r in rows if r["split"] == split and r["target"] == DEFAULT_BUDGET)
        comparison[split] = human_comparison(ds, Path(default_row["folder"]), args.samples)
    result["human_comparison"] = comparison

    default_rows = [r for r in rows if r["target"] == DEFAULT_BUDGET]
    result["done_when"] = {
        "all_budgets_within_10_percent": all(r["within_10_percent"] for r in rows),
        "disagreeing_pixels": int(sum(r["disagreeing_pixels"] for r in rows)),
        "objects_larger_than_1pct_touched_at_default": {
            r["split"]: r["objects_larger_than_1pct_touched"]["objects"] for r in default_rows},
        "throughput_images_per_cpu_second": result["throughput"]["simulate_images_per_cpu_second"],
        "throughput_target_met": result["throughput"]["met"],
    }
    result["seconds"] = time.time() - started
    write_json(args.out, result)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
