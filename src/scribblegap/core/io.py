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
from PIL import Image, ImageOps

from scribblegap.core.errors import DataError

IGNORE = 255  # the label of unlabelled / void pixels everywhere in the package
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    A failed write (a full disk, a read-only folder) leaves no temporary file behind and raises an
    OSError that names ``path``: a write's own error names no file, or only the temporary one."""
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, path)
    except OSError as exc:
        temporary = exc.filename is not None and os.path.basename(exc.filename).startswith(f".{path.name}.")
        if exc.errno is None or (exc.filename is not None and not temporary):
            raise  # not a failed write (a decoding error), or one that names its own file
        raise OSError(exc.errno, exc.strerror, str(path)) from exc
    finally:
        if tmp is not None and os.path.exists(tmp):
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


# image modes PIL's own conversion turns into RGB correctly (alpha dropped, CMYK and YCbCr converted)
_RGB_MODES = {"1", "L", "LA", "P", "PA", "RGB", "RGBA", "RGBX", "CMYK", "YCbCr"}
# greyscale deeper than 8 bits: PIL's conversion clips it (a 16-bit image reads as white), so it is scaled here
_WIDE_GREY = {"I;16", "I;16L", "I;16B", "I;16N", "I"}
_QUARTER_TURNS = {5, 6, 7, 8}  # EXIF orientations that swap the image's width and height
_ORIENTATION = 0x0112


def _check_mode(im: Image.Image, path: Path) -> None:
    """Refuse the images no reader here turns into RGB faithfully (never a silent constant image)."""
    if im.mode not in _RGB_MODES | _WIDE_GREY:
        raise DataError(path, f"image mode {im.mode} is not supported (expected RGB, greyscale, palette, "
                              "CMYK or 16-bit greyscale)")
    if im.mode in ("P", "PA") and not im.getpalette():
        raise DataError(path, "palette image has no colour table")


def _as_rgb(im: Image.Image, path: Path) -> np.ndarray:
    if im.mode in _WIDE_GREY:
        grey = np.asarray(im)
        if grey.min() < 0 or grey.max() > 65535:
            raise DataError(path, f"{im.mode} image has values outside 0-65535, not a 16-bit greyscale image")
        grey = (grey.astype(np.uint32) >> 8).astype(np.uint8)  # 16 bits to 8: the high byte
        return np.repeat(grey[..., None], 3, axis=2)
    if im.mode in ("P", "PA"):
        colours = len(im.getpalette()) // 3
        used = int(np.asarray(im.getchannel(0) if im.mode == "PA" else im).max())
        if used >= colours:
            raise DataError(path, f"palette image uses colour {used} but its table holds {colours}")
    return np.array(im.convert("RGB"))


def read_image(path: str | os.PathLike) -> np.ndarray:
    """An RGB image as ``(H, W, 3) uint8``, turned upright by its EXIF orientation; corrupt, truncated or
    missing files, and modes that do not convert faithfully, raise :class:`DataError`."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "image file is missing")
    with _decoding(path, "image"), Image.open(path) as im:
        im.load()  # decode now, so truncation is caught here and not later in a worker
        _check_mode(im, path)
        return _as_rgb(ImageOps.exif_transpose(im), path)


def verified_image_shape(path: str | os.PathLike) -> tuple[int, int]:
    """``(H, W)`` of an image after decoding all of it (a JPEG at 1/8 scale, about 1 ms), so that a
    truncated or corrupt file is a :class:`DataError` here rather than an unnoticed bad output later.
    The shape is that of :func:`read_image`'s array (after the EXIF orientation), and an image that
    :func:`read_image` refuses is refused here too."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "image file is missing")
    with _decoding(path, "image"), Image.open(path) as im:
        _check_mode(im, path)
        shape = im.size[1], im.size[0]
        turned = im.getexif().get(_ORIENTATION, 1) in _QUARTER_TURNS
        im.draft(im.mode, (max(1, shape[1] // 8), max(1, shape[0] // 8)))  # JPEG only; others ignore it
        im.load()
        if im.mode in _WIDE_GREY | {"P", "PA"}:
            _as_rgb(im, path)  # values it cannot convert are refused here, before any output is made
        return shape[::-1] if turned else shape


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


def read_text_file(path, what: str) -> str:
    """A UTF-8 text file (a byte-order mark allowed) that a data set carries: a split file, ``classes.txt``;
    a missing, unreadable or undecodable file is a :class:`DataError` naming it."""
    path = Path(path)
    if not path.exists():
        raise DataError(path, f"{what} is missing")
    if not path.is_file():
        raise DataError(path, f"{what} is not a regular file")
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise DataError(path, f"cannot read {what} ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise DataError(path, f"{what} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
                              f"{exc.start})") from None
