import json

from scribblegap.experiment.runs import RunSpec, run_training
from scribblegap.network.presets import preset


def main(args):
    changes = dict(args.settings)
    changes.update({k: getattr(args, k) for k in ("seed", "threads") if getattr(args, k) is not None})
    config = preset(args.preset, **changes)
    spec = RunSpec(config=config, out=args.out, data=str(args.data), split=args.split,
                   val_split=args.val_split or None, classes=args.classes, limit=args.limit, labels=str(args.labels),
                   soft=args.soft, clip=args.clip, point_radius=args.point_radius)
    record = run_training(spec, resume=args.resume, overwrite=args.overwrite)
    if record is None:
        return  # under torchrun only rank 0 reports
    val_text = f", val mIoU {record['val']['miou']:.4f}" if "val" in record else ""
    print(json.dumps({k: record[k] for k in ("steps", "train_seconds", "images_per_s")}) + val_text)
