HELP = "draw an overview figure of a data set (images, masks, class statistics)"


def add_arguments(p):
    from .common import add_data_arguments

    add_data_arguments(p)
    p.add_argument("--out", default="figures/dataset_overview.png", help="figure path")
    p.add_argument("--n", type=int, default=8, help="images to show")


def main(args):
    from ..viz import dataset_overview
    from .common import open_data

    ds = open_data(args)
    path = dataset_overview(ds, args.out, n=args.n)
    print(f"wrote {path}")
