"""What several commands share once their options are parsed: opening the data set they name, and the
paths they read (which their outputs must stay away from: :func:`scribblegap.core.folders.check_not_input`)."""
from __future__ import annotations

from pathlib import Path

from scribblegap.core.errors import ConfigError
from scribblegap.core.folders import MANIFEST
from scribblegap.core.layout import RECORD
from scribblegap.data import load_dataset

LABEL_KEYWORDS = ("full", "points")  # --labels that name the data set's own masks or points.json
CHECKPOINT = "checkpoint.pt"  # as network.checkpoint names it (not imported: it loads the models' code)
RUN_FILES = (RECORD, MANIFEST, "config.json", "log.jsonl", "train.out")  # what training writes beside it


def open_data(args, split: str | None = None):
    if args.limit is not None and args.limit < 1:  # for callers that build args without the parser
        raise ConfigError(f"--limit must be >= 1, got {args.limit}")
    return load_dataset(args.data, split or args.split, classes=args.classes, limit=args.limit)


def data_inputs(ds) -> dict:
    """The folders a data set is read from (its images and masks may be links to elsewhere); none for the
    embedded scenes, which live in memory."""
    root = getattr(ds, "root", None)
    if root is None:
        return {}
    return {"data folder": root, "image folder": root / "JPEGImages",
            "mask folder": getattr(ds, "mask_root", None)}


def path_input(what: str, spec) -> dict:
    """``{what: path}`` for an option naming a file or folder; nothing for the keywords of --labels."""
    if spec is None or str(spec) in LABEL_KEYWORDS or str(spec) == "":
        return {}
    return {what: Path(spec)}


def checkpoint_input(spec) -> dict:
    """The run folder of --checkpoint (a run folder, or a checkpoint beside what training wrote): a folder of
    outputs stays out of it. A checkpoint file elsewhere (a copy among other files) is only itself."""
    path = Path(spec)
    run = path if path.is_dir() else path.parent
    if path.is_dir() or any((run / name).is_file() for name in RUN_FILES):
        return {"checkpoint's run folder": run}
    return {"checkpoint": path}


def run_files(spec) -> dict:
    """The files of --checkpoint's run (its checkpoint and what training wrote beside it): a single output
    file may go beside them (``evaluate --out runs/W/val.json``) but never replace one."""
    path = Path(spec)
    checkpoint = path / CHECKPOINT if path.is_dir() else path
    return {"checkpoint": checkpoint, **{f"training run's {name}": checkpoint.parent / name for name in RUN_FILES}}
