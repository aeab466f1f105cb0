import json
from pathlib import Path

from scribblegap.annotators.crf import DenseCRF
from scribblegap.cli.common import data_inputs, open_data, run_files
from scribblegap.core.errors import ConfigError
from scribblegap.core.folders import check_not_input
from scribblegap.core.io import write_json
from scribblegap.core.parallel import default_workers
from scribblegap.core.provenance import describe
from scribblegap.experiment.results import record_run, run_record
from scribblegap.network.predict import evaluate_model, load_model


def main(args):
    if args.record and not args.summary:
        raise ConfigError("--record needs --summary PATH")
    model, config = load_model(args.checkpoint)
    data = open_data(args)
    inputs = {**run_files(args.checkpoint), **data_inputs(data)}
    check_not_input(args.out, inputs)
    check_not_input(args.summary, inputs, "--summary")
    scores = evaluate_model(model, data, config.base_size, crf=DenseCRF() if args.crf else None,
                            crf_workers=args.workers or default_workers())
    scores.update({"checkpoint": str(args.checkpoint), "split": args.split, "provenance": describe()})
    if args.out:
        write_json(args.out, {k: v for k, v in scores.items() if k != "per_image"})
    if args.record:
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
