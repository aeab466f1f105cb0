HELP = "evaluate a trained run: mIoU, per-class IoU, pixel accuracy (optionally after a dense CRF)"


def add_arguments(p):
    from .common import add_data_arguments, out_file, positive_int

    p.add_argument("--checkpoint", required=True, help="run folder or checkpoint.pt")
    add_data_arguments(p, split="val")
    p.add_argument("--crf", action="store_true", help="also score after the dense CRF")
    p.add_argument("--workers", type=positive_int, default=None, help="processes for the CRF (default: all cores)")
    p.add_argument("--out", default=None, type=out_file, help="write the scores to this JSON file")
    p.add_argument("--record", default=None, metavar="KEY",
                   help="add this run under KEY (F, B, W, ...) in --summary, with mean and std over runs")
    p.add_argument("--summary", default=None, type=out_file,
                   help="results file for --record (results/<data>/summary.json)")


def main(args):
    import json

    from ..crf import DenseCRF
    from ..io import write_json
    from ..parallel import default_workers
    from ..predict import evaluate_model, load_model
    from ..provenance import describe
    from .common import open_data

    model, config = load_model(args.checkpoint)
    data = open_data(args)
    scores = evaluate_model(model, data, config.base_size, crf=DenseCRF() if args.crf else None,
                            crf_workers=args.workers or default_workers())
    scores.update({"checkpoint": str(args.checkpoint), "split": args.split, "provenance": describe()})
    if args.out:
        write_json(args.out, scores)
    if args.record:
        from pathlib import Path

        from ..errors import ConfigError
        from ..results import record_run, run_record

        if not args.summary:
            raise ConfigError("--record needs --summary PATH")
        run_dir = Path(args.checkpoint)
        run_dir = run_dir if run_dir.is_dir() else run_dir.parent
        entry = record_run(args.summary, args.record, run_record(run_dir, scores, scores["provenance"]))
        print(f"recorded {run_dir.name} under {args.record} in {args.summary} ({entry['n']} runs)")
    line = f"mIoU {scores['miou']:.4f}, pixel accuracy {scores['pixel_accuracy']:.4f}"
    if "crf" in scores:
        line += f"; with CRF mIoU {scores['crf']['miou']:.4f}"
    print(line)
    if not args.out:
        print(json.dumps(scores["iou"], indent=1))
