HELP = "simulate scribbles from dense masks at a pixel budget (one <id>.png per image + stats.json)"


def add_arguments(p):
    from .common import (add_data_arguments, add_set_argument, fraction, non_negative_int, out_folder,
                         positive_float, positive_int)

    add_data_arguments(p)
    p.add_argument("--budget", type=fraction, default=0.03,
                   help="target fraction of labelled pixels (0.03: human-like, ScribbleSup)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="random seed (same seed: byte-identical files)")
    p.add_argument("--width", type=positive_float, default=3,
                   help="pen width in pixels (at or below the default budget; wider above it)")
    p.add_argument("--out", required=True, type=out_folder,
                   help="output folder (resumable: existing <id>.png are kept)")
    p.add_argument("--overwrite", action="store_true", help="replace scribbles of other settings in --out")
    p.add_argument("--workers", type=positive_int, default=None, help="processes (default: all cores)")
    add_set_argument(p, "a simulator option (see SimulatorOptions), e.g. --set area_exponent=0.5")


def main(args):
    from ..options import parse_assignments
    from ..parallel import default_workers
    from ..scribbles.simulate import simulate_dataset
    from .common import open_data

    ds = open_data(args)
    stats = simulate_dataset(ds, args.out, budget=args.budget, seed=args.seed, width=args.width,
                             workers=args.workers or default_workers(), overwrite=args.overwrite,
                             **parse_assignments(args.set))
    b = stats["budget"]
    touched = stats["statistics"]["objects_touched"]["larger_than_1_percent"]
    dis = stats["statistics"]["disagreement"]
    print(f"{stats['images']} images -> {args.out}: labelled {b['achieved_mean']:.4f} of the pixels "
          f"(target {b['target']:.4f}, {100 * b['relative_error']:+.1f}%), objects > 1% touched "
          f"{touched['objects']:.3f}, pixels disagreeing with the mask "
          f"{dis['pixels_on_other_class'] + dis['pixels_on_void']}")
