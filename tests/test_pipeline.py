"""The whole chain on 24 embedded scenes with 30-step networks: every stage records its keys, and a rerun
finds everything done (no stage trains or writes again)."""
import json
from dataclasses import replace

import pytest

from scribblegap.experiment.configs import CONFIGS, load_config, show
from scribblegap.core.errors import ConfigError
from scribblegap.pipeline import Pipeline, smoke_config


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipeline")
    cfg = replace(smoke_config("hard-fast"), budgets=(0.01,), workers=2,
                  stages=("chain", "F", "R", "evaluate", "pseudo", "variants", "round2", "budget", "boundary",
                          "report"))
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
    saved = json.loads((root / "results" / cfg.name / "config.json").read_text())
    assert saved["pipeline"]["name"] == cfg.name and saved["training"]["iters"] == 30
    boundary = json.loads((root / "results" / cfg.name / "boundary.json").read_text())
    assert boundary["models"] == ["F", "B", "W"] and sum(boundary["pixels"]) > 0
    run = summary["F"]["runs"][0]
    assert run["config"]["iters"] == 30 and run["spec"]["labels"] == "full" and run["commit"]


def test_a_rerun_trains_and_writes_nothing(tiny_run):
    cfg, root = tiny_run
    summary = root / "results" / cfg.name / "summary.json"
    before = summary.read_text()
    pipe = Pipeline(cfg, root, log=lambda *a: None)
    pipe.run()
    assert not any(k.startswith("train") for k in pipe.timings), pipe.timings
    assert summary.read_text() == before


def test_rescoring_a_recorded_checkpoint_repeats_its_recorded_score(tiny_run):
    import importlib.util

    from scribblegap.core.provenance import REPO_ROOT

    spec = importlib.util.spec_from_file_location("reproduce_runs", REPO_ROOT / "scripts" / "reproduce_runs.py")
    reproduce = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reproduce)
    cfg, root = tiny_run
    pipe = Pipeline(cfg, root, log=lambda *a: None)
    runs = reproduce.recorded_runs(pipe.layout.results)
    table = {}
    reproduce.rescore(pipe, runs, ["F_s0", "W_s0"], table)
    for run_id in ("F_s0", "W_s0"):
        assert table[run_id]["rescored_miou"] == runs[run_id]["miou"] == table[run_id]["recorded_miou"], run_id
        assert table[run_id]["rescored_equal"] is True


def test_a_rerun_on_other_scenes_refuses_their_finished_scribbles(tiny_run):
    from scribblegap.core.errors import ConfigError

    cfg, root = tiny_run
    assert cfg.data == "default"
    with pytest.raises(ConfigError, match=r"scribbles made with other settings \(scenes\."):
        Pipeline(replace(cfg, data="default:hard"), root, log=lambda *a: None).run()


@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_named_config_resolves_and_shows(name):
    cfg = load_config(name)
    assert cfg.name == name  # results/<name>/ is named after its config
    text = show(cfg)
    assert f"preset = {cfg.preset!r}" in text and "iters = " in text


def test_a_json_config_with_an_unknown_field_is_refused(tmp_path):
    from scribblegap.core.errors import DataError

    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"data": "default", "seedz": [0]}))
    with pytest.raises(DataError, match="seedz"):
        load_config(str(path))
    path.write_text(json.dumps({"data": "default", "train_overrides": {"warmup_iters": 5}, "seeds": [3]}))
    cfg = load_config(str(path))
    assert cfg.name == "mine" and cfg.seeds == (3,)
    path.write_text("{not json")
    with pytest.raises(DataError, match="does not parse"):
        load_config(str(path))


