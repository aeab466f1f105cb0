HELP = "train a segmentation network (F: --labels full, B: --labels scribbles, W: --labels pseudo-labels)"


def add_arguments(p):
    from ..presets import PRESETS
    from .common import add_data_arguments, add_set_argument, non_negative_int, out_folder, positive_int

    p.add_argument("--preset", default="cpu-fast", help=f"training preset: {', '.join(PRESETS)}")
    add_data_arguments(p)
    p.add_argument("--labels", default="full",
                   help="full (dense masks), points, or a folder of <id>.png scribbles / pseudo-labels")
    p.add_argument("--soft", action="store_true",
                   help="train on the <id>.npz probabilities of --labels DIR (soft cross-entropy)")
    p.add_argument("--point-radius", type=float, default=0, help="grow each click into a disc (pixels)")
    p.add_argument("--clip", action="store_true", help="move weak labels outside the image onto its border")
    p.add_argument("--out", required=True, type=out_folder, help="run folder (checkpoint.pt, log.jsonl, run.json)")
    p.add_argument("--val-split", default="val", help="split evaluated during and after training ('' for none)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    p.add_argument("--overwrite", action="store_true", help="replace a run of other settings in --out")
    p.add_argument("--seed", type=non_negative_int, default=None, help="random seed (the preset's --set seed=...)")
    p.add_argument("--threads", type=positive_int, default=None, help="torch CPU threads (--set threads=...)")
    add_set_argument(p, "a training setting of TrainConfig, e.g. --set iters=800 --set init=imagenet")


def main(args):
    import json

    from ..options import parse_assignments
    from ..runs import RunSpec, run_training
    from ..presets import preset

    changes = parse_assignments(args.set)
    changes.update({k: getattr(args, k) for k in ("seed", "threads") if getattr(args, k) is not None})
    config = preset(args.preset, **changes)
    config.extra.update({"preset": args.preset})
    spec = RunSpec(config=config, out=args.out, data=str(args.data), split=args.split,
                   val_split=args.val_split or None, classes=args.classes, limit=args.limit, labels=str(args.labels),
                   soft=args.soft, clip=args.clip, point_radius=args.point_radius)
    record = run_training(spec, resume=args.resume, overwrite=args.overwrite)
    if record is None:
        return  # under torchrun only rank 0 reports
    val_text = f", val mIoU {record['val']['miou']:.4f}" if "val" in record else ""
    print(json.dumps({k: record[k] for k in ("steps", "train_seconds", "images_per_s")}) + val_text)
