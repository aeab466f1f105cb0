"""Weak labels: readers, rasterisation, statistics and the budgeted scribble simulator."""
from .io import (DEFAULT_WIDTH, Point, Scribble, points_to_labels, rasterize_scribbles, read_points,
                 read_scribble_png, read_scribble_xml, write_scribble_xml)
from .sources import WeakLabels

__all__ = ["DEFAULT_WIDTH", "Point", "Scribble", "points_to_labels", "rasterize_scribbles", "read_points",
           "read_scribble_png", "read_scribble_xml", "write_scribble_xml", "WeakLabels"]
