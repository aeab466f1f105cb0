from scribblegap.cli.common import data_inputs, open_data, path_input
from scribblegap.core.errors import ConfigError
from scribblegap.core.folders import check_not_input
from scribblegap.core.parallel import default_workers
from scribblegap.pseudolabels.fusion import fuse_dataset
from scribblegap.scribbles import WeakLabels


def main(args):
    if args.crf and args.superpixels:
        raise ConfigError("choose one regularisation: --crf or --superpixels")
    ds = open_data(args)
    check_not_input(args.out, {**data_inputs(ds), "local annotator's folder": args.local,
                               "global annotator's folder": args.global_dir,
                               **path_input("weak labels", args.labels)})
    record = fuse_dataset(ds, args.local, args.global_dir, args.out,
                          weak=WeakLabels(args.labels) if args.labels else None, weight=args.weight,
                          mode=args.mode, regularisation="crf" if args.crf else "superpixels" if args.superpixels
                          else None, threshold=args.threshold, workers=args.workers or default_workers(),
                          shard=args.shard, overwrite=args.overwrite)
    print(f"fused {record['computed']} images into {args.out} ({record['images'] - record['computed']} already there)")
