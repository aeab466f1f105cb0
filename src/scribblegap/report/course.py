"""What every notebook of the course starts with: one line of setup, and the shipped VOC12-mini sample of
pseudo-label layers (or, where it is not there yet, the same layers of the tiny chain).

    from scribblegap.report.course import setup; SMOKE = setup()

``setup`` returns whether the notebook runs in CI mode (``CI`` set: small data, a smoke test, not a result)
and, in that mode, points ``$SCRIBBLEGAP_FIGURES`` at a temporary folder, so that smoke figures never
replace the recorded ones in ``figures/``.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch

from scribblegap.core.settings import ENV_FIGURES, REPO_ROOT
from scribblegap.experiment.configs import load_config
from scribblegap.experiment.sample import SAMPLE
from scribblegap.experiment.stages import dataset
from scribblegap.report.inspector import sample_layers as from_folder

RESULTS = REPO_ROOT / "results"
SMOKE_NOTE = "CI mode: small data, a smoke test - not a result"


def setup(threads: int | None = 1) -> bool:
    """Prepare a notebook; returns True in CI mode. ``threads``: torch threads where torch is installed
    (one by default: the machines have two cores, often shared with a long run)."""
    smoke = "CI" in os.environ
    if smoke:
        os.environ[ENV_FIGURES] = tempfile.mkdtemp(prefix="scribblegap_figures_")
    if threads:
        torch.set_num_threads(threads)
        torch.manual_seed(0)
    return smoke


def sample_layers(name: str = "voc12-mini", stand_in=None, results_root=None, log=print):
    """The pseudo-label layers of ``results/<name>/sample`` (shipped with the repository: scribbles, local,
    global, fused, fused + CRF of a few training images, with the annotators' probabilities) as
    :class:`~scribblegap.report.inspector.Layers`. Where the sample is not there, ``stand_in()`` (a callable
    returning a chain whose results folder holds a sample, e.g. the tiny chain of
    ``scribblegap.pipeline.example_chain(True, stages=("chain", "pseudo", "sample"))``) stands in, and
    ``Layers.note`` says so. (The report layer does not import the pipeline: the notebook passes it.)"""
    folder = Path(results_root or RESULTS) / name
    if (folder / SAMPLE / "sample.json").is_file():
        return from_folder(folder, dataset(load_config(name), "train"))
    if stand_in is None:
        raise FileNotFoundError(f"results/{name}/sample is missing: `scribblegap run --config {name}` writes it")
    log(f"results/{name}/sample is not there yet (`scribblegap run --config {name}` writes it): a tiny chain's "
        "sample stands in (24 embedded scenes, 15-step networks - not a result)")
    tiny = stand_in()
    return from_folder(tiny.layout.results, tiny.dataset("train"), note="tiny chain (24 embedded scenes) - not a result")
