"""The budgeted scribble simulator: budgets, zero disagreement, determinism, files, CLI, bad input."""
import json

import numpy as np
import pytest

from scribblegap.cli import main as cli_main
from scribblegap.data import load_dataset
from scribblegap.data.labels import LabelSpace, VOC_CLASSES
from scribblegap.core.errors import ConfigError, DataError
from scribblegap.scribbles import rasterize_scribbles
from scribblegap.scribbles.simulate import (DEFAULT_BUDGET, DEFAULT_WIDTH, SimulatorOptions, effective_width,
                                            simulate_dataset, simulate_image, simulate_scribbles)
from scribblegap.scribbles.statistics import find_regions

LABELS = LabelSpace.create(VOC_CLASSES, "voc12-mini")


def scene(h=200, w=260):
    """Background, a large ellipse (cat), a thin-legged horse, a void band, a speck and a foreign class."""
    m = np.zeros((h, w), np.uint8)
    yy, xx = np.mgrid[:h, :w]
    m[((yy - 70) / 45.0) ** 2 + ((xx - 80) / 60.0) ** 2 <= 1] = 8          # cat
    m[120:160, 150:230] = 13                                                # horse body
    for c in (155, 175, 200, 222):
        m[160:195, c:c + 3] = 13                                            # thin legs
    m[:, 240:244] = 255                                                     # void band
    m[10:13, 200:203] = 12                                                  # a 9-pixel dog: too small
    m[30:60, 160:200] = 3                                                   # bird: not in the subset
    return m


@pytest.fixture(scope="module")
def mask():
    return LABELS.apply(scene())


def test_default_budget_is_human_like():
    assert DEFAULT_BUDGET == pytest.approx(0.03) and DEFAULT_WIDTH == 3


@pytest.mark.parametrize("budget", [0.005, 0.01, 0.03, 0.1])
def test_budget_is_met_and_no_pixel_disagrees(mask, budget):
    sim = simulate_image(mask, LABELS, budget, key="scene")
    out = sim.labels
    assert out.dtype == np.uint8 and out.shape == mask.shape
    labelled = out != 255
    assert labelled.mean() == pytest.approx(budget, rel=0.1)
    assert (out[labelled] == mask[labelled]).all()  # never on another class, never on void
    assert not sim.info["saturated"]


def test_every_object_large_enough_is_touched_and_tiny_ones_are_reported(mask):
    out = simulate_scribbles(mask, LABELS, 0.005, key="scene")[0]
    reg = find_regions(mask)
    for i in range(1, reg.n + 1):
        touched = (out[reg.ids == i] != 255).any()
        assert touched == (reg.area[i] >= 0.0005 * mask.size), (reg.cls[i], reg.area[i])
    info = simulate_image(mask, LABELS, 0.005, key="scene").info
    assert info["skipped_too_small"] >= 1 and info["skipped_pixels"] >= 9


def test_strokes_redraw_the_map(mask):
    out, strokes = simulate_scribbles(mask, LABELS, 0.03, key="scene")
    assert strokes and {s.cls for s in strokes} == {0, 8, 13}
    redrawn = np.full(mask.shape, 255, np.uint8)
    for s in strokes:  # each stroke with the pen, cut to its own class
        one = rasterize_scribbles([s], mask.shape, width=DEFAULT_WIDTH)
        redrawn[(one != 255) & (mask == s.cls)] = s.cls
    assert (redrawn == out).all()


def test_deterministic_in_seed_and_key(mask):
    a = simulate_scribbles(mask, LABELS, seed=3, key="x")[0]
    assert (a == simulate_scribbles(mask, LABELS, seed=3, key="x")[0]).all()
    assert (a != simulate_scribbles(mask, LABELS, seed=4, key="x")[0]).any()
    assert (a != simulate_scribbles(mask, LABELS, seed=3, key="y")[0]).any()


def test_more_budget_lengthens_strokes_and_widens_the_pen(mask):
    low = simulate_scribbles(mask, LABELS, 0.01, key="k")[0] != 255
    mid = simulate_scribbles(mask, LABELS, 0.03, key="k")[0] != 255
    # the same strokes grow: most of the low-budget ink lies under the higher-budget ink
    assert (low & mid).sum() >= 0.9 * low.sum()
    assert effective_width(3, 0.03) == 3 and effective_width(3, 0.01) == 3
    assert effective_width(3, 0.10) > 4
    assert simulate_image(mask, LABELS, 0.1, key="k").info["width"] == pytest.approx(effective_width(3, 0.1))


def test_large_background_gets_several_strokes():
    m = np.zeros((300, 400), np.uint8)
    m[120:180, 170:230] = 15  # a person in the middle of a large background
    sim = simulate_image(m, LABELS, 0.03, key="bg")
    bg = [s for s in sim.strokes if s.cls == 0]
    assert len(bg) >= 2
    # strokes on both sides of the object: the background is represented all around it
    xs = np.concatenate([s.points[:, 0] for s in bg])
    assert xs.min() < 170 and xs.max() > 230


def test_edge_cases(mask):
    void = np.full((40, 50), 255, np.uint8)
    sim = simulate_image(void, LABELS, 0.03)
    assert (sim.labels == 255).all() and sim.strokes == [] and sim.info["saturated"]
    tiny = np.zeros((64, 64), np.uint8)
    out = simulate_scribbles(tiny, LABELS, 0.03)[0]
    assert (out[out != 255] == 0).all() and (out != 255).mean() == pytest.approx(0.03, rel=0.1)
    # width 1 and a wide pen work too
    for width in (1, 5):
        out = simulate_scribbles(mask, LABELS, 0.03, width=width)[0]
        assert (out[out != 255] == mask[out != 255]).all()


