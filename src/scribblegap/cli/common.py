"""Options shared by several commands."""
from __future__ import annotations


def add_data_arguments(p, split: str | None = "train"):
    p.add_argument("--data", default="default",
                   help="'default' (embedded procedural scenes), a VOC-layout folder, or a data set name "
                        "under $SCRIBBLEGAP_DATA such as voc12-mini")
    if split is not None:
        p.add_argument("--split", default=split, help="split name (ImageSets/Segmentation/<split>.txt)")
    p.add_argument("--classes", default=None,
                   help="class subset: a preset (voc12-mini, voc) or comma-separated ids/names; "
                        "default: voc12-mini's 7 classes for voc12-mini, all classes otherwise")
    p.add_argument("--limit", type=int, default=None, help="use only the first N images (smoke runs)")


def open_data(args, split: str | None = None):
    from ..data import load_dataset

    return load_dataset(args.data, split or args.split, classes=args.classes, limit=args.limit)


def add_set_argument(p, help: str):
    """``--set NAME=VALUE`` (repeatable): the one way every command takes settings of its dataclass."""
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help=f"{help} (repeatable)")
