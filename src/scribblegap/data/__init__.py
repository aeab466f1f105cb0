"""Data sets: the PASCAL VOC layout on disk and an embedded procedural default, in one in-memory form."""
from .labels import CLASS_SUBSETS, IGNORE, VOC_CLASSES, LabelSpace, voc_palette
from .voc import VOCSegmentation
from .synthetic import SceneConfig, SyntheticScenes
from .registry import load_dataset

__all__ = ["CLASS_SUBSETS", "IGNORE", "VOC_CLASSES", "LabelSpace", "voc_palette", "VOCSegmentation",
           "SceneConfig", "SyntheticScenes", "load_dataset"]
