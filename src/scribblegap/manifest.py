"""Every output folder says what made it: ``manifest.json``, written before the folder's first file.

A rerun with the same settings resumes; with other settings it stops with a message naming what differs
(or, with ``overwrite``, empties the folder first), so a folder never mixes files of two settings.
:func:`claimed` also holds the folder's lock, so two processes cannot fill one folder at once.
"""
from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path

from .errors import ConfigError, DataError
from .io import folder_lock, write_json

MANIFEST = "manifest.json"


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
            if child.name != ".lock":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
    write_json(path, settings)


@contextlib.contextmanager
def claimed(folder, settings: dict, what: str = "output", overwrite: bool = False, normalise=None):
    """Lock ``folder`` and make sure it holds (or will hold) only outputs of ``settings``."""
    with folder_lock(folder):
        check_or_write(folder, settings, what, overwrite, normalise)
        yield Path(folder)
