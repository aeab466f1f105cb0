"""Weak labels: readers, rasterisation, statistics and the budgeted scribble simulator."""
from scribblegap.scribbles.io import (DEFAULT_WIDTH, Point, Scribble, points_to_labels, rasterize_scribbles,
                                      read_points, read_scribble_png, read_scribble_xml, write_scribble_xml)
from scribblegap.scribbles.simulate import (DEFAULT_BUDGET, SimulatorOptions, effective_width, simulate_dataset,
                                            simulate_image, simulate_scribbles)
from scribblegap.scribbles.sources import WeakLabels
from scribblegap.scribbles.statistics import (dataset_statistics, find_regions, image_record, ks_test,
                                              merge_records, summarize)

__all__ = ["DEFAULT_WIDTH", "Point", "Scribble", "points_to_labels", "rasterize_scribbles", "read_points",
           "read_scribble_png", "read_scribble_xml", "write_scribble_xml", "WeakLabels",
           "DEFAULT_BUDGET", "SimulatorOptions", "effective_width", "simulate_dataset", "simulate_image",
           "simulate_scribbles", "dataset_statistics", "find_regions", "image_record", "ks_test",
           "merge_records", "summarize"]
