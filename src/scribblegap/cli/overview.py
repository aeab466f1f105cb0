from scribblegap.cli.common import data_inputs, open_data
from scribblegap.core.folders import check_not_input
from scribblegap.data.plots import dataset_overview


def main(args):
    ds = open_data(args)
    check_not_input(args.out, data_inputs(ds))
    path = dataset_overview(ds, args.out, n=args.n)
    print(f"wrote {path}")
