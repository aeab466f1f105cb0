"""What several commands share once their options are parsed: opening the data set they name."""
from __future__ import annotations

from scribblegap.core.errors import ConfigError
from scribblegap.data import load_dataset


def open_data(args, split: str | None = None):
    if args.limit is not None and args.limit < 1:  # for callers that build args without the parser
        raise ConfigError(f"--limit must be >= 1, got {args.limit}")
    return load_dataset(args.data, split or args.split, classes=args.classes, limit=args.limit)
