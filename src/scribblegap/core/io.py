"""Reading images and label maps with clear errors; writing files atomically.

Every writer goes through :func:`atomic_path`: the file appears under its final name only when it is
complete, so an interrupted run never leaves a half-written PNG or checkpoint behind.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

from scribblegap.core.errors import DataError

IGNORE = 255  # the label of unlabelled / void pixels everywhere in the package
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


def one_line(exc: BaseException, limit: int = 240) -> str:
    """An exception's message as one line (the CLI prints errors as one line): the first non-empty line,
    shortened. torch's weights-only refusal puts its reason after a paragraph of advice: that reason."""
    text = str(exc)
    if "WeightsUnpickler error:" in text:
        text = text.split("WeightsUnpickler error:", 1)[1]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    line = lines[0] if lines else type(exc).__name__
    if line.endswith(":") and len(lines) > 1:  # a heading ("Error(s) in loading state_dict for X:"): add its first item
        line = f"{line} {lines[1]}"
    return line if len(line) <= limit else line[: limit - 3] + "..."


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


# what PIL raises for a file it cannot decode (a decompression bomb is refused before decoding)
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError)


@contextlib.contextmanager
def _decoding(path: Path, what: str):
    """Turn PIL's errors (and its decompression-bomb warning) into one :class:`DataError` naming ``path``."""
    try:
        with warnings.catch_warnings():
            # PIL only warns between MAX_IMAGE_PIXELS and twice that; a label file that large is not ours
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except DataError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise DataError(path, f"{what} is too large to decode safely ({one_line(exc)})") from None
    except _DECODE_ERRORS as exc:
        raise DataError(path, f"cannot decode {what} ({one_line(exc)})") from None


def read_image(path: str | os.PathLike) -> np.ndarray:
    """An RGB image as ``(H, W, 3) uint8``; corrupt, truncated or missing files raise :class:`DataError`."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "image file is missing")
    with _decoding(path, "image"), Image.open(path) as im:
        im.load()  # decode now, so truncation is caught here and not later in a worker
        return np.array(im.convert("RGB"))


def verified_image_shape(path: str | os.PathLike) -> tuple[int, int]:
    """``(H, W)`` of an image after decoding all of it (a JPEG at 1/8 scale, about 1 ms), so that a
    truncated or corrupt file is a :class:`DataError` here rather than an unnoticed bad output later."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "image file is missing")
    with _decoding(path, "image"), Image.open(path) as im:
        shape = im.size[1], im.size[0]
        im.draft(im.mode, (max(1, shape[1] // 8), max(1, shape[0] // 8)))  # JPEG only; others ignore it
        im.load()
        return shape


def read_label_png(path: str | os.PathLike, shape: tuple[int, int] | None = None,
                   valid: np.ndarray | None = None, what: str = "label map") -> np.ndarray:
    """A single-channel class-id PNG as ``(H, W) uint8`` (palette indices for palette PNGs).

    ``shape`` is the (H, W) it must have; ``valid`` a boolean table of 256 allowed values.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(path, f"{what} file is missing")
    with _decoding(path, what), Image.open(path) as im:
        im.load()
        if im.mode not in ("P", "L"):
            raise DataError(path, f"{what} must be a single-channel (palette or grey) PNG, got mode {im.mode}")
        arr = np.array(im)
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
