"""The recorded VOC12-mini results hold what the claims assume: each seed a replicate of the whole method (its
own scribbles, its own B as the global annotator of its own W), every score recomputable from the stored
per-image counts, every run recorded at a clean commit."""
import json
import re

import numpy as np
import pytest

from scribblegap.core.layout import simulated_tag
from scribblegap.core.metrics import miou_of_counts
from scribblegap.core.settings import REPO_ROOT
from scribblegap.experiment.results import load_per_image
from scribblegap.experiment.sample import read_sample

RESULTS = REPO_ROOT / "results" / "voc12-mini"
KEY = re.compile(r"^(?P<model>[A-Z][A-Za-z_0-9.]*?)(?P<suffix>@[0-9.]+)?$")


def recorded_runs():
    """(record key, run) of every network trained on simulated scribbles: the main chain and the budget curve."""
    for name in ("summary.json", "budget_runs.json"):
        path = RESULTS / name
        for key, entry in (json.loads(path.read_text()) if path.is_file() else {}).items():
            if isinstance(entry, dict) and KEY.match(key) and "runs" in entry:
                for run in entry["runs"]:
                    if "run_id" in run:
                        yield key, run


RUNS = list(recorded_runs())


def test_there_are_recorded_runs_of_several_seeds():
    seeds = {run["seed"] for key, run in RUNS if key == "W"}
    assert len(seeds) >= 3, seeds


@pytest.mark.parametrize("key, run", RUNS, ids=[run["run_id"] for _, run in RUNS])
def test_each_seed_trains_on_its_own_scribbles_and_its_own_global_annotator(key, run):
    match = KEY.match(key)
    model, suffix, seed = match["model"], match["suffix"] or "", run["seed"]
    if model == "F":
        assert run["labels"] in (None, "full"), run["labels"]
        return
    budget = float(suffix[1:]) if suffix else 0.03
    scribbles = f"outputs/voc12-mini/{simulated_tag(budget, seed)}"
    if model in ("B", "R"):
        assert run["labels"] == f"{scribbles}/scribbles", run["labels"]
    else:  # W and the retraining options: pseudo-labels whose global annotator is this seed's B
        assert run["labels"].startswith(f"{scribbles}/cpu-pretrained/B{suffix}_s{seed}/"), run["labels"]


@pytest.mark.parametrize("key, run", RUNS, ids=[run["run_id"] for _, run in RUNS])
def test_each_score_comes_back_from_its_per_image_counts_at_a_clean_commit(key, run):
    counts = load_per_image(REPO_ROOT / run["per_image"])
    assert np.isclose(miou_of_counts(counts["counts"].sum(axis=0)), run["miou"], rtol=0, atol=1e-9)
    assert run["commit"] and not run["commit"].endswith("-dirty"), run["commit"]


def test_the_shipped_voc_sample_holds_every_layer_of_32_images_in_under_10_mb():
    sample = read_sample(RESULTS)
    assert len(sample["ids"]) == 32 and sample["commit"] and not sample["commit"].endswith("-dirty")
    for layer, folder in sample["folders"].items():
        assert sorted(p.stem for p in folder.glob("*.png")) == sorted(sample["ids"]), layer
    size = sum(p.stat().st_size for p in (RESULTS / "sample").rglob("*") if p.is_file())
    assert size < 10 * 2 ** 20, size
