"""Open a data set by name or folder: ``default`` (embedded), ``example-own-data`` (the worked example of a
folder with its own classes, :mod:`scribblegap.data.example`) or a VOC-layout folder (``voc12-mini``)."""
from __future__ import annotations

from scribblegap.core.errors import ConfigError
from scribblegap.core.options import parse_assignments, with_changes
from scribblegap.core.settings import resolve_data
from scribblegap.data.example import EXAMPLE, example_folder
from scribblegap.data.synthetic import SCENE_VARIANTS, SceneConfig, SyntheticScenes
from scribblegap.data.voc import VOCSegmentation

DEFAULT = "default"


def load_dataset(data, split: str = "train", classes=None, scene_config: SceneConfig | None = None,
                 limit: int | None = None):
    """``data``: ``"default"`` for the procedural scenes, else a VOC-layout folder or a name under the data root.

    ``"default:halo=0,thin_parts=0"`` sets :class:`SceneConfig` knobs of the procedural scenes.
    ``classes`` defaults to the 7-class protocol for VOC12-mini and to every class otherwise.
    """
    if str(data).split(":")[0] == DEFAULT:
        if ":" in str(data):
            scene_config = scene_config_from_spec(str(data).split(":", 1)[1], scene_config)
        ds = SyntheticScenes(split, scene_config, classes=classes)
    else:
        root = example_folder() if str(data) == EXAMPLE else resolve_data(data)
        if classes is None and root.name == "voc12-mini":
            classes = "voc12-mini"
        ds = VOCSegmentation(root, split, classes=classes)
    return ds.head(limit)


def scene_knobs(data) -> dict | None:
    """Every knob of the scenes ``data`` names (``None`` for a folder): ``"default"`` means today's defaults,
    so records keep the knobs themselves."""
    if str(data).split(":")[0] != DEFAULT:
        return None
    return scene_config_from_spec(str(data).split(":", 1)[1] if ":" in str(data) else "").to_dict()


def scene_config_from_spec(spec: str, base: SceneConfig | None = None) -> SceneConfig:
    """``"hard,halo=0"`` -> a :class:`SceneConfig`: a named variant (:data:`SCENE_VARIANTS`), then knobs."""
    items = [item.strip() for item in spec.split(",") if item.strip()]
    base = base or SceneConfig()
    while items and "=" not in items[0]:
        name = items.pop(0)
        if name not in SCENE_VARIANTS:
            raise ConfigError(f"unknown scene variant {name!r} in 'default:{spec}'; known: {', '.join(SCENE_VARIANTS)}")
        base = SceneConfig(**SCENE_VARIANTS[name])
    return with_changes(base, parse_assignments(items, f"scene knob in 'default:{spec}'"), "scene knob")
