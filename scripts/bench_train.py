"""Training throughput (images/s) of model configurations on this machine: a benchmark, not a test.

    python scripts/bench_train.py --configs mobilenet_v3_small:16:lraspp:128 deeplabv2_resnet101:8:aspp:321 \
        --batch-size 16 --steps 20 --json results/bench_train_cpu.json

Each config is ARCH:OUTPUT_STRIDE:HEAD:CROP. Random inputs; forward, loss, backward, optimizer step.
On CUDA: bf16 autocast and channels_last, as the training engine uses them.
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F

from scribblegap.io import write_json
from scribblegap.models import build_model
from scribblegap.provenance import describe


def bench(arch, os_, head, crop, batch, steps, warmup, device, channels_last=True):
    model = build_model(arch, 21, int(os_), head).to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    x = torch.randn(batch, 3, crop, crop, device=device)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 21, (batch, crop, crop), device=device)
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
    return {"arch": arch, "output_stride": int(os_), "head": head, "crop": crop, "batch": batch,
            "images_per_s": round(batch / median, 2), "median_step_s": round(median, 4),
            "max_memory_gb": round(torch.cuda.max_memory_allocated() / 2**30, 2) if amp else None}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--configs", nargs="+", default=["mobilenet_v3_small:16:lraspp:128"])
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--json", default=None)
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    rows = []
    for spec in args.configs:
        arch, os_, head, crop = spec.split(":")
        row = bench(arch, os_, head, int(crop), args.batch_size, args.steps, args.warmup, device)
        print(json.dumps(row), flush=True)
        rows.append(row)
    if args.json:
        write_json(args.json, {"device": str(device), "threads": torch.get_num_threads(), "results": rows,
                               "provenance": describe()})


if __name__ == "__main__":
    main()
