"""Data sets: the PASCAL VOC layout on disk and an embedded procedural default, in one in-memory form."""
from scribblegap.data.labels import CLASS_SUBSETS, IGNORE, VOC_CLASSES, LabelSpace, voc_palette
from scribblegap.data.voc import VOCSegmentation
from scribblegap.data.synthetic import SceneConfig, SyntheticScenes
from scribblegap.data.registry import load_dataset

__all__ = ["CLASS_SUBSETS", "IGNORE", "VOC_CLASSES", "LabelSpace", "voc_palette", "VOCSegmentation",
           "SceneConfig", "SyntheticScenes", "load_dataset"]
