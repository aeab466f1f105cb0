from scribblegap.annotators.crf import DenseCRF
from scribblegap.cli.common import checkpoint_input, data_inputs, open_data
from scribblegap.core.folders import check_not_input
from scribblegap.network.predict import load_model, predict_dataset


def main(args):
    model, config = load_model(args.checkpoint)
    data = open_data(args)
    check_not_input(args.out, {**checkpoint_input(args.checkpoint), **data_inputs(data)})
    result = predict_dataset(model, data, args.out, config.base_size, crf=DenseCRF() if args.crf else None,
                             overwrite=args.overwrite)
    print(f"wrote {result['written']} images to {args.out} ({result['skipped']} already there)")
