"""Every command's options, in one place and without heavy imports (``--help`` is instant).

Each command also takes ``--set NAME=VALUE`` (repeatable), the one override path of the package: NAME is
any of the command's options (``--set workers=1`` is ``--workers 1``) or a field of the settings the
command builds (``run``: the pipeline config, with training fields as ``train.iters=400``; ``train``: the
training config; ``simulate``: the simulator's options; ``local``: the method's parameters). A flag and a
``--set`` of the same field in one call is an error, as is an unknown name (the message suggests the
nearest known one).
"""
from __future__ import annotations

import argparse
import difflib
import math
from pathlib import Path

from scribblegap.core.errors import ConfigError
from scribblegap.core.options import parse_assignments

# in the order data flows through the pipeline
COMMANDS = ["download", "overview", "simulate", "stats", "local", "train", "predict", "evaluate", "fuse",
            "run", "measure", "reproduce", "report", "notebooks"]

HELP = {
    "download": "download PASCAL VOC 2012 trainval, the SBD masks (-> SegmentationClassAug, train_aug) and the "
                "ScribbleSup scribbles into ROOT/VOCdevkit/VOC2012; checksums verified, resumable",
    "overview": "draw an overview figure of a data set (images, masks, class statistics)",
    "simulate": "simulate scribbles from dense masks at a pixel budget (one <id>.png per image + stats.json)",
    "stats": "statistics of a weak-label source (scribble folder, points) against the dense masks",
    "local": "fit a local annotator model on each image's weak labels; write label maps and compact probabilities",
    "train": "train a segmentation network (F: --labels full, B: --labels scribbles, W: --labels pseudo-labels)",
    "predict": "predict probabilities and label maps with a trained run (the global annotator's output)",
    "evaluate": "evaluate a trained run: mIoU, per-class IoU, pixel accuracy (optionally after a dense CRF)",
    "fuse": "fuse local and global annotator probabilities (weighted mean by default) and regularise them",
    "run": "run the whole chain (simulate, local, global, fuse + CRF, retrain, evaluate, report) from a config",
    "measure": "measure the fusion options or every local annotator on a config's chain (results/<name>/*.json)",
    "reproduce": "train recorded runs again from their spec (or score their checkpoints again) and compare",
    "report": "regenerate results/<name>/report.md, the figures and the README's results blocks from the results files",
    "notebooks": "check that each notebook's two copies agree, or execute the notebooks and store their outputs",
}

# what ``--set`` may name beyond a command's options: the fields of the settings it builds (checked there)
SETTINGS = {"run": "a pipeline config field (train.<field> for a training field)", "train": "a training setting",
            "simulate": "a simulator option", "local": "a parameter of the method"}


# ------------------------------------------------------------------------------------- type checkers
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


def _under_a_file(text: str) -> None:
    """An output cannot be made below a regular file (``--out notes.txt/run``)."""
    above = next((p for p in Path(text).parents if p.exists()), None)
    if above is not None and not above.is_dir():
        raise argparse.ArgumentTypeError(f"{text} cannot be made: {above} is a file, not a folder")


def out_folder(text: str) -> str:
    """``type=`` for an output folder: may not exist yet, but must not be an existing file (or lie under one)."""
    if Path(text).exists() and not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text} is an existing file, not a folder")
    _under_a_file(text)
    return text


def out_file(text: str) -> str:
    """``type=`` for an output file: may not exist yet, but must not be a folder (or lie under a file)."""
    if Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; give the path of a file to write")
    _under_a_file(text)
    return text


def plain_name(text: str) -> str:
    """``type=`` for names that become folder names (``results/<name>``): no separator, no ``..``, no leading dot."""
    if not text or "/" in text or "\\" in text or text.startswith(".") or text != text.strip() or "\0" in text:
        raise argparse.ArgumentTypeError(f"{text!r} is not a plain name (no '/', no leading '.', no spaces around it)")
    return text


