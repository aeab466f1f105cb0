"""Training throughput (images/s) of model configurations on this machine: a benchmark, not a test.

    python scripts/bench_train.py --configs mobilenet_v3_small:16:lraspp:128 deeplabv2_resnet101:8:aspp:321 \
        --batch-size 16 --steps 20 --json results/bench_train_cpu.json
    python scripts/bench_train.py --presets cpu-pretrained --threads 1 2 --side-by-side 2 \
        --json results/bench_train_cpu_pretrained.json

Each config is ARCH:OUTPUT_STRIDE:HEAD:CROP (random weights). A preset is benchmarked as it trains: its
model (ImageNet weights, frozen batch norm, ...), crop and batch size. ``--threads``: torch threads of one
run alone; ``--side-by-side N``: N runs at once with one thread each, as the pipeline trains them on a
2-core machine (the images/s of each run is reported). Random inputs; forward, loss, backward, optimizer
step. On CUDA: bf16 autocast and channels_last, as the training engine uses them.
"""
import argparse
import json
import multiprocessing as mp
import time

import torch
import torch.nn.functional as F

from scribblegap.core.io import write_json
from scribblegap.network.models import build_model
from scribblegap.core.provenance import describe


def bench(model, crop, batch, steps, warmup, device, channels_last=True):
    model = model.to(device).train()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=1e-4, momentum=0.9)
    x = torch.randn(batch, 3, crop, crop, device=device)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 7, (batch, crop, crop), device=device)
    amp = device.type == "cuda"
    times = []
    for i in range(warmup + steps):
        if device.type == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            out = model(x)
        out = F.interpolate(out.float(), size=(crop, crop), mode="bilinear", align_corners=False)
        loss = F.cross_entropy(out, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        if i >= warmup:
            times.append(time.perf_counter() - t)
    times.sort()
    median = times[len(times) // 2]
    return {"images_per_s": round(batch / median, 2), "median_step_s": round(median, 4),
            "max_memory_gb": round(torch.cuda.max_memory_allocated() / 2**30, 2) if amp else None}


def bench_preset(name: str, threads: int, steps: int, warmup: int) -> dict:
    from scribblegap.network.presets import preset
    from scribblegap.network.checkpoint import make_model

    torch.set_num_threads(threads)
    cfg = preset(name)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    row = bench(make_model(cfg, 7), cfg.crop_size, cfg.batch_size, steps, warmup, device, cfg.channels_last)
    return {"label": f"preset {name}", "arch": cfg.arch, "output_stride": cfg.output_stride, "head": cfg.head,
            "crop": cfg.crop_size, "batch": cfg.batch_size, "threads": threads, **row}


def _side_by_side(args):
    return bench_preset(*args)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--configs", nargs="*", default=[])
    p.add_argument("--presets", nargs="*", default=[], help="training presets, benchmarked as they train")
    p.add_argument("--threads", nargs="+", type=int, default=[torch.get_num_threads()],
                   help="torch threads of a single run (presets)")
    p.add_argument("--side-by-side", type=int, default=0, help="also N preset runs at once, one thread each")
    p.add_argument("--batch-size", type=int, default=16, help="batch of --configs (presets use their own)")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--json", default=None)
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    rows = []
    for spec in args.configs or ([] if args.presets else ["mobilenet_v3_small:16:lraspp:128"]):
        arch, os_, head, crop = spec.split(":")
        row = {"arch": arch, "output_stride": int(os_), "head": head, "crop": int(crop), "batch": args.batch_size,
               **bench(build_model(arch, 21, int(os_), head), int(crop), args.batch_size, args.steps, args.warmup,
                       device)}
        print(json.dumps(row), flush=True)
        rows.append(row)
    for name in args.presets:
        for threads in args.threads:
            rows.append(bench_preset(name, threads, args.steps, args.warmup))
            print(json.dumps(rows[-1]), flush=True)
        if args.side_by_side > 1:
            with mp.get_context("spawn").Pool(args.side_by_side) as pool:
                together = pool.map(_side_by_side, [(name, 1, args.steps, args.warmup)] * args.side_by_side)
            for i, row in enumerate(together):
                row["label"] = f"preset {name}, run {i + 1} of {args.side_by_side} side by side"
                rows.append(row)
                print(json.dumps(row), flush=True)
    if args.json:
        write_json(args.json, {"device": str(device), "threads": torch.get_num_threads(), "results": rows,
                               "provenance": describe()})


if __name__ == "__main__":
    main()
