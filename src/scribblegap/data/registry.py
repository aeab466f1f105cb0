"""Open a data set by name or folder: ``default`` (embedded) or a VOC-layout folder (``voc12-mini``)."""
from __future__ import annotations

from ..settings import resolve_data
from .synthetic import SceneConfig, SyntheticScenes
from .voc import VOCSegmentation

DEFAULT = "default"


def load_dataset(data, split: str = "train", classes=None, scene_config: SceneConfig | None = None,
                 limit: int | None = None):
    """``data``: ``"default"`` for the procedural scenes, else a VOC-layout folder or a name under the data root.

    ``classes`` defaults to the 7-class protocol for VOC12-mini and to every class otherwise.
    """
    if str(data) == DEFAULT:
        ds = SyntheticScenes(split, scene_config, classes=classes)
    else:
        root = resolve_data(data)
        if classes is None and root.name == "voc12-mini":
            classes = "voc12-mini"
        ds = VOCSegmentation(root, split, classes=classes)
    return ds.head(limit)
