HELP = "run the whole chain (simulate, local, global, fuse + CRF, retrain, evaluate, report) from a config"


def add_arguments(p):
    from ..configs import CONFIGS, STAGES
    from .common import add_set_argument, positive_int

    p.add_argument("--config", default="default",
                   help=f"a named config ({', '.join(CONFIGS)}; `--show` prints one) or a .json file of "
                        "PipelineConfig fields")
    p.add_argument("--show", action="store_true", help="print the resolved pipeline and training configs, run nothing")
    p.add_argument("--stages", nargs="+", default=None, help=f"subset of: {' '.join(STAGES)}")
    p.add_argument("--seeds", nargs="+", type=int, default=None)
    p.add_argument("--budgets", nargs="+", type=float, default=None,
                   help="labelled-pixel fractions of the budget curve, e.g. 0.01 0.03")
    p.add_argument("--workers", type=positive_int, default=None, help="processes for per-image stages (default: all cores)")
    add_set_argument(p, "a PipelineConfig field, e.g. --set preset=cpu-fast --set 'train_overrides={\"iters\": 100}'")
    p.add_argument("--no-progress", action="store_true", help="no progress bars (for logs)")


def main(args):
    import json
    import time

    from ..configs import load_config, show
    from ..options import parse_assignments
    from ..pipeline import Pipeline

    overrides = {**parse_assignments(args.set), "stages": tuple(args.stages) if args.stages else None,
                 "seeds": tuple(args.seeds) if args.seeds else None,
                 "budgets": tuple(args.budgets) if args.budgets else None, "workers": args.workers,
                 "progress": False if args.no_progress else None}
    config = load_config(args.config, **overrides)
    if args.show:
        print(show(config))
        return
    start = time.time()
    result = Pipeline(config).run()
    print(json.dumps(result["timings"], indent=1))
    print(f"whole chain: {time.time() - start:.0f} s")
