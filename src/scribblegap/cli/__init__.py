"""``python -m scribblegap <command>``: thin wrappers over the package's functions.

Each command is a module of this package with ``HELP``, ``add_arguments(parser)`` and ``main(args)``;
heavy imports stay inside ``main`` so ``--help`` is instant. Bad input ends the command with one line
on stderr and a non-zero exit status (``--debug`` shows the traceback).
"""
from __future__ import annotations

import argparse
import importlib
import sys

from ..errors import ScribblegapError

# in the order data flows through the pipeline
COMMANDS = ["overview", "download", "simulate", "stats", "local", "train", "predict", "evaluate", "fuse",
            "run", "report"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scribblegap", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f".{name}", __name__)
        p = sub.add_parser(name, help=module.HELP, description=module.HELP,
                           formatter_class=argparse.ArgumentDefaultsHelpFormatter)
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
        module.add_arguments(p)
        p.set_defaults(_main=module.main)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args._main(args) or 0
    except ScribblegapError as exc:
        if args.debug:
            raise
        print(f"scribblegap {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"scribblegap {args.command}: interrupted; finished files are kept, rerun to resume",
              file=sys.stderr)
        return 130
