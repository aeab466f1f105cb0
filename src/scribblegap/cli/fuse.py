HELP = "fuse local and global annotator probabilities (weighted mean by default) and regularise them"


def add_arguments(p):
    from .common import add_data_arguments, confidence, out_folder, positive_int, unit_interval

    p.add_argument("--local", required=True, help="folder of the local annotator's <id>.npz")
    p.add_argument("--global", dest="global_dir", required=True, help="folder of the global annotator's <id>.npz")
    add_data_arguments(p)
    p.add_argument("--labels", default=None,
                   help="the weak labels (folder or points): their pixels keep their label")
    p.add_argument("--out", required=True, type=out_folder, help="folder for fused <id>.npz and <id>.png")
    p.add_argument("--overwrite", action="store_true", help="replace labels fused with other settings in --out")
    p.add_argument("--mode", default="mean", choices=["mean", "product", "max"])
    p.add_argument("--weight", type=unit_interval, default=0.5, help="the local annotator's weight")
    p.add_argument("--crf", action="store_true", help="regularise the fused probabilities with the dense CRF")
    p.add_argument("--superpixels", action="store_true", help="regularise by averaging inside SLIC superpixels")
    p.add_argument("--threshold", type=confidence, default=None,
                   help="pixels whose fused confidence is below this become ignore (255)")
    p.add_argument("--workers", type=positive_int, default=None, help="processes (default: all cores)")
    p.add_argument("--shard", default=None, help="K/N: process every N-th image from the K-th")


def main(args):
    from ..errors import ConfigError
    from ..fusion import fuse_dataset
    from ..parallel import default_workers
    from ..scribbles import WeakLabels
    from .common import open_data

    if args.crf and args.superpixels:
        raise ConfigError("choose one regularisation: --crf or --superpixels")
    ds = open_data(args)
    record = fuse_dataset(ds, args.local, args.global_dir, args.out,
                          weak=WeakLabels(args.labels) if args.labels else None, weight=args.weight,
                          mode=args.mode, regularisation="crf" if args.crf else "superpixels" if args.superpixels
                          else None, threshold=args.threshold, workers=args.workers or default_workers(),
                          shard=args.shard, overwrite=args.overwrite)
    print(f"fused {record['computed']} images into {args.out} ({record['images'] - record['computed']} already there)")
