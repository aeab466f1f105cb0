"""Output folders: each says what made it (``manifest.json``, written before its first file), and one
process at a time writes into it (``.lock``).

A rerun with the same settings resumes; with other settings it stops with a message naming what differs
(or, with ``overwrite``, empties the folder first), so a folder never mixes files of two settings.
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


def check_or_write(folder, settings: dict, what: str = "output", overwrite: bool = False, normalise=None) -> None:
    """``normalise``: applied to the recorded settings before comparing (a manifest of an older version)."""
    folder = Path(folder)
    path = folder / MANIFEST
    settings = _normalised(settings)
    if path.is_file():
        try:
            recorded = json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataError(path, f"manifest does not parse ({exc}); delete the folder to start again") from None
        changed = differences(_normalised(normalise(recorded)) if normalise else recorded, settings)
        if not changed:
            return
        if not overwrite:
            raise ConfigError(f"{folder} holds {what} made with other settings ({', '.join(changed[:5])} "
                              "differ); use another output folder, or --overwrite to replace it "
                              "(scribblegap run: delete it)")
        for child in folder.iterdir():
            if child.name != LOCK:
                shutil.rmtree(child) if child.is_dir() else child.unlink()
    write_json(path, settings)


@contextlib.contextmanager
def claimed(folder, settings: dict, what: str = "output", overwrite: bool = False, normalise=None):
    """Lock ``folder`` and make sure it holds (or will hold) only outputs of ``settings``."""
    with folder_lock(folder):
        check_or_write(folder, settings, what, overwrite, normalise)
        yield Path(folder)


def check_output_folder(path, what: str = "output folder") -> Path:
    """``path`` must be a folder or not exist yet: outputs cannot go into a regular file."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise DataError(path, f"{what} is an existing file, not a folder")
    return path


@contextlib.contextmanager
def claimed_folder(folder, settings: dict, what: str = "output", overwrite: bool = False,
                   shard: str | None = None):
    """:func:`claimed` for a stage's output folder, plus two things.

    A run that fails before it wrote any output leaves the folder as it found it (no manifest that
    would pin settings nobody produced files with). A sharded run (``"K/N"``) checks the manifest under
    the folder's lock (waiting up to 30 s for it: shards start together) but then holds only its own
    shard's lock, since the other shards fill the same folder at the same time.
    """
    folder = check_output_folder(folder)
    existed, had_manifest = folder.is_dir(), (folder / MANIFEST).is_file()
    before = {p.name for p in folder.iterdir()} if existed else set()

    def undo():  # only when this run wrote the manifest and nothing else
        if shard or had_manifest or not folder.is_dir():
            return
        if not {p.name for p in folder.iterdir()} - before - {MANIFEST, LOCK}:
            (folder / MANIFEST).unlink(missing_ok=True)
            if not existed:
                (folder / LOCK).unlink(missing_ok=True)
                folder.rmdir()

    if shard:
        folder.mkdir(parents=True, exist_ok=True)
        # shards started together queue for the manifest check (a second or so) instead of failing
        with locked(folder / LOCK, wait=30):
            check_or_write(folder, settings, what, overwrite)
        with locked(folder / f"{LOCK}.shard-{shard.replace('/', '-of-')}",
                    f"{folder} is being written by another process of shard {shard}"):
            yield folder
        return
    with claimed(folder, settings, what, overwrite):
        try:
            yield folder
        except BaseException:
            undo()
            raise
