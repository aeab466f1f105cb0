"""The whole chain on 24 embedded scenes with 15-step networks (one chain per session, ``tiny_chain``):
every stage records its keys, a seed repeats the whole method, and a rerun finds everything done."""
import json
import shutil
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from scribblegap.cli import main as cli_main
from scribblegap.core.errors import ConfigError, DataError
from scribblegap.core.metrics import miou_of_counts
from scribblegap.experiment.configs import CONFIGS, load_config, show
from scribblegap.experiment.reproduce import recorded_runs, rescore
from scribblegap.experiment.results import load_per_image
from scribblegap.experiment.sample import PROB_STEP, quantised_copy, read_sample
from scribblegap.pipeline import layout_of, run, smoke_config


def _summary(cfg, root, name="summary"):
    return json.loads((root / "results" / cfg.name / f"{name}.json").read_text())


def test_every_stage_records_its_results(tiny_chain):
    cfg, root, _ = tiny_chain
    summary = _summary(cfg, root)
    for key in ("F", "B", "W", "R", "W_confident_t0.7", "W_soft", "W_rloss", "W_round2"):
        assert 0 <= summary[key]["miou"] <= 1 and summary[key]["miou_crf"] is not None, key
    assert summary["F"]["n"] == summary["W"]["n"] == 2 and summary["W_soft"]["n"] == 1
    assert set(summary["pseudo_labels"]) >= {"local", "global", "fused", "fused_crf", "confident_t0.7",
                                             "fused_crf_round2"}
    kept = summary["pseudo_labels"]["confident_t0.7"]["runs"][0]
    assert 0 < kept["labelled_fraction"] < 1 and kept["labelled_accuracy"] > kept["pixel_accuracy"]
    sweep = summary["confidence"]["0"]
    assert [row["kept"] for row in sweep] == sorted((row["kept"] for row in sweep), reverse=True)
    assert set(summary["budget_curve"]) == {"F", "0.01"}
    point = summary["budget_curve"]["0.01"]
    assert point["n"] == 2 and point["achieved"] > 0 and "R" in point and point["B_std"] is not None
    assert all(row["pseudo_labels"]["fused_crf"] is not None for row in point["runs"])
    assert (root / "results" / cfg.name / "report.md").read_text().startswith("### ")
    saved = _summary(cfg, root, "config")
    assert saved["pipeline"]["name"] == cfg.name and saved["training"]["iters"] == 15
    boundary = _summary(cfg, root, "boundary")
    assert boundary["models"] == ["F", "B", "W"] and sum(boundary["pixels"]) > 0
    record = summary["F"]["runs"][0]
    assert record["config"]["iters"] == 15 and record["spec"]["labels"] == "full" and record["commit"]


def test_the_sample_holds_every_layer_of_images_where_the_layers_differ(tiny_chain):
    cfg, root, _ = tiny_chain
    sample = read_sample(root / "results" / cfg.name)
    assert len(sample["ids"]) == 24 and sample["seed"] == 0
    for layer, folder in sample["folders"].items():
        assert sorted(p.stem for p in folder.glob("*.png")) == sorted(sample["ids"]), layer


