import json

import numpy as np
import pytest
from scipy import ndimage

from scribblegap.annotators import LOCAL_METHODS, label_map, method_defaults, predict_local
from scribblegap.annotators.features import downscale_seeds, training_mask, working_size
from scribblegap.annotators.runner import run_local
from scribblegap.cli import main as cli_main
from scribblegap.data import VOC_CLASSES, LabelSpace, load_dataset
from scribblegap.core.errors import ConfigError, DataError
from scribblegap.core.io import read_label_png, write_label_png
from scribblegap.scribbles import WeakLabels
from scribblegap.data.store import load_probs

VOC7 = LabelSpace.create(VOC_CLASSES, "voc12-mini")  # keep 0, 8, 10, 12, 13, 15, 17
FAST = {"crf": {"iters": 5}, "gmm-crf": {"crf_iters": 3}, "pixel-classifier": {"steps": 40},
        "pixel-classifier-crf": {"steps": 40, "crf_iters": 3}, "superpixels": {"n_segments": 150}}


def scene(h=60, w=80, seed=0):
    """A textured scene: a reddish disc (cat, id 8) on a greenish background (0), with a horse (13)
    square in the corner; scribbles are short strokes well inside each region."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    truth = np.zeros((h, w), np.uint8)
    truth[(yy - 30) ** 2 + (xx - 30) ** 2 < 15 ** 2] = 8
    truth[5:20, 55:75] = 13
    colours = {0: (60, 160, 70), 8: (200, 60, 50), 13: (70, 70, 200)}
    image = np.zeros((h, w, 3), np.float64)
    for c, rgb in colours.items():
        image[truth == c] = rgb
    image = np.clip(image + rng.normal(0, 12, image.shape), 0, 255).astype(np.uint8)
    weak = np.full((h, w), 255, np.uint8)
    weak[29:31, 22:38] = 8
    weak[11:13, 60:70] = 13
    weak[50:52, 5:75] = 0
    weak[25:45, 55:57] = 0
    return image, weak, truth


@pytest.mark.parametrize("method", sorted(LOCAL_METHODS))
def test_every_method_gives_valid_probabilities_and_segments_a_simple_scene(method):
    image, weak, truth = scene()
    probs = predict_local(method, image, weak, VOC7, **FAST.get(method, {}))
    assert probs.shape == (7, 60, 80) and probs.dtype == np.float32
    assert np.allclose(probs.sum(0), 1, atol=1e-5) and probs.min() >= 0
    absent = [i for i, c in enumerate(VOC7.keep) if c not in (0, 8, 13)]
    assert probs[absent].max() == 0
    lab = weak != 255
    idx = VOC7.to_index(weak)
    assert np.all(probs[idx[lab], np.nonzero(lab)[0], np.nonzero(lab)[1]] == 1)  # seeds keep their label
    pred = label_map(probs, VOC7)
    assert set(np.unique(pred)) <= {0, 8, 13}
    assert (pred == truth).mean() > 0.9, f"{method} got {(pred == truth).mean():.3f} pixel accuracy"


def test_one_class_gets_probability_one_and_no_labels_abstain():
    image, weak, _ = scene()
    only = np.where(weak == 8, 8, 255).astype(np.uint8)
    probs = predict_local("gmm", image, only, VOC7)
    assert np.all(probs[VOC7.keep.index(8)] == 1) and probs.sum() == probs[1].sum()
    assert np.all(label_map(probs, VOC7) == 8)
    empty = np.full(weak.shape, 255, np.uint8)
    probs = predict_local("gmm", image, empty, VOC7)
    assert np.allclose(probs, 1 / 7)
    assert np.all(label_map(probs, VOC7) == 255)


def test_classes_outside_the_label_space_count_as_unlabelled():
    image, weak, _ = scene()
    other = weak.copy()
    other[0:3, :] = 1  # aeroplane: not one of the 7 classes
    assert np.array_equal(predict_local("gmm", image, other, VOC7), predict_local("gmm", image, weak, VOC7))


def test_same_input_same_output():
    image, weak, _ = scene()
    for method in ("gmm", "pixel-classifier", "superpixels"):
        a = predict_local(method, image, weak, VOC7, **FAST.get(method, {}))
        b = predict_local(method, image, weak, VOC7, **FAST.get(method, {}))
        assert np.array_equal(a, b), method
    a = predict_local("gmm", image, weak, VOC7, seed=1)
    assert not np.array_equal(a, predict_local("gmm", image, weak, VOC7, seed=0))


def test_bad_calls():
    image, weak, _ = scene()
    with pytest.raises(ConfigError, match="unknown local method"):
        predict_local("grabcut", image, weak, VOC7)
    with pytest.raises(ConfigError, match="no parameter"):
        predict_local("gmm", image, weak, VOC7, nonsense=1)
    with pytest.raises(ValueError, match="differ in size"):
        predict_local("gmm", image, weak[:-1], VOC7)
    with pytest.raises(ValueError, match="uint8"):
        predict_local("gmm", image.astype(np.float32), weak, VOC7)
    assert "crf_iters" in method_defaults("gmm-crf") and "components" in method_defaults("gmm-crf")


def test_downscaling_keeps_every_click():
    seeds = np.full((375, 500), 255, np.uint8)
    seeds[100:140, 100:400] = 0
    seeds[120, 250] = 1  # one click inside a scribble of another class
    seeds[10, 10] = 2
    size = working_size(seeds.shape, 160)
    assert max(size) == 160
    small = downscale_seeds(seeds, size, 3)
    assert set(np.unique(small)) == {0, 1, 2, 255}
    grown = training_mask(small, 3, min_pixels=30, grow=2)
    assert (grown == 2).sum() > 1 and (grown == 0).sum() == (small == 0).sum()


# ----------------------------------------------------------------------------------- batch runner
@pytest.fixture()
def synthetic(tmp_path):
    """Four embedded scenes with sparse labels: every 6th row of each class's eroded mask."""
    ds = load_dataset("default", "train", limit=4)
    folder = tmp_path / "scribbles"
    for key in ds.ids:
        mask = ds.mask(key)
        weak = np.full(mask.shape, 255, np.uint8)
        for c in np.unique(mask[mask != 255]):
            inner = ndimage.binary_erosion(mask == c, iterations=2)
            inner[np.arange(mask.shape[0]) % 6 != 0] = False
            weak[inner] = c
        write_label_png(folder / f"{key}.png", weak, ds.palette)
    return ds, WeakLabels(folder), tmp_path


