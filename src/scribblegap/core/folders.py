"""Output folders: each says what made it (``manifest.json``, written before its first file), and one
process at a time writes into it (``.lock``).

A rerun with the same settings resumes; with other settings it stops with a message naming what differs
(or, with ``overwrite``, empties the folder first), so a folder never mixes files of two settings. The
manifest also names the command that wrote the folder (``written_by``): ``overwrite`` empties only a
folder of its own command, never one of another command or one of files no manifest lists, and
:func:`check_not_input` keeps every output away from the paths its command reads.
:func:`locked` is the package's one lock: an exclusive ``flock`` on a file, which the operating system
releases when its holder dies, so a killed run never leaves a folder locked.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import shutil
import time
from pathlib import Path

from scribblegap.core.errors import ConfigError, DataError
from scribblegap.core.io import write_json

MANIFEST = "manifest.json"
LOCK = ".lock"
WRITER = "written_by"  # the manifest field naming the command that wrote the folder


@contextlib.contextmanager
def locked(path, busy: str | None = None, wait: float | None = 0):
    """Hold an exclusive lock on the file ``path`` for the block.

    ``wait``: seconds to wait for a lock another process holds (None: as long as it takes); after that,
    :class:`ConfigError` (``busy``, or a sentence naming the path)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        if wait is None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        else:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise ConfigError(f"{busy or f'{path.parent} is being written by another process'}; "
                                          "wait for it or use another output folder") from None
                    time.sleep(0.1)
        yield


def folder_lock(folder):
    """Hold ``<folder>/.lock`` for the block: a second process writing into the same folder stops at once."""
    return locked(Path(folder) / LOCK)


def _normalised(settings: dict) -> dict:
    return json.loads(json.dumps(settings, default=str))  # tuples, paths and numbers as JSON stores them


def differences(recorded: dict, settings: dict, prefix: str = "") -> list[str]:
    """Names of the settings whose values differ (nested dicts compared key by key)."""
    out = []
    for key in sorted(set(recorded) | set(settings)):
        a, b = recorded.get(key), settings.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += differences(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix}{key}")
    return out


def _recorded(folder: Path) -> dict | None:
    """The settings the folder's manifest records, or None when it has none."""
    path = folder / MANIFEST
    if not path.is_file():
        return None
    try:
        recorded = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(path, f"manifest does not parse ({exc}); delete the folder to start again") from None
    if not isinstance(recorded, dict):
        raise DataError(path, "manifest is not a JSON object; delete the folder to start again")
    return recorded


def _unlisted(folder: Path) -> list[str]:
    """What the folder holds besides its lock files."""
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith(LOCK)) if folder.is_dir() else []


def check_claim(folder, settings: dict, what: str = "output", overwrite: bool = False, normalise=None,
                writer: str | None = None) -> str:
    """What claiming ``folder`` for ``settings`` would do, changing nothing: ``"resume"`` (its manifest
    records these settings), ``"write"`` (no manifest yet) or ``"replace"`` (``overwrite`` of another run
    of the same ``writer``). Everything else is refused, ``overwrite`` or not: a folder another command
    wrote, and, for ``overwrite``, a folder of files no manifest lists or whose manifest names no command
    (made before manifests did): ``overwrite`` removes only what this command wrote.

    ``normalise``: applied to the recorded settings before comparing (a manifest of an older version).
    A recorded writer is not a setting: a manifest without one still resumes with the same settings."""
    folder = Path(folder)
    recorded = _recorded(folder)
    if recorded is None:
        if overwrite and _unlisted(folder):
            raise ConfigError(f"{folder} holds files that no manifest lists ({', '.join(_unlisted(folder)[:3])}"
                              "); --overwrite replaces only what scribblegap wrote: use another output folder")
        return "write"
    by = recorded.pop(WRITER, None)
    if writer and by and by != writer:
        raise ConfigError(f"{folder} holds the output of scribblegap {by}, not of {writer}; "
                          "use another output folder")
    changed = differences(_normalised(normalise(recorded)) if normalise else recorded, _normalised(settings))
    if not changed:
        return "resume"
    if not overwrite:
        raise ConfigError(f"{folder} holds {what} made with other settings ({', '.join(changed[:5])} "
                          "differ); use another output folder, or --overwrite to replace it "
                          "(scribblegap run: delete it)")
    if writer and not by:
        raise ConfigError(f"{folder} holds {what} made with other settings ({', '.join(changed[:5])} differ) "
                          "and its manifest names no command; --overwrite replaces only what it knows this "
                          "command wrote: use another output folder, or delete it")
    return "replace"


