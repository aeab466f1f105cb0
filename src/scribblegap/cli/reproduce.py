from scribblegap.experiment.configs import load_config
from scribblegap.experiment.reproduce import reproduce
from scribblegap.pipeline import layout_of


def main(args):
    config = load_config(args.config, progress=False)
    reproduce(config, layout_of(config), args.runs, rescore_only=args.rescore, threads=args.threads)
