"""The in-memory form every data set shares: ids, RGB images, dense masks, a label space."""
from __future__ import annotations

import copy

import numpy as np
from torch.utils.data import Dataset

from scribblegap.data.labels import LabelSpace, voc_palette


class SegmentationData(Dataset):
    """Indexable by position; ``data[i]`` is ``(image HxWx3 uint8, mask HxW uint8)``.

    Masks hold data set ids with classes outside ``self.labels.keep`` mapped to 255. Subclasses
    implement :meth:`_read_image` and :meth:`_read_mask`.
    """

    name = "segmentation"
    palette = voc_palette()

    def __init__(self, ids, labels: LabelSpace, split: str, transform=None):
        self.ids = list(ids)
        self.labels = labels
        self.split = split
        self.transform = transform

    def __len__(self) -> int:
        return len(self.ids)

    def _key(self, item) -> str:
        return item if isinstance(item, str) else self.ids[item]

    def image(self, item) -> np.ndarray:
        return self._read_image(self._key(item))

    def mask(self, item) -> np.ndarray:
        """Dense mask with the class subset applied."""
        key = self._key(item)
        return self.labels.apply(self._read_mask(key, self.image_shape(key)))

    def image_shape(self, item) -> tuple[int, int]:
        return self.image(item).shape[:2]

    def __getitem__(self, i):
        image, mask = self.image(i), self.mask(i)
        return self.transform(image, mask) if self.transform is not None else (image, mask)

    def head(self, n: int | None) -> "SegmentationData":
        """The same data set restricted to its first ``n`` ids (all when n is None)."""
        view = copy.copy(self)
        view.ids = self.ids if n is None else self.ids[:n]
        return view

    def with_ids(self, ids) -> "SegmentationData":
        view = copy.copy(self)
        view.ids = list(ids)
        return view

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.name!r}, split={self.split!r}, {len(self)} images, "
                f"classes={list(self.labels.kept_names)})")

    def _read_image(self, key: str) -> np.ndarray:
        raise NotImplementedError

    def _read_mask(self, key: str, shape) -> np.ndarray:
        raise NotImplementedError


def data_settings(dataset) -> dict:
    """What identifies a data set's outputs in a manifest: its name, split and kept classes (and the
    generator's knobs for the procedural scenes). Not how many images (``--limit``, the scenes' ``n_train``
    and ``n_val``): an image's output does not depend on how many others are processed."""
    out = {"data": dataset.name, "split": dataset.split, "classes": list(dataset.labels.keep)}
    config = getattr(dataset, "config", None)
    if config is not None and hasattr(config, "to_dict"):
        out["scenes"] = {k: v for k, v in config.to_dict().items() if k not in ("n_train", "n_val")}
    return out
