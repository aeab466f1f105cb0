from scribblegap.cli.common import data_inputs, open_data, path_input
from scribblegap.core.folders import check_not_input
from scribblegap.core.io import write_json
from scribblegap.core.parallel import default_workers
from scribblegap.scribbles.plots import plot_statistics
from scribblegap.scribbles.sources import WeakLabels
from scribblegap.scribbles.statistics import dataset_statistics


def main(args):
    ds = open_data(args)
    weak = WeakLabels(args.labels, width=args.width, clip=args.clip)
    inputs = {**data_inputs(ds), **path_input("weak labels", args.labels)}
    check_not_input(args.out, inputs)
    check_not_input(args.figure, inputs, "--figure")
    summary, _ = dataset_statistics(ds, weak, workers=args.workers or default_workers(), desc=f"statistics {ds.split}")
    out = {"source": args.labels, "data": ds.name, "split": ds.split, "classes": list(ds.labels.keep),
           "class_names": list(ds.labels.kept_names), "statistics": summary}
    write_json(args.out, out)
    if args.figure:
        plot_statistics(summary, args.figure, title=f"{args.labels} on {ds.name}/{ds.split}")
    lf = summary["labelled_fraction"]
    print(f"{summary['images']} images: labelled {100 * lf['mean_per_image']:.4f}% of the pixels, "
          f"{summary['scribbles']['per_image_mean']:.2f} scribbles per image, objects > 1% touched "
          f"{summary['objects_touched']['larger_than_1_percent']['objects']:.3f} -> {args.out}")
