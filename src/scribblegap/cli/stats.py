HELP = "statistics of a weak-label source (scribble folder, points) against the dense masks"


def add_arguments(p):
    from .common import add_data_arguments, out_file, positive_float, positive_int

    add_data_arguments(p)
    p.add_argument("--labels", required=True,
                   help="weak labels: 'points' (the data set's points.json), a points .json, or a folder "
                        "of <id>.png / <id>.xml scribbles")
    p.add_argument("--out", required=True, type=out_file, help="statistics JSON to write")
    p.add_argument("--width", type=positive_float, default=3, help="pen width for rasterising XML scribbles")
    p.add_argument("--clip", action="store_true",
                   help="move points / scribble points lying outside their image onto its border instead of "
                        "failing (VOC12-mini's points.json has a few on the far edge)")
    p.add_argument("--figure", default=None, type=out_file, help="also draw the statistics into this PNG")
    p.add_argument("--workers", type=positive_int, default=None, help="processes (default: all cores)")


def main(args):
    from ..io import write_json
    from ..parallel import default_workers
    from ..scribbles.sources import WeakLabels
    from ..scribbles.statistics import dataset_statistics
    from .common import open_data

    ds = open_data(args)
    weak = WeakLabels(args.labels, width=args.width, clip=args.clip)
    summary, _ = dataset_statistics(ds, weak, workers=args.workers or default_workers(), desc=f"statistics {ds.split}")
    out = {"source": args.labels, "data": ds.name, "split": ds.split, "classes": list(ds.labels.keep),
           "statistics": summary}
    write_json(args.out, out)
    if args.figure:
        from ..scribbles.plots import plot_statistics

        plot_statistics(summary, args.figure, title=f"{args.labels} on {ds.name}/{ds.split}")
    lf = summary["labelled_fraction"]
    print(f"{summary['images']} images: labelled {100 * lf['mean_per_image']:.4f}% of the pixels, "
          f"{summary['scribbles']['per_image_mean']:.2f} scribbles per image, objects > 1% touched "
          f"{summary['objects_touched']['larger_than_1_percent']['objects']:.3f} -> {args.out}")
