"""Weak labels on disk: ScribbleSup XML, rasterised scribble PNGs, and point clicks (``points.json``).

Every reader returns a ``(H, W) uint8`` label map of data set class ids with 255 for unlabelled
pixels, and raises :class:`~scribblegap.core.errors.DataError` naming the file on bad input.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import ndimage
from skimage import draw

from scribblegap.core.errors import DataError
from scribblegap.core.io import atomic_path, read_label_png
from scribblegap.data.labels import IGNORE, VOC_CLASSES

DEFAULT_WIDTH = 3


@dataclass
class Scribble:
    """One stroke: a class id and a polyline of ``(x, y)`` pixel coordinates (0-based)."""

    cls: int
    points: np.ndarray  # (N, 2) float, columns x, y


@dataclass
class Point:
    x: float
    y: float
    cls: int
    rank: int | None = None  # object clicks carry a rank; background points do not
    extra: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------------- ScribbleSup XML
def read_scribble_xml(path, image_shape: tuple[int, int] | None = None, names=VOC_CLASSES,
                      clip: bool = False) -> tuple[tuple[int, int], list[Scribble]]:
    """Parse one ScribbleSup XML file: ``<size>`` and one ``<polygon>`` (tag + points) per scribble.

    Returns the ``(H, W)`` it declares and the scribbles. ``image_shape``, when given, must agree.
    Points outside the image are an error unless ``clip`` is set (then they are moved onto the border).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "scribble file is missing")
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise DataError(path, f"XML does not parse ({exc})") from None
    try:
        width, height = (float(root.findtext(f"size/{n}")) for n in ("width", "height"))
    except (TypeError, ValueError):
        raise DataError(path, "missing or non-numeric <size><width/><height/>") from None
    if not all(np.isfinite(v) and v >= 1 and v == int(v) for v in (width, height)):
        raise DataError(path, f"<size> must be positive whole numbers of pixels, got width {width:g}, "
                              f"height {height:g}")
    width, height = int(width), int(height)
    if image_shape is not None and (height, width) != tuple(image_shape):
        raise DataError(path, f"declares size {width}x{height} but its image is "
                              f"{image_shape[1]}x{image_shape[0]}")
    lookup = {n: i for i, n in enumerate(names)}
    scribbles = []
    for k, poly in enumerate(root.iter("polygon")):
        tag = (poly.findtext("tag") or "").strip()
        if tag not in lookup:
            raise DataError(path, f"scribble {k} names an unknown class {tag!r}")
        try:
            pts = np.array([[float(p.findtext("X")), float(p.findtext("Y"))] for p in poly.iter("point")],
                           dtype=np.float64).reshape(-1, 2)
        except (TypeError, ValueError):
            raise DataError(path, f"scribble {k} has a point without numeric <X>/<Y>") from None
        if len(pts) == 0:
            continue
        finite = np.isfinite(pts).all(1)
        if not finite.all():
            x, y = pts[np.argmin(finite)]
            raise DataError(path, f"scribble {k} ({tag}) has a non-finite point ({x:g}, {y:g})")
        outside = (pts[:, 0] < 0) | (pts[:, 0] > width - 1) | (pts[:, 1] < 0) | (pts[:, 1] > height - 1)
        if outside.any():
            if not clip:
                x, y = pts[np.argmax(outside)]
                raise DataError(path, f"scribble {k} ({tag}) has a point ({x:g}, {y:g}) outside the "
                                      f"{width}x{height} image (use clip to move such points inside)")
            pts[:, 0] = np.clip(pts[:, 0], 0, width - 1)
            pts[:, 1] = np.clip(pts[:, 1], 0, height - 1)
        scribbles.append(Scribble(lookup[tag], pts))
    return (height, width), scribbles


def write_scribble_xml(path, shape: tuple[int, int], scribbles: list[Scribble], names=VOC_CLASSES) -> None:
    """The inverse of :func:`read_scribble_xml` (used for fixtures and for exporting simulated strokes)."""
    root = ET.Element("annotation")
    size = ET.SubElement(root, "size")
    ET.SubElement(size, "width").text = str(shape[1])
    ET.SubElement(size, "height").text = str(shape[0])
    for s in scribbles:
        poly = ET.SubElement(root, "polygon")
        ET.SubElement(poly, "tag").text = names[s.cls]
        for x, y in s.points:
            pt = ET.SubElement(poly, "point")
            ET.SubElement(pt, "X").text = f"{x:g}"
            ET.SubElement(pt, "Y").text = f"{y:g}"
    with atomic_path(path) as tmp:
        ET.ElementTree(root).write(tmp, encoding="utf-8", xml_declaration=True)