def test_run_local_writes_maps_and_stores_and_resumes(synthetic):
    ds, weak, tmp = synthetic
    out = tmp / "out"
    rec = run_local(ds, weak, "gmm", out, progress=False, max_side=64)
    assert rec["counts"] == {"images": 4, "computed": 4, "skipped": 0, "no_labels": 0, "one_class": 0}
    assert rec["complete"] and rec["params"]["max_side"] == 64 and rec["bytes_per_image"] > 0
    for key in ds.ids:
        pred = read_label_png(out / f"{key}.png")
        probs = load_probs(out / f"{key}.npz", ds.labels)
        # the store is uint8-quantised: its argmax may differ from the map only at near-ties
        top2 = np.sort(probs, 0)[-2:]
        clear = top2[1] - top2[0] > 2.5 / 255
        assert np.array_equal(pred[clear], label_map(probs, ds.labels)[clear]) and clear.mean() > 0.95
        assert (pred == ds.mask(key)).mean() > 0.8
    assert json.loads((out / "run.json").read_text())["method"] == "gmm"
    # rerun: nothing to do; a lost label map is recomputed, byte-identical
    before = (out / f"{ds.ids[1]}.png").read_bytes()
    assert run_local(ds, weak, "gmm", out, progress=False, max_side=64)["counts"]["computed"] == 0
    (out / f"{ds.ids[1]}.png").unlink()
    rec = run_local(ds, weak, "gmm", out, progress=False, max_side=64)
    assert rec["counts"]["computed"] == 1 and rec["counts"]["skipped"] == 3
    assert (out / f"{ds.ids[1]}.png").read_bytes() == before
    assert not list(out.glob("*.tmp")) and [p.name for p in out.glob(".*")] == [".lock"]
    with pytest.raises(ConfigError, match=r"other settings \(params.max_side differ"):
        run_local(ds, weak, "gmm", out, progress=False, max_side=32)


def test_run_local_shards_and_parallel_workers(synthetic):
    ds, weak, tmp = synthetic
    rec = run_local(ds, weak, "superpixels", tmp / "sh", shard="1/2", workers=2, progress=False,
                    n_segments=100)
    assert rec["counts"]["images"] == 2 and (tmp / "sh" / "run.shard-1-of-2.json").is_file()
    assert sorted(p.stem for p in (tmp / "sh").glob("*.png")) == sorted(ds.ids[1::2])


def test_run_local_names_a_corrupt_label_file(synthetic):
    ds, weak, tmp = synthetic
    bad = weak.folder / f"{ds.ids[2]}.png"
    bad.write_bytes(b"not a png")
    with pytest.raises(DataError, match=ds.ids[2]):
        run_local(ds, weak, "gmm", tmp / "out", progress=False)
    # the images before it are finished and kept
    assert (tmp / "out" / f"{ds.ids[0]}.png").is_file()


def test_cli_local(synthetic, capsys):
    ds, weak, tmp = synthetic
    out = tmp / "cli"
    code = cli_main(["local", "--data", "default", "--split", "train", "--limit", "4", "--labels",
                     str(weak.folder), "--method", "random-walker", "--out", str(out), "--workers", "1",
                     "--set", "max_side=64", "--set", "beta=30", "--score"])
    assert code == 0
    text = capsys.readouterr().out
    assert "4 computed" in text and "mIoU" in text
    assert json.loads((out / "run.json").read_text())["params"]["beta"] == 30
    assert cli_main(["local", "--data", "default", "--labels", str(weak.folder), "--method", "gmm",
                     "--out", str(out / "x"), "--set", "oops"]) == 2
    assert "NAME=VALUE" in capsys.readouterr().err
    assert cli_main(["local", "--data", "default", "--labels", str(tmp / "none"), "--method", "gmm",
                     "--out", str(out / "y")]) == 2
    assert "weak-label folder is missing" in capsys.readouterr().err


# ----------------------------------------------------------------------------------- real data
def test_real_image_from_human_clicks(voc12_train):
    key = voc12_train.ids[0]
    image = voc12_train.image(key)
    weak = WeakLabels("points", clip=True)(voc12_train, key)
    probs = predict_local("gmm", image, weak, voc12_train.labels, max_side=100)
    present = np.unique(voc12_train.labels.to_index(weak[weak != 255]))
    assert np.allclose(probs.sum(0), 1, atol=1e-5)
    assert sorted(np.flatnonzero(probs.reshape(7, -1).max(1) > 0)) == sorted(present)
    rows, cols = np.nonzero(weak != 255)
    assert np.all(label_map(probs, voc12_train.labels)[rows, cols] == weak[rows, cols])
