HELP = "fit a local annotator model on each image's weak labels; write label maps and compact probabilities"


def add_arguments(p):
    from .common import add_data_arguments, add_set_argument, out_folder, positive_int

    add_data_arguments(p)
    p.add_argument("--labels", required=True,
                   help="weak labels: 'points' (the data set's points.json), a points .json, a folder of "
                        "<id>.png / <id>.xml scribbles, or 'full'")
    p.add_argument("--method", required=True,
                   help="gmm, gmm-crf, crf, random-walker, superpixels, pixel-classifier, pixel-classifier-crf")
    p.add_argument("--out", required=True, type=out_folder,
                   help="output folder for <id>.png, <id>.npz and run.json")
    p.add_argument("--overwrite", action="store_true", help="replace a run of other settings in --out")
    p.add_argument("--workers", type=positive_int, default=None, help="processes (default: all cores)")
    p.add_argument("--shard", default=None, help="K/N: process every N-th image starting at the K-th")
    add_set_argument(p, "a parameter of the method, e.g. --set beta=130 (an unknown name lists the method's)")
    p.add_argument("--clip", action="store_true",
                   help="move clicks / scribble points outside their image onto its border instead of "
                        "stopping (points.json of VOC12-mini has 14 such train clicks)")
    p.add_argument("--score", action="store_true", help="score the label maps against the dense masks")


def main(args):
    from ..annotators.local import method_defaults
    from ..annotators.runner import run_local
    from ..options import parse_assignments, typed_values
    from ..parallel import default_workers, shard
    from ..scribbles import WeakLabels
    from .common import open_data

    ds = open_data(args)
    params = typed_values(method_defaults(args.method), parse_assignments(args.set), f"parameter of {args.method}")
    workers = args.workers or default_workers()
    rec = run_local(ds, WeakLabels(args.labels, clip=args.clip), args.method, args.out, workers=workers,
                    shard=args.shard, overwrite=args.overwrite, **params)
    c = rec["counts"]
    sec = rec["seconds_per_image"]
    size = rec["bytes_per_image"]
    print(f"{args.method}: {c['images']} images ({c['computed']} computed, {c['skipped']} already done, "
          f"{c['no_labels']} without labels) -> {args.out}")
    if sec is not None:
        print(f"model time {sec:.3f} s/image/process, store {size / 1024:.1f} KiB/image")
    if args.score:
        from ..evaluate import score_folder

        res = score_folder(ds, args.out, keys=shard(list(ds.ids), args.shard))
        print(f"mIoU {res['miou'] * 100:.2f}% against the dense masks")
