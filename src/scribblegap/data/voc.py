"""PASCAL VOC layout reader: ``JPEGImages/``, ``SegmentationClass[Aug]/``, ``ImageSets/Segmentation/``."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from scribblegap.core.errors import DataError
from scribblegap.core.io import read_image, read_label_png, verified_image_shape
from scribblegap.data.base import SegmentationData
from scribblegap.data.labels import VOC_CLASSES, LabelSpace


def read_split(root: str | Path, split: str) -> list[str]:
    """The image ids of ``ImageSets/Segmentation/<split>.txt`` (first word of each non-empty line).

    Ids become file names under every output folder, so each must be a plain name, listed once.
    """
    path = Path(root) / "ImageSets" / "Segmentation" / f"{split}.txt"
    if not path.exists():
        raise DataError(path, f"split file for {split!r} is missing")
    if not path.is_file():
        raise DataError(path, "split file is not a regular file")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise DataError(path, f"cannot read split file ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise DataError(path, f"split file is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
                              f"{exc.start})") from None
    ids, line_of = [], {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        key = line.split()[0]
        if key.startswith(".") or any(c in key for c in "/\\\0") or ".." in key:
            raise DataError(path, f"line {number}: image id {key!r} is not a plain file name")
        if key in line_of:
            raise DataError(path, f"image id {key!r} is listed twice (lines {line_of[key]} and {number})")
        line_of[key] = number
        ids.append(key)
    if not ids:
        raise DataError(path, "split file lists no images")
    return ids


class VOCSegmentation(SegmentationData):
    """Images and dense masks of one split of a VOC-layout folder.

    ``classes``: None for all 21 classes, ``"voc12-mini"`` for the 7-class benchmark, or a list.
    ``mask_dir``: ``SegmentationClassAug`` when it exists, else ``SegmentationClass``.
    """

    name = "voc"

    def __init__(self, root, split: str = "train", classes=None, mask_dir: str | None = None,
                 transform=None):
        self.root = Path(root)
        if not self.root.is_dir():
            raise DataError(self.root, "data folder is missing")
        if mask_dir is None:
            mask_dir = "SegmentationClassAug" if (self.root / "SegmentationClassAug").is_dir() \
                else "SegmentationClass"
        self.mask_root = self.root / mask_dir
        self.name = self.root.name
        super().__init__(read_split(self.root, split), LabelSpace.create(VOC_CLASSES, classes), split,
                         transform)

    def image_path(self, item) -> Path:
        return self.root / "JPEGImages" / f"{self._key(item)}.jpg"

    def mask_path(self, item) -> Path:
        return self.mask_root / f"{self._key(item)}.png"

    def _read_image(self, key: str) -> np.ndarray:
        return read_image(self.image_path(key))

    def image_shape(self, item) -> tuple[int, int]:
        return _jpeg_shape(self.image_path(item))

    def _read_mask(self, key: str, shape) -> np.ndarray:
        return read_label_png(self.mask_path(key), shape, _VALID, what="mask")


_VALID = LabelSpace.create(VOC_CLASSES).valid_values()


@lru_cache(maxsize=16384)
def _jpeg_shape(path: Path) -> tuple[int, int]:
    """(H, W) of an image that decodes completely (cached); a missing, truncated or corrupt file raises
    DataError. Every path that writes outputs from a mask asks for this shape, so no output is ever made
    for an image that cannot be read."""
    return verified_image_shape(path)
