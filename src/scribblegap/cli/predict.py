HELP = "predict probabilities and label maps with a trained run (the global annotator's output)"


def add_arguments(p):
    from .common import add_data_arguments, out_folder

    p.add_argument("--checkpoint", required=True, help="run folder or checkpoint.pt")
    add_data_arguments(p)
    p.add_argument("--out", required=True, type=out_folder,
                   help="folder for <id>.npz probabilities and <id>.png labels")
    p.add_argument("--overwrite", action="store_true", help="replace predictions of another checkpoint in --out")
    p.add_argument("--crf", action="store_true", help="refine with the dense CRF before writing")


def main(args):
    from ..crf import DenseCRF
    from ..predict import load_model, predict_dataset
    from .common import open_data

    model, config = load_model(args.checkpoint)
    data = open_data(args)
    result = predict_dataset(model, data, args.out, config.base_size, crf=DenseCRF() if args.crf else None,
                             overwrite=args.overwrite)
    print(f"wrote {result['written']} images to {args.out} ({result['skipped']} already there)")
