HELP = "train a segmentation network (F: --labels full, B: --labels scribbles, W: --labels pseudo-labels)"


def add_arguments(p):
    from .common import add_data_arguments

    p.add_argument("--preset", default="cpu-fast", help="cpu-fast, cpu-long or voc12-r101")
    add_data_arguments(p)
    p.add_argument("--labels", default="full",
                   help="full (dense masks), points, or a folder of <id>.png scribbles / pseudo-labels")
    p.add_argument("--soft", action="store_true",
                   help="train on the <id>.npz probabilities of --labels DIR (soft cross-entropy)")
    p.add_argument("--point-radius", type=float, default=0, help="grow each click into a disc (pixels)")
    p.add_argument("--clip", action="store_true", help="move weak labels outside the image onto its border")
    p.add_argument("--out", required=True, help="run folder (checkpoint.pt, log.jsonl, summary.json)")
    p.add_argument("--val-split", default="val", help="split evaluated during and after training ('' for none)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    for name, typ in [("iters", int), ("batch-size", int), ("lr", float), ("seed", int), ("eval-every", int),
                      ("threads", int), ("workers", int), ("checkpoint-every", int), ("init", str), ("crop-size", int), ("base-size", int),
                      ("output-stride", int), ("low-stride", int), ("arch", str), ("head", str), ("loss", str),
                      ("rloss-weight", float)]:
        p.add_argument(f"--{name}", type=typ, default=None, help="override the preset")


def main(args):
    import json
    import time
    from pathlib import Path

    from ..io import write_json
    from ..provenance import describe
    from ..scribbles import WeakLabels
    from ..train import preset, train
    from ..trainset import TrainingSamples
    from .common import open_data

    overrides = {k: getattr(args, k) for k in ("iters", "batch_size", "lr", "seed", "eval_every", "threads",
                                               "workers", "checkpoint_every", "init", "crop_size", "base_size", "output_stride", "low_stride",
                                               "arch", "head", "loss", "rloss_weight")}
    if args.soft:
        overrides["loss"] = "soft"
    config = preset(args.preset, **overrides)
    config.extra.update({"preset": args.preset, "data": str(args.data), "labels": str(args.labels),
                         "soft": args.soft, "classes": args.classes, "limit": args.limit})
    data = open_data(args)
    if args.soft:
        samples = TrainingSamples(data, soft_dir=args.labels, base_size=config.base_size,
                                  crop=config.crop_size, scale_range=config.scale_range)
    else:
        samples = TrainingSamples(data, WeakLabels(args.labels, point_radius=args.point_radius, clip=args.clip),
                                  base_size=config.base_size, crop=config.crop_size, scale_range=config.scale_range)
    if samples.cache:
        samples.preload()
    val = open_data(args, args.val_split) if args.val_split else None
    start = time.time()
    summary = train(config, samples, args.out, val_data=val, resume=args.resume)
    from ..train import distributed

    if distributed()[0] != 0:
        return  # under torchrun only rank 0 reports
    summary.update({"wall_seconds": round(time.time() - start, 1), "config": config.to_dict(),
                    "provenance": describe(), "labelled_fraction": round(samples.labelled_fraction(), 5)})
    if summary["steps"] >= config.iters:
        write_json(Path(args.out) / "summary.json", summary)
    val_text = f", val mIoU {summary['val']['miou']:.4f}" if "val" in summary else ""
    print(json.dumps({k: summary[k] for k in ("steps", "train_seconds", "images_per_s")}) + val_text)
