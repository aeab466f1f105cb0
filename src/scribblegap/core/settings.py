"""Where the real data lives. Nothing is ever copied into the repository.

Order of precedence: the ``SCRIBBLEGAP_DATA`` environment variable, then ``../shared/data``
beside the current directory or beside the repository checkout.
"""
from __future__ import annotations

import os
from pathlib import Path

from scribblegap.core.errors import DataError

ENV_DATA = "SCRIBBLEGAP_DATA"
REPO_ROOT = Path(__file__).resolve().parents[3]  # src/scribblegap/core/settings.py -> repo (editable installs)


def data_root() -> Path | None:
    """The folder holding data sets (``voc12-mini/``, ``VOC2012/`` ...), or None when there is none."""
    if os.environ.get(ENV_DATA):
        return Path(os.environ[ENV_DATA]).expanduser()
    for base in (Path.cwd(), Path.cwd().parent, REPO_ROOT):
        candidate = (base / ".." / "shared" / "data").resolve()
        if candidate.is_dir():
            return candidate
    return None


def voc12_mini_dir(required: bool = True) -> Path | None:
    """The VOC12-mini folder; raises a clear error when it is required and absent."""
    root = data_root()
    path = None if root is None else root / "voc12-mini"
    if path is not None and (path / "ImageSets").is_dir():
        return path
    if required:
        raise DataError(path or "voc12-mini",
                        f"VOC12-mini not found; set {ENV_DATA} to the folder that contains voc12-mini/")
    return None


def resolve_data(spec: str | os.PathLike) -> Path:
    """A ``--data`` argument: a folder, or a data set name under the data root (``voc12-mini``)."""
    path = Path(spec).expanduser()
    if path.is_dir():
        return path
    root = data_root()
    if root is not None and (root / str(spec)).is_dir():
        return root / str(spec)
    raise DataError(spec, f"data folder not found (looked in the current directory and {ENV_DATA}={root})")


ENV_FIGURES = "SCRIBBLEGAP_FIGURES"


def figures_dir() -> Path:
    """Where figures are saved: ``$SCRIBBLEGAP_FIGURES`` (notebooks in CI mode point it at a temporary
    folder, so smoke figures never replace the recorded ones), else the repository's ``figures/``."""
    return Path(os.environ[ENV_FIGURES]) if os.environ.get(ENV_FIGURES) else REPO_ROOT / "figures"


ENV_CACHE = "SCRIBBLEGAP_CACHE"


def cache_dir() -> Path | None:
    """Where rendered embedded scenes are kept between processes: ``$SCRIBBLEGAP_CACHE`` (``off``: nowhere),
    else ``$XDG_CACHE_HOME/scribblegap`` (``~/.cache/scribblegap``). Everything there can be regenerated."""
    value = os.environ.get(ENV_CACHE, "")
    if value.lower() in ("off", "0", "none"):
        return None
    if value:
        return Path(value).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "scribblegap"