# ------------------------------------------------------------------------------------------ parsers
class CommandParser(argparse.ArgumentParser):
    """An argument parser that remembers its options (for ``--set``) and takes no abbreviated flags."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        kwargs.setdefault("formatter_class", argparse.ArgumentDefaultsHelpFormatter)
        super().__init__(*args, **kwargs)
        self.options: dict[str, argparse.Action] = {}

    def add_argument(self, *args, **kwargs):
        action = super().add_argument(*args, **kwargs)
        if action.option_strings and action.dest not in ("help", "set", "debug"):
            self.options[action.dest] = action
        return action


def _data(p, split: str | None = "train"):
    p.add_argument("--data", default="default",
                   help="'default' (embedded procedural scenes), a VOC-layout folder, or a data set name "
                        "under $SCRIBBLEGAP_DATA such as voc12-mini")
    if split is not None:
        p.add_argument("--split", default=split, help="split name (ImageSets/Segmentation/<split>.txt)")
    p.add_argument("--classes", default=None,
                   help="class subset: a preset (voc12-mini, voc) or comma-separated ids/names; "
                        "default: voc12-mini's 7 classes for voc12-mini, all classes otherwise")
    p.add_argument("--limit", type=positive_int, default=None, help="use only the first N images (smoke runs)")


def _workers(p):
    p.add_argument("--workers", type=positive_int, default=None, help="processes (default: all cores)")


def _download(p):
    p.add_argument("--root", required=True, help="folder to fill (VOC lands in ROOT/VOCdevkit/VOC2012)")
    p.add_argument("--what", default="all",
                   help="comma-separated sources: voc, sbd, scribblesup, or all; 'example' builds the worked example "
                        "of a data set with its own classes (offline) in ROOT/example-own-data")
    p.add_argument("--base-url", default=None,
                   help="mirror holding the archives under their original file names; "
                        "falls back to $SCRIBBLEGAP_MIRROR, then the official URLs")
    p.add_argument("--sha256", default=None,
                   help="expected sha256 of scribble_annotation.zip (ScribbleSup publishes no checksum; "
                        "the first download prints the one it got)")
    p.add_argument("--keep-archives", action="store_true",
                   help="keep the downloaded archives in ROOT/downloads after unpacking")


def _overview(p):
    _data(p)
    p.add_argument("--out", default="figures/dataset_overview.png", type=out_file, help="figure path")
    p.add_argument("--n", type=positive_int, default=8, help="images to show")


def _simulate(p):
    _data(p)
    p.add_argument("--budget", type=fraction, default=0.03,
                   help="target fraction of labelled pixels (0.03: ScribbleSup-like at width 3)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="random seed (same seed: byte-identical files)")
    p.add_argument("--width", type=positive_float, default=3,
                   help="pen width in pixels (at or below the default budget; wider above it)")
    p.add_argument("--out", required=True, type=out_folder,
                   help="output folder (resumable: existing <id>.png are kept)")
    p.add_argument("--overwrite", action="store_true", help="replace scribbles this command wrote with other settings")
    _workers(p)


def _stats(p):
    _data(p)
    p.add_argument("--labels", required=True,
                   help="weak labels: 'points' (the data set's points.json), a points .json, or a folder "
                        "of <id>.png / <id>.xml scribbles")
    p.add_argument("--out", required=True, type=out_file, help="statistics JSON to write")
    p.add_argument("--width", type=positive_float, default=3, help="pen width for rasterising XML scribbles")
    p.add_argument("--clip", action="store_true",
                   help="move points / scribble points lying outside their image onto its border instead of "
                        "failing (VOC12-mini's points.json has a few on the far edge)")
    p.add_argument("--figure", default=None, type=out_file, help="also draw the statistics into this PNG")
    _workers(p)


def _local(p):
    _data(p)
    p.add_argument("--labels", required=True,
                   help="weak labels: 'points' (the data set's points.json), a points .json, a folder of "
                        "<id>.png / <id>.xml scribbles, or 'full'")
    p.add_argument("--method", required=True,
                   help="gmm, gmm-crf, crf, random-walker, superpixels, pixel-classifier, pixel-classifier-crf")
    p.add_argument("--out", required=True, type=out_folder,
                   help="output folder for <id>.png, <id>.npz and run.json")
    p.add_argument("--overwrite", action="store_true", help="replace a run of other settings this command wrote in --out")
    _workers(p)
    p.add_argument("--shard", default=None, help="K/N: process every N-th image starting at the K-th")
    p.add_argument("--clip", action="store_true",
                   help="move clicks / scribble points outside their image onto its border instead of "
                        "stopping (points.json of VOC12-mini has 14 such train clicks)")
    p.add_argument("--score", action="store_true", help="score the label maps against the dense masks")


def _train(p):
    p.add_argument("--preset", default="cpu-fast", help="training preset (run --show prints them)")
    _data(p)
    p.add_argument("--labels", default="full",
                   help="full (dense masks), points, or a folder of <id>.png scribbles / pseudo-labels")
    p.add_argument("--soft", action="store_true",
                   help="train on the <id>.npz probabilities of --labels DIR (soft cross-entropy)")
    p.add_argument("--point-radius", type=float, default=0, help="grow each click into a disc (pixels)")
    p.add_argument("--clip", action="store_true", help="move weak labels outside the image onto its border")
    p.add_argument("--out", required=True, type=out_folder, help="run folder (checkpoint.pt, log.jsonl, run.json)")
    p.add_argument("--val-split", default="val", help="split evaluated during and after training ('' for none)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    p.add_argument("--overwrite", action="store_true", help="replace a run of other settings in --out")
    p.add_argument("--seed", type=non_negative_int, default=None, help="random seed (the training setting seed)")
    p.add_argument("--threads", type=positive_int, default=None, help="torch CPU threads (the training setting threads)")


def _predict(p):
    p.add_argument("--checkpoint", required=True, help="run folder or checkpoint.pt")
    _data(p)
    p.add_argument("--out", required=True, type=out_folder,
                   help="folder for <id>.npz probabilities and <id>.png labels")
    p.add_argument("--overwrite", action="store_true", help="replace predictions of another checkpoint in --out")
    p.add_argument("--crf", action="store_true", help="refine with the dense CRF before writing")


def _evaluate(p):
    p.add_argument("--checkpoint", required=True, help="run folder or checkpoint.pt")
    _data(p, split="val")
    p.add_argument("--crf", action="store_true", help="also score after the dense CRF")
    p.add_argument("--workers", type=positive_int, default=None, help="processes for the CRF (default: all cores)")
    p.add_argument("--out", default=None, type=out_file, help="write the scores to this JSON file")
    p.add_argument("--record", default=None, metavar="KEY",
                   help="add this run under KEY (F, B, W, ...) in --summary, with mean and std over runs")
    p.add_argument("--summary", default=None, type=out_file,
                   help="results file for --record (results/<data>/summary.json)")


def _fuse(p):
    p.add_argument("--local", required=True, help="folder of the local annotator's <id>.npz")
    p.add_argument("--global", dest="global_dir", required=True, help="folder of the global annotator's <id>.npz")
    _data(p)
    p.add_argument("--labels", default=None,
                   help="the weak labels (folder or points): their pixels keep their label")
    p.add_argument("--out", required=True, type=out_folder, help="folder for fused <id>.npz and <id>.png")
    p.add_argument("--overwrite", action="store_true", help="replace labels fused with other settings in --out")
    p.add_argument("--mode", default="mean", choices=["mean", "product", "max"])
    p.add_argument("--weight", type=unit_interval, default=0.5, help="the local annotator's weight")
    p.add_argument("--crf", action="store_true", help="regularise the fused probabilities with the dense CRF")
    p.add_argument("--superpixels", action="store_true", help="regularise by averaging inside SLIC superpixels")
    p.add_argument("--threshold", type=confidence, default=None,
                   help="pixels whose fused confidence (before the regularisation) is below this become ignore (255)")
    _workers(p)
    p.add_argument("--shard", default=None, help="K/N: process every N-th image from the K-th")


def _run(p):
    p.add_argument("--config", default="default",
                   help="a named config (`--show` prints one) or a .json file of PipelineConfig fields")
    p.add_argument("--show", action="store_true", help="print the resolved pipeline and training configs, run nothing")
    p.add_argument("--stages", nargs="+", default=None, help="a subset of the config's stages (see --show)")
    p.add_argument("--seeds", nargs="+", type=non_negative_int, default=None)
    p.add_argument("--budgets", nargs="+", type=fraction, default=None,
                   help="labelled-pixel fractions of the budget curve, e.g. 0.01 0.03")
    p.add_argument("--workers", type=positive_int, default=None, help="processes for per-image stages (default: all cores)")
    p.add_argument("--no-progress", dest="progress", action="store_false", default=None,
                   help="no progress bars (for logs)")


def _measure(p):
    p.add_argument("what", choices=["fusion", "local"], help="the fusion modes and weights, or the local annotators")
    p.add_argument("--config", default="voc12-mini", help="the config whose chain outputs are read")
    p.add_argument("--seed", type=non_negative_int, default=None, help="fusion: the seed whose B is the global annotator")
    p.add_argument("--step", type=positive_int, default=1, help="score every STEP-th train image")
    p.add_argument("--methods", nargs="+", default=None, help="local: these methods only")
    p.add_argument("--no-progress", action="store_true", help="no progress bars (for logs)")


def _reproduce(p):
    p.add_argument("--config", required=True, help="the config whose results/<name>/ records the runs")
    p.add_argument("--runs", nargs="+", required=True, help="run ids, e.g. F_s0 W@0.01_s1")
    p.add_argument("--rescore", action="store_true", help="score the recorded checkpoints again, train nothing")
    p.add_argument("--threads", type=positive_int, default=None,
                   help="torch threads for records older than the threads field")


def _report(p):
    p.add_argument("--names", nargs="+", type=plain_name, default=None,
                   help="results/<name> folders (default: the folder of every named config that has one)")
    p.add_argument("--claims", nargs="+", type=plain_name, default=["voc12-mini"],
                   help="results folders the README's claims table judges")
    p.add_argument("--readme", default="README.md", help="README whose results blocks are replaced ('' for none)")


def _notebooks(p):
    p.add_argument("action", choices=["check", "execute"], help="check the pairs, or execute the notebooks")
    p.add_argument("names", nargs="*", help="only the notebooks whose names start with these (e.g. 01 05)")
    p.add_argument("--smoke", action="store_true", help="CI mode (CI=1): small data, outputs not stored")
    p.add_argument("--max-mb", type=float, default=2.0, help="largest stored notebook (full mode)")
    p.add_argument("--timeout", type=positive_int, default=4 * 3600, help="seconds per cell")


ARGUMENTS = {"download": _download, "overview": _overview, "simulate": _simulate, "stats": _stats, "local": _local,
             "train": _train, "predict": _predict, "evaluate": _evaluate, "fuse": _fuse, "run": _run, "measure": _measure,
             "reproduce": _reproduce, "report": _report, "notebooks": _notebooks}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scribblegap", description="Closing the gap between scribble and full "
                                     "supervision: every stage of the chain as a command.", allow_abbrev=False)
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=CommandParser)
    for name in COMMANDS:
        p = sub.add_parser(name, help=HELP[name], description=HELP[name])
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
        ARGUMENTS[name](p)
        what = SETTINGS.get(name)
        p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                       help="any option of this command by name" + (f", or {what}" if what else "")
                            + " (repeatable)")
        p.set_defaults(_parser=p)
    return parser


def given_flags(parser: CommandParser, argv) -> set[str]:
    """The option names (dests) given on the command line of ``parser``'s command."""
    tokens = [str(t).split("=", 1)[0] for t in argv]
    return {dest for dest, action in parser.options.items() if set(action.option_strings) & set(tokens)}


