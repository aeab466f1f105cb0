"""PASCAL VOC layout reader: ``JPEGImages/``, ``SegmentationClass[Aug]/``, ``ImageSets/Segmentation/``, and
optionally ``classes.txt`` (the data set's own class names, colours and background; VOC's 21 without it).

Images are ``JPEGImages/<id>.jpg`` or ``<id>.png`` of any size; masks ``<id>.png`` of the same size holding
class ids (0 to the number of classes - 1) and 255 for void.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from scribblegap.core.errors import DataError
from scribblegap.core.io import read_image, read_label_png, read_text_file, verified_image_shape
from scribblegap.data.base import SegmentationData
from scribblegap.data.labels import CLASS_FILE, VOC_DATA_CLASSES, LabelSpace, read_class_file

IMAGE_SUFFIXES = (".jpg", ".png", ".jpeg")  # looked for in this order


def read_split(root: str | Path, split: str) -> list[str]:
    """The image ids of ``ImageSets/Segmentation/<split>.txt`` (first word of each non-empty line).

    Ids become file names under every output folder, so each must be a plain name, listed once.
    """
    path = Path(root) / "ImageSets" / "Segmentation" / f"{split}.txt"
    if not path.exists():
        raise DataError(path, f"split file for {split!r} is missing")
    text = read_text_file(path, "split file")
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

    ``classes``: None for all classes, ``"voc12-mini"`` for VOC's 7-class benchmark, or ids / names.
    ``mask_dir``: ``SegmentationClassAug`` when it exists, else ``SegmentationClass``. The class names, the
    background and the colours (``palette``) come from ``classes.txt`` when the folder has one.
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
        # read first: a bad class file stops a command before anything is written
        self.class_file = self.root / CLASS_FILE if (self.root / CLASS_FILE).exists() else None
        self.data_classes = read_class_file(self.class_file) if self.class_file else VOC_DATA_CLASSES
        self.palette = self.data_classes.palette
        self._valid = LabelSpace.create(self.data_classes.names).valid_values()
        labels = LabelSpace.create(self.data_classes.names, classes, background=self.data_classes.background)
        super().__init__(read_split(self.root, split), labels, split, transform)

    def image_path(self, item) -> Path:
        """``JPEGImages/<id>.jpg``, else the first of ``.png`` and ``.jpeg`` that exists (a missing image is
        reported under its ``.jpg`` name)."""
        stem = self.root / "JPEGImages" / self._key(item)
        return next((p for p in (stem.with_name(stem.name + s) for s in IMAGE_SUFFIXES) if p.is_file()),
                    stem.with_name(stem.name + IMAGE_SUFFIXES[0]))

    def mask_path(self, item) -> Path:
        return self.mask_root / f"{self._key(item)}.png"

    def _read_image(self, key: str) -> np.ndarray:
        return read_image(self.image_path(key))

    def image_shape(self, item) -> tuple[int, int]:
        return _image_shape(self.image_path(item))

    def _read_mask(self, key: str, shape) -> np.ndarray:
        path = self.mask_path(key)
        mask = read_label_png(path, shape, what="mask")
        bad = np.unique(mask[~self._valid[mask]])
        if bad.size:
            n = len(self.data_classes.names)
            where = CLASS_FILE if self.class_file else f"VOC's list (no {CLASS_FILE})"
            raise DataError(path, f"mask has values outside the allowed class ids: {bad[:10].tolist()} "
                                  f"({n} classes named by {where}: ids 0-{n - 1}, 255 void)")
        return mask


@lru_cache(maxsize=16384)
def _image_shape(path: Path) -> tuple[int, int]:
    """(H, W) of an image that decodes completely (cached); a missing, truncated or corrupt file raises
    DataError. Every path that writes outputs from a mask asks for this shape, so no output is ever made
    for an image that cannot be read."""
    return verified_image_shape(path)