def _footprint(width: float) -> np.ndarray:
    """A disc of the given diameter in pixels (width 3 -> a 3x3 plus-free square-ish disc)."""
    r = (width - 1) / 2
    n = int(np.ceil(r))
    yy, xx = np.mgrid[-n: n + 1, -n: n + 1]
    return (xx ** 2 + yy ** 2) <= r * r + r  # + r: width 3 gives the full 3x3 block, as polylines are drawn


def rasterize_scribbles(scribbles: list[Scribble], shape: tuple[int, int],
                        width: float = DEFAULT_WIDTH) -> np.ndarray:
    """Draw each scribble as a polyline ``width`` pixels wide; later scribbles overwrite earlier ones."""
    out = np.full(shape, IGNORE, dtype=np.uint8)
    foot = _footprint(width) if width > 1 else None
    for s in scribbles:
        line = np.zeros(shape, dtype=bool)
        pts = np.rint(s.points[:, ::-1]).astype(int)  # (row, col)
        pts[:, 0] = np.clip(pts[:, 0], 0, shape[0] - 1)
        pts[:, 1] = np.clip(pts[:, 1], 0, shape[1] - 1)
        if len(pts) == 1:
            line[pts[0, 0], pts[0, 1]] = True
        for (r0, c0), (r1, c1) in zip(pts[:-1], pts[1:]):
            rr, cc = draw.line(r0, c0, r1, c1)
            line[rr, cc] = True
        if foot is not None:
            line = ndimage.binary_dilation(line, structure=foot)
        out[line] = s.cls
    return out


# ------------------------------------------------------------------------------------ scribble PNGs
def read_scribble_png(path, shape: tuple[int, int] | None = None, num_classes: int = len(VOC_CLASSES)):
    """A rasterised scribble map: uint8 class id per labelled pixel, 255 unlabelled."""
    valid = np.zeros(256, dtype=bool)
    valid[:num_classes] = True
    valid[IGNORE] = True
    return read_label_png(path, shape, valid, what="scribble map")


# ------------------------------------------------------------------------------------- point clicks
def read_points(path) -> dict[str, list[Point]]:
    """``points.json``: ``{id: [{"x", "y", "cls", ["rank"]}, ...]}``."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "points file is missing")
    try:
        raw = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(path, f"JSON does not parse ({exc})") from None
    if not isinstance(raw, dict):
        raise DataError(path, "expected an object {image id: [points]}")
    out = {}
    for key, entries in raw.items():
        if not isinstance(entries, list):
            raise DataError(path, f"{key}: expected a list of points, got {type(entries).__name__}")
        out[key] = [_point(path, key, k, e) for k, e in enumerate(entries)]
    return out


def _point(path, key: str, k: int, e) -> Point:
    """One ``points.json`` entry, checked: finite coordinates and whole-number class ids."""
    if not isinstance(e, dict):
        raise DataError(path, f"{key}: point {k} is a {type(e).__name__}, not an object with x, y and cls")
    try:
        x, y, cls = float(e["x"]), float(e["y"]), float(e["cls"])
        rank = None if e.get("rank") is None else float(e["rank"])
    except (KeyError, TypeError, ValueError):
        raise DataError(path, f"{key}: point {k} lacks numeric x, y and cls") from None
    if not (np.isfinite(x) and np.isfinite(y)):
        raise DataError(path, f"{key}: point {k} has non-finite coordinates ({x:g}, {y:g})")
    for name, v in (("class id", cls), ("rank", rank)):
        if v is not None and not (np.isfinite(v) and v == int(v)):
            raise DataError(path, f"{key}: point {k} has {name} {v:g}, not a whole number")
    return Point(x, y, int(cls), None if rank is None else int(rank),
                 {a: b for a, b in e.items() if a not in ("x", "y", "cls", "rank")})


def points_to_labels(points: list[Point], shape: tuple[int, int], radius: float = 0,
                     num_classes: int = len(VOC_CLASSES), clip: bool = False, source="points") -> np.ndarray:
    """Label map of clicks: the pixel under each click (a disc of ``radius`` when > 0)."""
    out = np.full(shape, IGNORE, dtype=np.uint8)
    h, w = shape
    for k, p in enumerate(points):
        if not 0 <= p.cls < num_classes:
            raise DataError(source, f"point {k} has class id {p.cls} outside 0-{num_classes - 1}")
        if not (np.isfinite(p.x) and np.isfinite(p.y)):
            raise DataError(source, f"point {k} has non-finite coordinates ({p.x:g}, {p.y:g})")
        r, c = int(np.floor(p.y)), int(np.floor(p.x))
        if not (0 <= r < h and 0 <= c < w):
            if not clip:
                raise DataError(source, f"point {k} ({p.x:g}, {p.y:g}) is outside the {w}x{h} image")
            r, c = min(max(r, 0), h - 1), min(max(c, 0), w - 1)
        if radius > 0:
            rr, cc = draw.disk((r, c), radius + 0.5, shape=shape)
            out[rr, cc] = p.cls
        else:
            out[r, c] = p.cls
    return out
