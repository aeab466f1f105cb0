"""The whole chain on 24 embedded scenes with 30-step networks: every stage records its keys, and a rerun
finds everything done (no stage trains or writes again)."""
import json
from dataclasses import replace

import pytest

from scribblegap.pipeline import SMOKE_OVERRIDES, Pipeline, load_config


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipeline")
    cfg = replace(load_config("default-fast"), **{**SMOKE_OVERRIDES, "budgets": (0.01,), "workers": 2,
                                                  "stages": ("chain", "F", "R", "evaluate", "pseudo", "variants",
                                                             "round2", "budget", "report")})
    Pipeline(cfg, root, log=lambda *a: None).run()
    return cfg, root


def test_every_stage_records_its_results(tiny_run):
    cfg, root = tiny_run
    summary = json.loads((root / "results" / cfg.name / "summary.json").read_text())
    for key in ("F", "B", "W", "R", "W_confident", "W_soft", "W_round2"):
        assert 0 <= summary[key]["miou"] <= 1 and summary[key]["miou_crf"] is not None, key
    assert set(summary["pseudo_labels"]) >= {"local", "global", "fused", "fused_crf", "fused_crf_round2"}
    assert set(summary["budget_curve"]) == {"F", "0.01"}
    assert summary["budget_curve"]["0.01"]["achieved"] > 0
    assert (root / "results" / cfg.name / "report.md").read_text().startswith("### ")
    confident = root / "outputs" / cfg.name / "budget-0.03" / cfg.preset / "B_s0" / "fused-crf-t0.7"
    assert json.loads((confident / "run.json").read_text())["threshold"] == 0.7


def test_a_rerun_trains_and_writes_nothing(tiny_run):
    cfg, root = tiny_run
    summary = root / "results" / cfg.name / "summary.json"
    before = summary.read_text()
    pipe = Pipeline(cfg, root, log=lambda *a: None)
    pipe.run()
    assert not any(k.startswith("train") for k in pipe.timings), pipe.timings
    assert summary.read_text() == before
