"""Weak labels: readers, rasterisation, statistics and the budgeted scribble simulator."""
from .io import (DEFAULT_WIDTH, Point, Scribble, points_to_labels, rasterize_scribbles, read_points,
                 read_scribble_png, read_scribble_xml, write_scribble_xml)
from .simulate import (DEFAULT_BUDGET, SimulatorOptions, effective_width, simulate_dataset, simulate_image,
                       simulate_scribbles)
from .sources import WeakLabels
from .statistics import dataset_statistics, find_regions, image_record, ks_test, merge_records, summarize

__all__ = ["DEFAULT_WIDTH", "Point", "Scribble", "points_to_labels", "rasterize_scribbles", "read_points",
           "read_scribble_png", "read_scribble_xml", "write_scribble_xml", "WeakLabels",
           "DEFAULT_BUDGET", "SimulatorOptions", "effective_width", "simulate_dataset", "simulate_image",
           "simulate_scribbles", "dataset_statistics", "find_regions", "image_record", "ks_test",
           "merge_records", "summarize"]
