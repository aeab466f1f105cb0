"""Reading images and label maps with clear errors; writing files atomically.

Every writer goes through :func:`atomic_path`: the file appears under its final name only when it is
complete, so an interrupted run never leaves a half-written PNG or checkpoint behind.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from .errors import DataError

IGNORE = 255
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_json(path: str | os.PathLike, obj) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n")


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o)}")


def read_image(path: str | os.PathLike) -> np.ndarray:
    """An RGB image as ``(H, W, 3) uint8``; corrupt, truncated or missing files raise :class:`DataError`."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "image file is missing")
    try:
        with Image.open(path) as im:
            im.load()  # decode now, so truncation is caught here and not later in a worker
            return np.array(im.convert("RGB"))
    except (OSError, SyntaxError, ValueError) as exc:
        raise DataError(path, f"cannot decode image ({exc})") from None


def read_label_png(path: str | os.PathLike, shape: tuple[int, int] | None = None,
                   valid: np.ndarray | None = None, what: str = "label map") -> np.ndarray:
    """A single-channel class-id PNG as ``(H, W) uint8`` (palette indices for palette PNGs).

    ``shape`` is the (H, W) it must have; ``valid`` a boolean table of 256 allowed values.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(path, f"{what} file is missing")
    try:
        with Image.open(path) as im:
            im.load()
            if im.mode not in ("P", "L"):
                raise DataError(path, f"{what} must be a single-channel (palette or grey) PNG, got mode {im.mode}")
            arr = np.array(im)
    except DataError:
        raise
    except (OSError, SyntaxError, ValueError) as exc:
        raise DataError(path, f"cannot decode {what} ({exc})") from None
    if shape is not None and arr.shape != tuple(shape):
        raise DataError(path, f"{what} size {arr.shape[1]}x{arr.shape[0]} differs from its image "
                              f"{shape[1]}x{shape[0]}")
    if valid is not None:
        bad = np.unique(arr[~valid[arr]])
        if bad.size:
            raise DataError(path, f"{what} has values outside the allowed class ids: {bad[:10].tolist()}")
    return arr


def write_label_png(path: str | os.PathLike, labels: np.ndarray, palette: np.ndarray | None = None) -> None:
    """Write a ``(H, W) uint8`` class-id map as a (palette) PNG, atomically."""
    labels = np.asarray(labels)
    if labels.dtype != np.uint8 or labels.ndim != 2:
        raise ValueError(f"label map must be 2-D uint8, got {labels.dtype} {labels.shape}")
    im = Image.fromarray(labels)  # mode L; putpalette turns it into a palette image
    if palette is not None:
        im.putpalette(np.asarray(palette, dtype=np.uint8).ravel().tolist())
    with atomic_path(path) as tmp:
        im.save(tmp, format="PNG")


@contextlib.contextmanager
def folder_lock(folder: str | os.PathLike):
    """Hold ``<folder>/.lock`` for the block: a second process writing into the same folder stops at once."""
    import fcntl

    from .errors import ConfigError

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(f"{folder} is being written by another process; wait for it or use another "
                              "output folder") from None
        yield
