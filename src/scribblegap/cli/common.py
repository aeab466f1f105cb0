"""Options shared by several commands, and ``type=`` checkers that name the option in their one-line error."""
from __future__ import annotations

import argparse
import math
from pathlib import Path


def _whole_number(text: str, least: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= {least}, got {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"must be >= {least}, got {value}")
    return value


def positive_int(text: str) -> int:
    """``type=`` for counts (``--limit``, ``--workers``): a whole number >= 1."""
    return _whole_number(text, 1)


def non_negative_int(text: str) -> int:
    """``type=`` for seeds: a whole number >= 0."""
    return _whole_number(text, 0)


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def positive_float(text: str) -> float:
    """``type=`` for sizes in pixels (``--width``): a finite number > 0."""
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def fraction(text: str) -> float:
    """``type=`` for shares of the pixels (``--budget``): strictly between 0 and 1."""
    value = _number(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must lie strictly between 0 and 1, got {text}")
    return value


def unit_interval(text: str) -> float:
    """``type=`` for weights (``--weight``): from 0 to 1, both included."""
    value = _number(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must lie in [0, 1], got {text}")
    return value


def confidence(text: str) -> float:
    """``type=`` for probability thresholds (``--threshold``): above 0, at most 1."""
    value = _number(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must lie in (0, 1], got {text}")
    return value


def out_folder(text: str) -> str:
    """``type=`` for an output folder: may not exist yet, but must not be an existing file."""
    if Path(text).exists() and not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text} is an existing file, not a folder")
    return text


def out_file(text: str) -> str:
    """``type=`` for an output file: may not exist yet, but must not be a folder."""
    if Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; give the path of a file to write")
    return text


def add_data_arguments(p, split: str | None = "train"):
    p.add_argument("--data", default="default",
                   help="'default' (embedded procedural scenes), a VOC-layout folder, or a data set name "
                        "under $SCRIBBLEGAP_DATA such as voc12-mini")
    if split is not None:
        p.add_argument("--split", default=split, help="split name (ImageSets/Segmentation/<split>.txt)")
    p.add_argument("--classes", default=None,
                   help="class subset: a preset (voc12-mini, voc) or comma-separated ids/names; "
                        "default: voc12-mini's 7 classes for voc12-mini, all classes otherwise")
    p.add_argument("--limit", type=positive_int, default=None, help="use only the first N images (smoke runs)")


def open_data(args, split: str | None = None):
    from ..data import load_dataset
    from ..errors import ConfigError

    if args.limit is not None and args.limit < 1:  # for callers that build args without the parser
        raise ConfigError(f"--limit must be >= 1, got {args.limit}")
    return load_dataset(args.data, split or args.split, classes=args.classes, limit=args.limit)


def add_set_argument(p, help: str):
    """``--set NAME=VALUE`` (repeatable): the one way every command takes settings of its dataclass."""
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help=f"{help} (repeatable)")
