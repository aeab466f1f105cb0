from scribblegap.cli.common import data_inputs, open_data
from scribblegap.core.folders import check_not_input
from scribblegap.core.parallel import default_workers
from scribblegap.scribbles.simulate import simulate_dataset


def main(args):
    ds = open_data(args)
    check_not_input(args.out, data_inputs(ds))
    stats = simulate_dataset(ds, args.out, budget=args.budget, seed=args.seed, width=args.width,
                             workers=args.workers or default_workers(), overwrite=args.overwrite, **args.settings)
    b = stats["budget"]
    touched = stats["statistics"]["objects_touched"]["larger_than_1_percent"]
    dis = stats["statistics"]["disagreement"]
    print(f"{stats['images']} images -> {args.out}: labelled {b['achieved_mean']:.4f} of the pixels "
          f"(target {b['target']:.4f}, {100 * b['relative_error']:+.1f}%), objects > 1% touched "
          f"{touched['objects']:.3f}, pixels disagreeing with the mask "
          f"{dis['pixels_on_other_class'] + dis['pixels_on_void']}")