def test_the_clicks_stage_trains_and_records_every_seed(voc12_mini, tmp_path):
    cfg = replace(smoke_config("voc12-mini", stages=("points",)), data="voc12-mini", classes="voc12-mini",
                  limit=6, seeds=(0, 1), workers=2)
    Pipeline(cfg, tmp_path, log=lambda *a: None).run()
    summary = json.loads((tmp_path / "results" / cfg.name / "summary.json").read_text())
    for key in ("B", "W"):
        entry = summary["points"][key]
        assert entry["n"] == 2 and [r["seed"] for r in entry["runs"]] == [0, 1], key
        assert entry["miou_std"] is not None and entry["miou_crf"] is not None
        assert [r["run_id"] for r in entry["runs"]] == [f"{key}@points_s0", f"{key}@points_s1"]
    assert set(summary["points_pseudo_labels"]) == {"local", "global", "fused_crf"}


def test_variants_train_the_chosen_options_on_every_seed_from_the_global_seeds_pseudo_labels(tmp_path):
    cfg = replace(smoke_config("default"), seeds=(1, 2), global_seed=0, variants=("soft",), stages=("variants",))
    Pipeline(cfg, tmp_path, log=lambda *a: None).run()
    runs = tmp_path / "runs" / cfg.name / cfg.preset
    assert sorted(p.name for p in runs.iterdir()) == ["B_s0", "Wsoft_s1", "Wsoft_s2"]
    summary = json.loads((tmp_path / "results" / cfg.name / "summary.json").read_text())
    assert "W_confident" not in summary and [r["seed"] for r in summary["W_soft"]["runs"]] == [1, 2]
    assert {r["spec"]["labels"] for r in summary["W_soft"]["runs"]} == {
        f"outputs/{cfg.name}/budget-0.03/{cfg.preset}/B_s0/fused-crf"}


def test_an_unknown_variant_is_refused():
    with pytest.raises(ConfigError, match="unknown variant"):
        load_config("default", variants=("sharp",))


def test_the_budget_curve_trains_every_seed_and_reuses_only_recorded_leaf_runs(tmp_path):
    import shutil

    cfg = replace(smoke_config("default"), seeds=(0, 1), budgets=(0.01,), workers=2, stages=("budget",))
    Pipeline(cfg, tmp_path, log=lambda *a: None).run()
    summary = json.loads((tmp_path / "results" / cfg.name / "summary.json").read_text())
    point, band = summary["budget_curve"]["0.01"], summary["budget_curve"]["F"]
    assert point["n"] == 2 and [r["seed"] for r in point["runs"]] == [0, 1] and point["B_std"] is not None
    assert point["global_run"] == "B@0.01_s0" and point["pseudo_labels"].endswith("B@0.01_s0/fused-crf")
    assert band["n"] == 2 and [r["run_id"] for r in band["runs"]] == ["F_s0", "F_s1"]
    assert [r["seed"] for r in summary["F"]["runs"]] == [0, 1]  # F of the curve is the main chain's F
    # another machine (no runs/, no outputs/): the global annotator's B and every W train again, F and the
    # other seed's B do not
    shutil.rmtree(tmp_path / "runs")
    shutil.rmtree(tmp_path / "outputs")
    pipe = Pipeline(replace(cfg, reuse_recorded=True), tmp_path, log=lambda *a: None)
    pipe.run()
    trained = {k.removeprefix("train ") for k in pipe.timings if k.startswith("train ") and k != "training wall"}
    assert trained == {"B@0.01_s0", "W@0.01_s0", "W@0.01_s1"}
    again = json.loads((tmp_path / "results" / cfg.name / "summary.json").read_text())["budget_curve"]
    assert again["F"] == band and again["0.01"]["runs"][1]["B"] == point["runs"][1]["B"]
    # without reuse_recorded a missing run is trained again
    shutil.rmtree(tmp_path / "runs" / cfg.name / cfg.preset / "W@0.01_s1")
    pipe = Pipeline(replace(cfg, stages=("F",)), tmp_path, log=lambda *a: None)
    pipe.run()
    assert {k for k in pipe.timings if k.startswith("train ")} >= {"train F_s0", "train F_s1"}
