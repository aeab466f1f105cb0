from scribblegap.annotators.local import LOCAL_METHODS
from scribblegap.experiment.configs import load_config
from scribblegap.experiment.measurements import fusion_options, local_methods
from scribblegap.pipeline import layout_of


def main(args):
    config = load_config(args.config, **({"progress": False} if args.no_progress else {}))
    layout = layout_of(config)
    if args.what == "fusion":
        out = fusion_options(config, layout, args.seed, args.step)
    else:
        out = local_methods(config, layout, args.methods or list(LOCAL_METHODS), args.step)
    print(f"wrote {out}")