def check_or_write(folder, settings: dict, what: str = "output", overwrite: bool = False, normalise=None,
                   writer: str | None = None) -> None:
    """:func:`check_claim`, then act on it: resume, write the manifest, or empty the folder and write it.
    The manifest records ``writer`` (the command) beside the settings."""
    folder = Path(folder)
    verdict = check_claim(folder, settings, what, overwrite, normalise, writer)
    if verdict == "resume":
        return
    if verdict == "replace":
        for child in folder.iterdir():
            if not child.name.startswith(LOCK):
                shutil.rmtree(child) if child.is_dir() else child.unlink()
    write_json(folder / MANIFEST, {**({WRITER: writer} if writer else {}), **_normalised(settings)})


@contextlib.contextmanager
def claimed(folder, settings: dict, what: str = "output", overwrite: bool = False, normalise=None,
            writer: str | None = None):
    """Lock ``folder`` and make sure it holds (or will hold) only outputs of ``settings``."""
    with folder_lock(folder):
        check_or_write(folder, settings, what, overwrite, normalise, writer)
        yield Path(folder)


def check_output_folder(path, what: str = "output folder") -> Path:
    """``path`` must be a folder or not exist yet (outputs cannot go into a regular file), under a folder."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise DataError(path, f"{what} is an existing file, not a folder")
    above = next((p for p in path.parents if p.exists()), None)
    if above is not None and not above.is_dir():
        raise DataError(path, f"cannot make the {what} under {above}: it is a file, not a folder")
    return path


def check_not_input(out, inputs: dict, option: str = "--out") -> None:
    """Outputs never replace inputs: ``out`` may not be one of the paths a command reads, lie inside one,
    or contain one (``--overwrite`` would empty it), compared as resolved paths (links followed).
    ``inputs``: ``{what it is: path}``; None paths (data without a folder) are skipped."""
    if out is None:
        return
    target = Path(out).expanduser().resolve()
    clashes = []  # (rank, relation, what, path): the input itself first, then the nearest one around or below
    for what, source in inputs.items():
        if source is None:
            continue
        held = Path(source).expanduser().resolve()
        if target == held:
            clashes.append((0, "is", what, source))
        elif held in target.parents:
            clashes.append((1 + target.parents.index(held), "lies inside", what, source))
        elif target in held.parents:
            clashes.append((1 + held.parents.index(target), "contains", what, source))
    if clashes:
        _, relation, what, source = min(clashes, key=lambda clash: clash[0])
        raise DataError(out, f"{option} {relation} the {what} {source} that this command reads; outputs "
                             "never replace inputs (--overwrite neither): choose another path")


def _first_missing(folder: Path) -> Path | None:
    """The outermost folder that making ``folder`` creates (None: it exists)."""
    if folder.exists():
        return None
    top = folder
    while not top.parent.exists() and top.parent != top:
        top = top.parent
    return top


def _remove_empty(folder: Path, top: Path) -> None:
    """Remove ``folder`` and the parents up to ``top`` that this run made and left empty."""
    for path in (folder, *folder.parents):
        if not path.is_dir() or any(path.iterdir()):
            return
        path.rmdir()
        if path == top:
            return


@contextlib.contextmanager
def claimed_folder(folder, settings: dict, what: str = "output", overwrite: bool = False,
                   shard: str | None = None, normalise=None, writer: str | None = None):
    """:func:`claimed` for a stage's output folder, plus three things.

    A refused claim leaves nothing behind: it is checked before the folder or its lock is made. A run
    that fails before it wrote any output leaves the folder as it found it (no manifest that would pin
    settings nobody produced files with, no folder it made). A sharded run (``"K/N"``) checks the
    manifest under the folder's lock (waiting up to 30 s for it: shards start together) but then holds
    only its own shard's lock, since the other shards fill the same folder at the same time.
    """
    folder = check_output_folder(folder)
    check_claim(folder, settings, what, overwrite, normalise, writer)  # again under the lock: it may change
    made, had_manifest = _first_missing(folder), (folder / MANIFEST).is_file()
    before = {p.name for p in folder.iterdir()} if made is None else set()

    def undo():  # only when this run wrote the manifest and nothing else
        if shard or had_manifest or not folder.is_dir():
            return
        if not {p.name for p in folder.iterdir()} - before - {MANIFEST, LOCK}:
            (folder / MANIFEST).unlink(missing_ok=True)
            if made is not None:
                (folder / LOCK).unlink(missing_ok=True)
                _remove_empty(folder, made)

    if shard:
        folder.mkdir(parents=True, exist_ok=True)
        # shards started together queue for the manifest check (a second or so) instead of failing
        with locked(folder / LOCK, wait=30):
            check_or_write(folder, settings, what, overwrite, normalise, writer)
        with locked(folder / f"{LOCK}.shard-{shard.replace('/', '-of-')}",
                    f"{folder} is being written by another process of shard {shard}"):
            yield folder
        return
    with claimed(folder, settings, what, overwrite, normalise, writer):
        try:
            yield folder
        except BaseException:
            undo()  # under the lock: no other process has claimed the folder meanwhile
            raise
