"""Open a data set by name or folder: ``default`` (embedded) or a VOC-layout folder (``voc12-mini``)."""
from __future__ import annotations

from ..settings import resolve_data
from .synthetic import SceneConfig, SyntheticScenes
from .voc import VOCSegmentation

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
        root = resolve_data(data)
        if classes is None and root.name == "voc12-mini":
            classes = "voc12-mini"
        ds = VOCSegmentation(root, split, classes=classes)
    return ds.head(limit)


def scene_config_from_spec(spec: str, base: SceneConfig | None = None) -> SceneConfig:
    """``"halo=0,part_hue_shift=0.25"`` -> a :class:`SceneConfig` with those fields changed."""
    from dataclasses import fields, replace

    from ..errors import ConfigError

    base = base or SceneConfig()
    types = {f.name: type(getattr(base, f.name)) for f in fields(base)}
    changes = {}
    for item in filter(None, spec.split(",")):
        key, _, value = item.partition("=")
        if key not in types or not value:
            raise ConfigError(f"bad scene knob {item!r} in 'default:{spec}': use name=value with a name from "
                              f"{', '.join(types)}")
        changes[key] = types[key](float(value)) if types[key] in (int, float) else types[key](value)
    return replace(base, **changes)
