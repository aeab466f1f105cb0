"""Annotator models: per-image local models fitted on one image's weak labels, and their batch runner."""
from .local import LOCAL_METHODS, label_map, method_defaults, predict_local
from .runner import run_local

__all__ = ["LOCAL_METHODS", "label_map", "method_defaults", "predict_local", "run_local"]
