"""Class names, colours, and class subsets.

Files always hold the data set's own class ids (VOC ids 0-20, 255 = void/unlabelled). A
:class:`LabelSpace` says which ids count: the others become 255 when a mask or scribble is read.
Models work on contiguous indices ``0..K-1`` of the kept ids (:meth:`LabelSpace.to_index`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scribblegap.core.errors import ConfigError

from scribblegap.core.io import IGNORE  # noqa: E402,F401

VOC_CLASSES = (
    "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
    "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train",
    "tvmonitor",
)

# Named class subsets (VOC ids). "voc12-mini" is the benchmark protocol of ../shared/data/voc12-mini.
CLASS_SUBSETS = {
    "voc": tuple(range(21)),
    "voc12-mini": (0, 8, 10, 12, 13, 15, 17),  # background, cat, cow, dog, horse, person, sheep
}


def voc_palette(n: int = 256) -> np.ndarray:
    """The standard PASCAL VOC colour map, ``(n, 3) uint8`` (bit-interleaved class ids)."""
    pal = np.zeros((n, 3), dtype=np.uint8)
    for i in range(n):
        c, r, g, b = i, 0, 0, 0
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        pal[i] = (r, g, b)
    pal[IGNORE] = (255, 255, 255)
    return pal


@dataclass(frozen=True)
class LabelSpace:
    """All class names of a data set (indexed by id) and the ids kept for an experiment."""

    names: tuple[str, ...]
    keep: tuple[int, ...]

    def __post_init__(self):
        bad = [c for c in self.keep if not 0 <= c < len(self.names)]
        if bad:
            raise ConfigError(f"class ids {bad} are not in this data set's {len(self.names)} classes")

    @classmethod
    def create(cls, names, classes=None) -> "LabelSpace":
        """``classes``: None (all), a preset name (``"voc12-mini"``), or ids / names."""
        names = tuple(names)
        if classes is None or classes == "all":
            return cls(names, tuple(range(len(names))))
        if isinstance(classes, str):
            if classes in CLASS_SUBSETS:
                return cls(names, CLASS_SUBSETS[classes])
            classes = [c.strip() for c in classes.split(",")]
        keep = []
        for c in classes:
            if isinstance(c, str) and not c.isdigit():
                if c not in names:
                    raise ConfigError(f"unknown class {c!r}; known: {', '.join(names)} or presets "
                                      f"{', '.join(CLASS_SUBSETS)}")
                keep.append(names.index(c))
            else:
                keep.append(int(c))
        return cls(names, tuple(sorted(set(keep))))

    @property
    def num_classes(self) -> int:
        return len(self.keep)

    @property
    def kept_names(self) -> tuple[str, ...]:
        return tuple(self.names[c] for c in self.keep)

    @property
    def subset_lut(self) -> np.ndarray:
        """256-entry table: kept id -> itself, any other value -> 255."""
        lut = np.full(256, IGNORE, dtype=np.uint8)
        lut[list(self.keep)] = list(self.keep)
        return lut

    @property
    def index_lut(self) -> np.ndarray:
        """256-entry table: kept id -> its index 0..K-1, anything else -> 255."""
        lut = np.full(256, IGNORE, dtype=np.uint8)
        lut[list(self.keep)] = np.arange(len(self.keep))
        return lut

    def apply(self, labels: np.ndarray) -> np.ndarray:
        """Map ids outside the subset to 255 (ids stay ids)."""
        return self.subset_lut[labels]

    def to_index(self, labels: np.ndarray) -> np.ndarray:
        return self.index_lut[labels]

    def to_ids(self, index_map: np.ndarray) -> np.ndarray:
        """Contiguous indices (255 passes through) back to data set ids."""
        lut = np.full(256, IGNORE, dtype=np.uint8)
        lut[: len(self.keep)] = self.keep
        return lut[index_map]

    def valid_values(self) -> np.ndarray:
        """Boolean table of values a label file may hold: any class id of the data set, or 255."""
        ok = np.zeros(256, dtype=bool)
        ok[: len(self.names)] = True
        ok[IGNORE] = True
        return ok
