HELP = "fit a local annotator model on each image's weak labels; write label maps and compact probabilities"


def add_arguments(p):
    from .common import add_data_arguments, out_folder, positive_int

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
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="method parameter (repeatable); values are read as JSON when they parse, "
                        "else as strings")
    p.add_argument("--clip", action="store_true",
                   help="move clicks / scribble points outside their image onto its border instead of "
                        "stopping (points.json of VOC12-mini has 14 such train clicks)")
    p.add_argument("--score", action="store_true", help="score the label maps against the dense masks")


def parse_params(items) -> dict:
    import json

    from ..errors import ConfigError

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--param must look like key=value, got {item!r}")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def main(args):
    from ..annotators.runner import run_local
    from ..parallel import default_workers, shard
    from ..scribbles import WeakLabels
    from .common import open_data

    ds = open_data(args)
    params = parse_params(args.param)
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