def test_the_sample_rounds_its_probabilities_to_steps_and_drops_the_channels_that_vanish(tmp_path):
    rng = np.random.default_rng(0)
    probs = rng.integers(0, 256, size=(3, 20, 30), dtype=np.uint8)
    probs[1] = rng.integers(0, PROB_STEP // 2, size=(20, 30))  # below half a step everywhere: rounds to 0
    np.savez_compressed(tmp_path / "a.npz", classes=np.array([0, 3, 5], dtype=np.uint8), probs=probs)
    quantised_copy(tmp_path / "a.npz", tmp_path / "b.npz")
    with np.load(tmp_path / "b.npz") as z:
        assert z["classes"].tolist() == [0, 5] and z["probs"].dtype == np.uint8
        rounded = z["probs"].astype(int)
    assert ((rounded % PROB_STEP == 0) | (rounded == 255)).all()
    assert np.abs(rounded - probs[[0, 2]].astype(int)).max() <= PROB_STEP // 2


def test_every_evaluation_keeps_per_image_counts_that_give_back_its_score(tiny_chain):
    cfg, root, _ = tiny_chain
    for file, key in (("summary", "W"), ("summary", "R"), ("budget_runs", "B@0.01")):
        for record in _summary(cfg, root, file)[key]["runs"]:
            stored = load_per_image(root / record["per_image"])
            assert len(stored["ids"]) == 24 and stored["counts"].shape == (24, 6, 7)
            assert miou_of_counts(stored["counts"].sum(0)) == pytest.approx(record["miou"], abs=1e-12)
            if "counts_crf" in stored:
                assert miou_of_counts(stored["counts_crf"].sum(0)) == pytest.approx(record["miou_crf"], abs=1e-12)


def test_a_seed_repeats_the_whole_method(tiny_chain):
    """W of seed s trains on pseudo-labels built on B of seed s, which trains on seed s's own scribbles."""
    cfg, root, _ = tiny_chain
    summary, curve = _summary(cfg, root), _summary(cfg, root, "budget_runs")
    for entry, b_entry, budget in ((summary["W"], summary["B"], "0.03"), (curve["W@0.01"], curve["B@0.01"], "0.01")):
        for w, b in zip(entry["runs"], b_entry["runs"]):
            s = w["seed"]
            assert b["seed"] == s and b["spec"]["labels"] == f"outputs/{cfg.name}/budget-{budget}/s{s}/scribbles"
            assert f"/budget-{budget}/s{s}/{cfg.preset}/{b['run_id']}/fused-crf" in w["spec"]["labels"]
    first = sorted((root / "outputs" / cfg.name / "budget-0.03" / "s0" / "scribbles").glob("*.png"))[0]
    scribbles = [np.asarray(Image.open(root / "outputs" / cfg.name / "budget-0.03" / f"s{s}" / "scribbles" / first.name))
                 for s in (0, 1)]
    assert (scribbles[0] != scribbles[1]).any()  # two seeds, two simulations


def test_a_rerun_trains_and_writes_nothing(tiny_chain):
    cfg, root, _ = tiny_chain
    before = {p: p.read_bytes() for p in (root / "results" / cfg.name).glob("*.json")}
    lines = []
    run(cfg, root, log=lines.append)
    assert not any("training" in line for line in lines), lines
    assert {p: p.read_bytes() for p in before} == before


def test_rescoring_a_recorded_checkpoint_repeats_its_recorded_score(tiny_chain):
    cfg, root, _ = tiny_chain
    layout = layout_of(cfg, root)
    runs, table = recorded_runs(layout.results), {}
    rescore(cfg, layout, runs, ["F_s0", "W@0.01_s1"], table)
    for run_id in ("F_s0", "W@0.01_s1"):
        assert table[run_id]["rescored_miou"] == runs[run_id]["miou"] == table[run_id]["recorded_miou"], run_id
        assert table[run_id]["rescored_equal"] is True


def test_a_rerun_on_other_scenes_refuses_their_finished_scribbles(tiny_chain):
    cfg, root, _ = tiny_chain
    assert cfg.data == "default"
    with pytest.raises(ConfigError, match=r"scribbles made with other settings \(scenes\."):
        run(replace(cfg, data="default:hard"), root, log=lambda *a: None)


def test_recorded_leaf_runs_are_reused_and_a_missing_one_is_trained_again(tiny_chain, tmp_path):
    """Another machine (the results, no runs/, no outputs/): with reuse_recorded only the B of each seed (the
    global annotator, whose predictions are read) trains again; without it the runs not on this machine train."""
    cfg, root, _ = tiny_chain
    shutil.copytree(root / "results", tmp_path / "results")
    curve = replace(cfg, stages=("budget", "evaluate"), reuse_recorded=True)
    lines = []
    run(curve, tmp_path, log=lines.append)
    trained = [line for line in lines if "] training " in line]
    assert len(trained) == 1 and trained[0].endswith(": B@0.01_s0, B@0.01_s1"), lines
    before = _summary(cfg, root)["budget_curve"]
    assert _summary(cfg, tmp_path)["budget_curve"] == before
    lines = []
    run(replace(curve, reuse_recorded=False, stages=("budget",)), tmp_path, log=lines.append)
    trained = [line for line in lines if "] training " in line]
    # F was only recorded here, so without reuse_recorded it trains too
    assert [t.split(": ")[-1] for t in trained] == ["F_s0, F_s1", "W@0.01_s0, W@0.01_s1"], lines


@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_named_config_resolves_and_shows(name):
    cfg = load_config(name)
    assert cfg.name == name  # results/<name>/ is named after its config
    text = show(cfg)
    assert f"preset = {cfg.preset!r}" in text and f"iters = {cfg.training.iters!r}" in text


def test_set_overrides_what_it_names_and_merges_training_fields(capsys):
    assert cli_main(["run", "--config", "default", "--set", "seeds=0", "--set", "train.iters=50",
                     "--set", "workers=1", "--show"]) == 0
    text = capsys.readouterr().out
    assert "\nseeds = (0,)\n" in text and "\nworkers = 1\n" in text and "\niters = 50\n" in text
    assert "train_overrides = {'iters': 50}" in text
    cfg = load_config("default", **{"train.crop_size": "96"})
    assert cfg.train_overrides == {"iters": 400, "crop_size": 96}  # merged into the config's own, not replacing it
    cfg = load_config("default", train_overrides='{"crop_size": 96}')
    assert cfg.train_overrides == {"iters": 400, "crop_size": 96} and cfg.training.iters == 400
    assert load_config("voc12-mini", seeds="0").seeds == (0,)


def test_a_flag_and_a_set_of_one_field_or_a_misspelt_one_are_refused(capsys):
    assert cli_main(["run", "--config", "default", "--set", "seeds=0", "--seeds", "1", "--show"]) == 2
    assert "given twice" in capsys.readouterr().err
    assert cli_main(["run", "--config", "default", "--set", "seedz=0", "--show"]) == 2
    assert "did you mean seeds?" in capsys.readouterr().err
    assert cli_main(["run", "--config", "default", "--set", "train.iter=5", "--show"]) == 2
    assert "did you mean train.iters?" in capsys.readouterr().err
    assert cli_main(["overview", "--set", "nn=2"]) == 2
    assert "did you mean n?" in capsys.readouterr().err
    assert cli_main(["train", "--out", "x", "--seed", "1", "--set", "seed=2"]) == 2
    assert "given twice" in capsys.readouterr().err


def test_a_json_config_with_an_unknown_field_is_refused(tmp_path):
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


def test_an_unknown_variant_is_refused():
    with pytest.raises(ConfigError, match="unknown variant"):
        load_config("default", variants=("sharp",))


@pytest.mark.slow
def test_the_clicks_stage_trains_and_records_every_seed(voc12_mini, tmp_path):
    cfg = replace(smoke_config("voc12-mini", stages=("points", "evaluate")), data="voc12-mini",
                  classes="voc12-mini", limit=6, seeds=(0, 1))
    run(cfg, tmp_path, log=lambda *a: None)
    summary = _summary(cfg, tmp_path)
    for key in ("B", "W"):
        entry = summary["points"][key]
        assert entry["n"] == 2 and [r["seed"] for r in entry["runs"]] == [0, 1], key
        assert entry["miou_std"] is not None and entry["miou_crf"] is not None
        assert [r["run_id"] for r in entry["runs"]] == [f"{key}@points_s0", f"{key}@points_s1"]
    w = _summary(cfg, tmp_path, "points_runs")["W@points"]["runs"]
    assert [r["spec"]["labels"].split("/")[-2] for r in w] == ["B@points_s0", "B@points_s1"]
