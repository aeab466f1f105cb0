"""``python -m scribblegap <command>``: thin wrappers over the package's functions.

The options of every command live in :mod:`scribblegap.cli.arguments` (no heavy imports, so ``--help`` is
instant); each command's ``main(args)`` lives in the module of its name, imported only when the command
runs. Bad input ends the command with one line on stderr and exit status 2 (``--debug`` shows the traceback).
"""
from __future__ import annotations

import importlib
import sys

from scribblegap.cli.arguments import COMMANDS, apply_settings, build_parser
from scribblegap.core.errors import ScribblegapError

__all__ = ["COMMANDS", "build_parser", "main"]


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    try:
        apply_settings(args, argv)
        command = importlib.import_module(f"scribblegap.cli.{args.command.replace('-', '_')}")  # torch loads here
        return command.main(args) or 0
    except ScribblegapError as exc:
        if args.debug:
            raise
        print(f"scribblegap {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"scribblegap {args.command}: interrupted; finished files are kept, rerun to resume",
              file=sys.stderr)
        return 130
