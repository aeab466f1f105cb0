"""scribblegap: closing the gap between scribble and full supervision in semantic segmentation.

Data flows one way, and so do the modules: ``data`` -> ``scribbles`` (statistics, simulation) ->
``annotators`` (local, global) -> ``fusion`` + ``crf`` -> ``train`` -> ``evaluate`` -> ``report``.
"""
__version__ = "0.1.0"