def nearest(name: str, known) -> str:
    match = difflib.get_close_matches(name, list(known), n=1, cutoff=0.5)
    return f"; did you mean {match[0]}?" if match else ""


def apply_settings(args, argv) -> argparse.Namespace:
    """Move each ``--set NAME=VALUE`` that names an option of the command onto ``args`` (typed as the option
    types it); the others stay in ``args.settings`` for the command's own settings. A name set by a flag
    and by ``--set`` at once, or unknown to a command without settings of its own, is a ConfigError."""
    parser: CommandParser = args._parser
    changes = parse_assignments(args.set)
    flags = given_flags(parser, argv)
    settings = {}
    for name, text in changes.items():
        dest = name.replace("-", "_")
        if dest in parser.options:
            if dest in flags:
                raise ConfigError(f"{name} is given twice: as --{name.replace('_', '-')} and as --set {name}=...; "
                                  "give it once")
            setattr(args, dest, _typed(parser.options[dest], name, text))
        elif args.command in SETTINGS:
            settings[name] = text
        else:
            raise ConfigError(f"unknown setting {name} for scribblegap {args.command}"
                              f"{nearest(dest, parser.options)} (known: {', '.join(parser.options)})")
    args.settings, args.flags = settings, flags
    return args


def _typed(action: argparse.Action, name: str, text: str):
    """A ``--set`` value as the option would have parsed it."""
    if action.nargs == 0:  # a switch (--overwrite, --no-progress): --set gives the field's value itself
        if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
            raise ConfigError(f"--set {name}={text!r}: expected true or false")
        return text.lower() in ("true", "1", "yes")
    parts = text.split(",") if action.nargs in ("+", "*") else [text]
    try:
        values = [action.type(v) if action.type else v for v in parts]
    except argparse.ArgumentTypeError as exc:
        raise ConfigError(f"--set {name}={text!r}: {exc}") from None
    if action.choices is not None and any(v not in action.choices for v in values):
        raise ConfigError(f"--set {name}={text!r}: choose from {', '.join(map(str, action.choices))}")
    return values if action.nargs in ("+", "*") else values[0]
