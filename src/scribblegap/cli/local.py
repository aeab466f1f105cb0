from scribblegap.annotators.local import method_defaults
from scribblegap.annotators.runner import run_local
from scribblegap.cli.common import data_inputs, open_data, path_input
from scribblegap.core.folders import check_not_input
from scribblegap.core.metrics import score_folder
from scribblegap.core.options import typed_values
from scribblegap.core.parallel import default_workers, shard
from scribblegap.scribbles import WeakLabels


def main(args):
    ds = open_data(args)
    check_not_input(args.out, {**data_inputs(ds), **path_input("weak labels", args.labels)})
    params = typed_values(method_defaults(args.method), args.settings, f"parameter of {args.method}")
    rec = run_local(ds, WeakLabels(args.labels, clip=args.clip), args.method, args.out,
                    workers=args.workers or default_workers(), shard=args.shard, overwrite=args.overwrite, **params)
    c, sec, size = rec["counts"], rec["seconds_per_image"], rec["bytes_per_image"]
    print(f"{args.method}: {c['images']} images ({c['computed']} computed, {c['skipped']} already done, "
          f"{c['no_labels']} without labels) -> {args.out}")
    if sec is not None:
        print(f"model time {sec:.3f} s/image/process, store {size / 1024:.1f} KiB/image")
    if args.score:
        res = score_folder(ds, args.out, keys=shard(list(ds.ids), args.shard))
        print(f"mIoU {res['miou'] * 100:.2f}% against the dense masks")
