"""``python -m scribblegap <command>``: thin wrappers over the package's functions.

The options of every command live in :mod:`scribblegap.cli.arguments` (no heavy imports, so ``--help`` is
instant); each command's ``main(args)`` lives in the module of its name, imported only when the command
runs. Bad input ends the command with one line on stderr and exit status 2 (``--debug`` shows the traceback).
"""
from __future__ import annotations

import errno
import importlib
import sys

from scribblegap.cli.arguments import COMMANDS, apply_settings, build_parser
from scribblegap.core.errors import ScribblegapError

__all__ = ["COMMANDS", "build_parser", "main"]


# what to do about the causes a user can fix (the finished files are complete: see core.io.atomic_path)
ADVICE = {errno.ENOSPC: "free some space and rerun: finished files are kept and the run resumes",
          errno.EDQUOT: "free some space and rerun: finished files are kept and the run resumes",
          errno.EROFS: "choose a writable output folder", errno.EACCES: "choose a writable output folder",
          errno.EPERM: "choose a writable output folder"}


def system_refusal(exc: OSError, out=None) -> str:
    """An OSError as one line: the path (a failed write that names none was writing into ``out``), the
    cause, and what to do about it."""
    path = exc.filename if exc.filename is not None else out
    cause = exc.strerror or next((t for t in str(exc).splitlines() if t.strip()), type(exc).__name__)
    advice = ADVICE.get(exc.errno)
    line = f"{path}: {cause}" if path is not None else cause
    return f"{line}; {advice}" if advice else line


def end_progress_bars() -> None:
    """Close the progress bars an error left open: tqdm ends a bar's line only when it closes, so the error
    would otherwise share the bar's line. (No bar exists unless tqdm was imported.)"""
    tqdm = getattr(sys.modules.get("tqdm"), "tqdm", None)
    for bar in list(getattr(tqdm, "_instances", ())):
        bar.close()


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and getattr(args, "names", None) is not None and not any(e.startswith("-") for e in extra):
        args.names = [*args.names, *extra]  # `notebooks execute --smoke 01 05`: names after a flag
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        apply_settings(args, argv)
        command = importlib.import_module(f"scribblegap.cli.{args.command.replace('-', '_')}")  # torch loads here
        return command.main(args) or 0
    except ScribblegapError as exc:
        if args.debug:
            raise
        end_progress_bars()
        print(f"scribblegap {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a full disk, a read-only folder, a path under a file, no permission
        if args.debug:
            raise
        end_progress_bars()
        print(f"scribblegap {args.command}: error: {system_refusal(exc, getattr(args, 'out', None))}",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"scribblegap {args.command}: interrupted; finished files are kept, rerun to resume",
              file=sys.stderr)
        return 130
