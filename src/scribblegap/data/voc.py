"""PASCAL VOC layout reader: ``JPEGImages/``, ``SegmentationClass[Aug]/``, ``ImageSets/Segmentation/``."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import DataError
from ..io import read_image, read_label_png
from .base import SegmentationData
from .labels import VOC_CLASSES, LabelSpace


def read_split(root: str | Path, split: str) -> list[str]:
    path = Path(root) / "ImageSets" / "Segmentation" / f"{split}.txt"
    if not path.is_file():
        raise DataError(path, f"split file for {split!r} is missing")
    ids = [line.strip().split()[0] for line in path.read_text().splitlines() if line.strip()]
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
    """(H, W) from the header alone (cheap); a missing or unreadable file raises DataError."""
    if not path.is_file():
        raise DataError(path, "image file is missing")
    try:
        with Image.open(path) as im:
            return im.size[1], im.size[0]
    except (OSError, SyntaxError, ValueError) as exc:
        raise DataError(path, f"cannot decode image ({exc})") from None
