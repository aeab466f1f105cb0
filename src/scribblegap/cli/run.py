HELP = "run the whole chain (simulate, local, global, fuse + CRF, retrain, evaluate, report) from a config"


def add_arguments(p):
    p.add_argument("--config", default="default",
                   help="default (the main job: embedded scenes, minutes), default-fast (embedded scenes, fast "
                        "preset, 3 seeds, budget curve), default-variant (no shadows, parts in body colour), voc12-mini (long preset, 3 seeds), voc12-mini-fast "
                        "(budget curve and clicks), voc12-r101 (GPU), or a .json file of PipelineConfig fields")
    p.add_argument("--stages", nargs="+", default=None,
                   help="subset of: overview chain F R evaluate pseudo variants round2 budget points report")
    p.add_argument("--seeds", nargs="+", type=int, default=None)
    p.add_argument("--budgets", nargs="+", type=float, default=None,
                   help="labelled-pixel fractions of the budget curve (default 0.005 0.01 0.02 0.03 0.05 0.1)")
    p.add_argument("--data", default=None, help="override the config's data set")
    p.add_argument("--name", default=None, help="override the results name (results/<name>/)")
    p.add_argument("--preset", default=None, help="override the training preset")
    p.add_argument("--workers", type=int, default=None, help="processes for per-image stages (default: all cores)")
    p.add_argument("--local-method", default=None, help="override the local annotator (see `local --help`)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars (for logs)")


def main(args):
    import json
    import time

    from ..pipeline import run_pipeline

    overrides = {"stages": tuple(args.stages) if args.stages else None,
                 "seeds": tuple(args.seeds) if args.seeds else None,
                 "budgets": tuple(args.budgets) if args.budgets else None, "data": args.data, "name": args.name,
                 "preset": args.preset, "workers": args.workers,
                 "local_method": args.local_method, "progress": False if args.no_progress else None}
    start = time.time()
    result = run_pipeline(args.config, **overrides)
    print(json.dumps(result["timings"], indent=1))
    print(f"whole chain: {time.time() - start:.0f} s")
