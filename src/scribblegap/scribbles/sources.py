"""One way to ask for the weak labels of an image, whatever they are stored as.

``--labels`` on the command line takes: ``full`` (the dense masks: the fully supervised reference),
``points`` (``points.json`` of the data set), a ``.json`` file of points, or a folder of ``<id>.png``
scribble maps or ``<id>.xml`` ScribbleSup files.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from scribblegap.core.errors import DataError
from scribblegap.scribbles.io import (DEFAULT_WIDTH, points_to_labels, rasterize_scribbles, read_points,
                                      read_scribble_png, read_scribble_xml)


class WeakLabels:
    """``labels(dataset, item)`` -> ``(H, W) uint8`` map of kept class ids, 255 unlabelled."""

    def __init__(self, spec, width: float = DEFAULT_WIDTH, point_radius: float = 0, clip: bool = False):
        self.spec = str(spec)
        self.width, self.point_radius, self.clip = width, point_radius, clip
        self._points = None
        if self.spec == "full":
            self.kind = "full"
        elif self.spec == "points" or self.spec.endswith(".json"):
            self.kind = "points"
        else:
            self.folder = Path(spec)
            if not self.folder.is_dir():
                raise DataError(self.folder, "weak-label folder is missing (expected full, points, a "
                                             "points .json, or a folder of <id>.png / <id>.xml)")
            self.kind = "xml" if next(self.folder.glob("*.xml"), None) is not None else "png"

    def _points_for(self, dataset, key):
        if self._points is None:
            path = Path(dataset.root) / "points.json" if self.spec == "points" else Path(self.spec)
            self._points = read_points(path)
            self._points_path = path
        if key not in self._points:
            raise DataError(self._points_path, f"has no points for image {key}")
        return self._points[key]

    def __call__(self, dataset, item) -> np.ndarray:
        key = dataset._key(item)
        if self.kind == "full":
            return dataset.mask(key)
        shape = tuple(dataset.image_shape(key))
        num = len(dataset.labels.names)
        if self.kind == "points":
            raw = points_to_labels(self._points_for(dataset, key), shape, self.point_radius, num,
                                   self.clip, source=f"{self._points_path} [{key}]")
        elif self.kind == "xml":
            path = self.folder / f"{key}.xml"
            _, scribbles = read_scribble_xml(path, shape, dataset.labels.names, self.clip)
            raw = rasterize_scribbles(scribbles, shape, self.width)
        else:
            raw = read_scribble_png(self.folder / f"{key}.png", shape, num)
        return dataset.labels.apply(raw)

    def __repr__(self) -> str:
        return f"WeakLabels({self.spec!r}, kind={self.kind})"


def weak_settings(weak) -> dict | None:
    """What decides the maps of a weak-label source, for the manifests of the folders made from it."""
    if weak is None:
        return None
    if isinstance(weak, WeakLabels):
        return {"spec": weak.spec, "width": weak.width, "point_radius": weak.point_radius, "clip": weak.clip}
    return {"repr": repr(weak)}
