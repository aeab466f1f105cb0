HELP = "evaluate a trained run: mIoU, per-class IoU, pixel accuracy (optionally after a dense CRF)"


def add_arguments(p):
    from .common import add_data_arguments

    p.add_argument("--checkpoint", required=True, help="run folder or checkpoint.pt")
    add_data_arguments(p, split="val")
    p.add_argument("--crf", action="store_true", help="also score after the dense CRF")
    p.add_argument("--workers", type=int, default=None, help="processes for the CRF (default: all cores)")
    p.add_argument("--json", default=None, help="write the scores here")


def main(args):
    import json

    from ..crf import DenseCRF
    from ..io import write_json
    from ..parallel import default_workers
    from ..predict import evaluate_model
    from ..provenance import describe
    from ..train import load_trained
    from .common import open_data

    model, config = load_trained(args.checkpoint)
    data = open_data(args)
    scores = evaluate_model(model, data, config.base_size, crf=DenseCRF() if args.crf else None,
                            crf_workers=args.workers or default_workers())
    scores.update({"checkpoint": str(args.checkpoint), "split": args.split, "provenance": describe()})
    if args.json:
        write_json(args.json, scores)
    line = f"mIoU {scores['miou']:.4f}, pixel accuracy {scores['pixel_accuracy']:.4f}"
    if "crf" in scores:
        line += f"; with CRF mIoU {scores['crf']['miou']:.4f}"
    print(line)
    if not args.json:
        print(json.dumps(scores["iou"], indent=1))
