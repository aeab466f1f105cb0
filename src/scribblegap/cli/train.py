import json

from scribblegap.cli.common import data_inputs, open_data, path_input
from scribblegap.core.folders import check_not_input
from scribblegap.experiment.runs import RunSpec, run_training
from scribblegap.network.presets import preset


def main(args):
    changes = dict(args.settings)
    changes.update({k: getattr(args, k) for k in ("seed", "threads") if getattr(args, k) is not None})
    config = preset(args.preset, **changes)  # bad settings stop here, before --out is made
    check_not_input(args.out, {**data_inputs(open_data(args)), **path_input("training labels", args.labels)})
    spec = RunSpec(config=config, out=args.out, data=str(args.data), split=args.split,
                   val_split=args.val_split or None, classes=args.classes, limit=args.limit, labels=str(args.labels),
                   soft=args.soft, clip=args.clip, point_radius=args.point_radius)
    record = run_training(spec, resume=args.resume, overwrite=args.overwrite)
    if record is None:
        return  # under torchrun only rank 0 reports
    val_text = f", val mIoU {record['val']['miou']:.4f}" if "val" in record else ""
    print(json.dumps({k: record[k] for k in ("steps", "train_seconds", "images_per_s")}) + val_text)
