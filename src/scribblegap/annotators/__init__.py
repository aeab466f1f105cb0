"""Annotator models: per-image local models fitted on one image's weak labels, and their batch runner."""
from scribblegap.annotators.local import LOCAL_METHODS, label_map, method_defaults, predict_local
from scribblegap.annotators.runner import run_local

__all__ = ["LOCAL_METHODS", "label_map", "method_defaults", "predict_local", "run_local"]
