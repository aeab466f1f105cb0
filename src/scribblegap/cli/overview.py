from scribblegap.cli.common import open_data
from scribblegap.data.plots import dataset_overview


def main(args):
    ds = open_data(args)
    path = dataset_overview(ds, args.out, n=args.n)
    print(f"wrote {path}")