def test_embedded_default_data():
    ds = load_dataset("default", "train", limit=6)
    for key in ds.ids:
        m = ds.mask(key)
        sim = simulate_image(m, ds.labels, 0.03, key=key)
        lab = sim.labels != 255
        assert (sim.labels[lab] == m[lab]).all()
        assert lab.mean() == pytest.approx(0.03, rel=0.25)
        assert sim.info["grid_step"] == 1


def test_bad_input(mask):
    for budget in (0, 1, -0.1, 1.5, "0.03"):
        with pytest.raises(ConfigError, match="budget"):
            simulate_scribbles(mask, LABELS, budget)
    with pytest.raises(ConfigError, match="width"):
        simulate_scribbles(mask, LABELS, 0.03, width=0.5)
    with pytest.raises(ConfigError, match="unknown simulator option"):
        simulate_scribbles(mask, LABELS, 0.03, wobble=2)
    with pytest.raises(ConfigError, match="margin"):
        simulate_scribbles(mask, LABELS, 0.03, margin=1.5)
    with pytest.raises(ConfigError, match="not of type float"):
        SimulatorOptions.create({"smooth": "lots"})
    with pytest.raises(ConfigError, match="2-D uint8"):
        simulate_scribbles(mask.astype(np.int32), LABELS)
    with pytest.raises(ConfigError, match="2-D uint8"):
        simulate_scribbles(np.zeros((4, 4, 3), np.uint8), LABELS)
    assert SimulatorOptions.create({"contour_levels": "0.3,0.6"}).contour_levels == (0.3, 0.6)


# ----------------------------------------------------------------------------------- data set files
def _files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_dataset_files_are_byte_identical_resumable_and_subset_independent(tmp_path):
    ds = load_dataset("default", "val", limit=5)
    stats = simulate_dataset(ds, tmp_path / "a", progress=False)
    files = _files(tmp_path / "a")
    assert {f"{k}.png" for k in ds.ids} | {"stats.json", "manifest.json", ".lock"} == set(files)
    assert stats["images"] == 5 and stats["statistics"]["disagreement"]["fraction_of_labelled"] == 0
    assert json.loads(files["stats.json"])["budget"]["target"] == DEFAULT_BUDGET
    # same seed, fresh folder, two workers: the same bytes
    simulate_dataset(ds, tmp_path / "b", workers=2, progress=False)
    assert _files(tmp_path / "b") == files
    # resume: a missing file is redone, the rest kept, and everything ends the same
    (tmp_path / "a" / f"{ds.ids[2]}.png").unlink()
    simulate_dataset(ds, tmp_path / "a", progress=False)
    assert _files(tmp_path / "a") == files
    # an image's scribbles do not depend on the other images simulated
    simulate_dataset(ds.with_ids(ds.ids[3:]), tmp_path / "c", progress=False)
    for key in ds.ids[3:]:
        assert (tmp_path / "c" / f"{key}.png").read_bytes() == files[f"{key}.png"]


def test_dataset_refuses_other_settings_and_bad_files(tmp_path):
    ds = load_dataset("default", "val", limit=2)
    simulate_dataset(ds, tmp_path, progress=False)
    with pytest.raises(ConfigError, match="other settings"):
        simulate_dataset(ds, tmp_path, budget=0.05, progress=False)
    (tmp_path / f"{ds.ids[0]}.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match=ds.ids[0]):
        simulate_dataset(ds, tmp_path, progress=False)


def test_cli(tmp_path, capsys):
    out = tmp_path / "sim"
    assert cli_main(["simulate", "--data", "default", "--split", "val", "--limit", "3", "--budget", "0.02",
                     "--seed", "1", "--out", str(out)]) == 0
    assert "target 0.0200" in capsys.readouterr().out
    params = json.loads((out / "manifest.json").read_text())
    assert params["budget"] == 0.02 and params["seed"] == 1 and len(list(out.glob("*.png"))) == 3
    with pytest.raises(SystemExit) as exit_:  # argparse refuses it: usage and one error line naming --budget
        cli_main(["simulate", "--data", "default", "--limit", "2", "--budget", "2", "--out", str(out)])
    assert exit_.value.code == 2 and "argument --budget" in capsys.readouterr().err
    assert cli_main(["simulate", "--data", "default", "--limit", "2", "--set", "nonsense", "--out",
                     str(tmp_path / "x")]) == 2


# ---------------------------------------------------------------------------------------- real data
@pytest.mark.realdata
def test_voc12_mini_images(voc12_train):
    for key in voc12_train.ids[:4]:
        m = voc12_train.mask(key)
        sim = simulate_image(m, voc12_train.labels, DEFAULT_BUDGET, key=key)
        lab = sim.labels != 255
        assert lab.mean() == pytest.approx(DEFAULT_BUDGET, rel=0.1)
        assert (sim.labels[lab] == m[lab]).all()
        reg = find_regions(m)
        for i in np.nonzero(reg.area >= 0.01 * m.size)[0]:
            if i:
                assert (sim.labels[reg.ids == i] != 255).any()
