"""A data set of one's own: classes.txt (names, colours, which class is the background, if any), .jpg or .png
images of any size, either mask folder; bad class files and masks are one line, exit 2, nothing written; a
data set without a background goes through simulate -> local -> fuse; the worked example builds offline and
runs the whole chain under its own class names."""
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scribblegap.annotators.runner import run_local
from conftest import refused
from scribblegap.cli import main
from scribblegap.core.errors import DataError
from scribblegap.core.metrics import score_folder
from scribblegap.data import VOC_CLASSES, load_dataset, voc_palette
from scribblegap.data.example import EXAMPLE, SCENES, build_example
from scribblegap.data.labels import LabelSpace, class_file_text, read_class_file
from scribblegap.experiment.configs import load_config
from scribblegap.pipeline import run
from scribblegap.pseudolabels.fusion import fuse_dataset
from scribblegap.scribbles.simulate import simulate_dataset
from scribblegap.scribbles.sources import WeakLabels

OWN = "# a field scene\nsky  #87ceeb\nroad 128,64,128\nbuilding\ntree  # no colour\nbackground: none\n"


def own_folder(root, classes_text=OWN, n=3, size=(45, 70), suffix=".png", mask_dir="SegmentationClass", top=3):
    """A VOC-layout folder of ``n`` images in which every pixel is one of the classes 0..``top`` (no void)."""
    root = Path(root)
    rng = np.random.default_rng(0)
    for d in ("JPEGImages", mask_dir, "ImageSets/Segmentation"):
        (root / d).mkdir(parents=True, exist_ok=True)
    ids = [f"img{i}" for i in range(n)]
    colours = np.array([[135, 206, 235], [128, 64, 128], [200, 60, 40], [30, 140, 30]], np.uint8)
    for key in ids:
        mask = np.zeros(size, np.uint8)  # sky on top, road below, a building and a tree in between
        mask[size[0] // 2:] = 1
        mask[8:30, 5:30] = 2
        mask[10:35, 40:60] = min(top, 3)
        image = np.clip(colours[np.minimum(mask, 3)] + rng.normal(0, 8, size + (3,)), 0, 255).astype(np.uint8)
        Image.fromarray(image).save(root / "JPEGImages" / f"{key}{suffix}")
        Image.fromarray(mask).save(root / mask_dir / f"{key}.png")
    (root / "ImageSets/Segmentation/train.txt").write_text("\n".join(ids) + "\n")
    (root / "ImageSets/Segmentation/val.txt").write_text(ids[0] + "\n")
    if classes_text is not None:
        (root / "classes.txt").write_bytes(classes_text.encode("utf-8") if isinstance(classes_text, str)
                                           else classes_text)
    return root, ids


def cli(*argv) -> int:
    return main([str(a) for a in argv])




@pytest.fixture(scope="module")
def example(tmp_path_factory):
    root = tmp_path_factory.mktemp("data") / EXAMPLE
    assert build_example(root) == "built"
    return root


# --------------------------------------------------------------------------------------- classes.txt
def test_class_file_names_colours_and_background(tmp_path):
    root, _ = own_folder(tmp_path / "own")
    ds = load_dataset(root, "train")
    assert ds.labels.names == ("sky", "road", "building", "tree") and ds.labels.background is None
    assert ds.palette[0].tolist() == [135, 206, 235] and ds.palette[1].tolist() == [128, 64, 128]
    assert ds.palette[2].tolist() == voc_palette()[2].tolist() and ds.palette[255].tolist() == [255, 255, 255]
    assert load_dataset(root, "train", classes="road,tree").labels.kept_names == ("road", "tree")
    (root / "classes.txt").write_text("sky\nroad\nbuilding\ntree\nbackground: sky\n")
    assert load_dataset(root, "train").labels.background == 0
    # without the file: VOC's names, the class called background is the background
    (root / "classes.txt").unlink()
    voc = load_dataset(root, "train")
    assert voc.labels.names == VOC_CLASSES and voc.labels.background == 0
    assert LabelSpace.create(("ground", "sun")).background is None
    text = class_file_text(("a", "b"), [(1, 2, 3), None], background=None)
    (tmp_path / "c.txt").write_text(text)
    back = read_class_file(tmp_path / "c.txt")
    assert back.names == ("a", "b") and back.background is None and back.palette[0].tolist() == [1, 2, 3]


@pytest.mark.parametrize("text, problem", [
    ("", "names no classes"),
    ("# only a comment\n\n", "names no classes"),
    ("sky\nroad\nsky\n", "'sky' is named twice (lines 1 and 3)"),
    (b"sky\ncaf\xe9\n", "not UTF-8"),
    ("sky 70,70\n", "line 1: colour of class 'sky': '70,70' does not parse"),
    ("sky\nroad #12345g\n", "line 2: colour of class 'road'"),
    ("sky 256,0,0\n", "'256,0,0' does not parse"),
    ("traffic light\n", "a class name is one word"),
    ("sky 1,2,3 extra\n", "line 1: expected a class name and optionally a colour"),
    ("sky\nbackground: ground\n", "line 2: background 'ground' is not one of the classes"),
    ("sky\nbackground: none\nbackground: sky\n", "a second background line"),
    ("sky\n12\n", "class name '12'"),
    ("".join(f"c{i}\n" for i in range(256)), "at most 255"),
])
def test_bad_class_files_are_one_line_and_write_nothing(tmp_path, capsys, text, problem):
    root, _ = own_folder(tmp_path / "own", classes_text=text)
    out = tmp_path / "sim"
    refused(capsys, ["simulate", "--data", root, "--out", out], root / "classes.txt", problem)
    assert not out.exists()


def test_masks_with_ids_beyond_the_named_classes(tmp_path, capsys):
    root, ids = own_folder(tmp_path / "own", classes_text="sky\nroad\nbuilding\nbackground: none\n")
    out = tmp_path / "sim"  # tree (3) is not named: the first mask stops the run before any file
    refused(capsys, ["simulate", "--data", root, "--out", out, "--workers", "1"],
            root / "SegmentationClass" / f"{ids[0]}.png", "outside the allowed class ids: [3]",
            "3 classes named by classes.txt")
    assert not out.exists()
    stats = tmp_path / "stats.json"
    refused(capsys, ["stats", "--data", root, "--labels", "full", "--out", stats, "--workers", "1"], "[3]")
    assert not stats.exists()


def test_jpg_or_png_images_of_any_size_and_either_mask_folder(tmp_path):
    for suffix, mask_dir, size in ((".png", "SegmentationClassAug", (33, 91)), (".jpg", "SegmentationClass", (64, 72))):
        root, ids = own_folder(tmp_path / f"own{suffix}", suffix=suffix, mask_dir=mask_dir, size=size)
        ds = load_dataset(root, "train")
        assert ds.image_path(ids[0]).suffix == suffix and ds.image(0).shape == size + (3,)
        assert ds.image_shape(0) == size and ds.mask(0).shape == size and set(np.unique(ds.mask(0))) == {0, 1, 2, 3}


def test_stats_speaks_of_the_data_sets_own_classes(tmp_path, capsys):
    root, _ = own_folder(tmp_path / "own")
    sim, out = tmp_path / "sim", tmp_path / "stats.json"
    assert cli("simulate", "--data", root, "--out", sim, "--budget", "0.05", "--workers", "1") == 0
    assert cli("stats", "--data", root, "--labels", sim, "--out", out, "--workers", "1") == 0
    written = json.loads(out.read_text())
    assert written["class_names"] == ["sky", "road", "building", "tree"]
    assert list(written["statistics"]["per_class"]) == ["sky", "road", "building", "tree"]
    assert written["statistics"]["background_class"] is None
    assert written["statistics"]["objects_touched"]["totals"]["background"]["objects"] == 0


# ------------------------------------------------------------------------------------ no background
def test_a_data_set_without_background_through_simulate_local_fuse(example, tmp_path):
    """Every class is scribbled alike (the background line changes no scribble), the local annotator and the
    fusion give sensible pseudo-labels, and the scribble pixels keep their labels."""
    train = load_dataset(example, "train", limit=8)
    assert train.labels.background is None and train.image_shape(0) == (120, 160)
    stats = simulate_dataset(train, tmp_path / "sim", budget=0.03, workers=1, progress=False)
    assert stats["untouched"]["background"]["objects"] == 0 and stats["untouched"]["objects"]["objects"] > 8
    per_class = stats["statistics"]["per_class"]
    assert per_class["ground"]["images_with_class_labelled"] == 8  # the floor is scribbled like any class
    assert stats["statistics"]["disagreement"]["pixels_on_other_class"] == 0

    # the same folder saying 'background: ground' draws the very same scribbles
    named = tmp_path / "named"
    named.mkdir()
    for part in ("JPEGImages", "SegmentationClass", "ImageSets"):
        (named / part).symlink_to(example / part)
    (named / "classes.txt").write_text((example / "classes.txt").read_text().replace("background: none",
                                                                                      "background: ground"))
    named_train = load_dataset(named, "train", limit=8)
    assert named_train.labels.background == 0
    simulate_dataset(named_train, tmp_path / "sim-named", budget=0.03, workers=1, progress=False)
    for key in train.ids:
        assert (tmp_path / "sim" / f"{key}.png").read_bytes() == (tmp_path / "sim-named" / f"{key}.png").read_bytes()

    weak = WeakLabels(tmp_path / "sim")
    run_local(train, weak, "superpixels", tmp_path / "local", progress=False)
    run_local(train, weak, "gmm", tmp_path / "gmm", progress=False)
    local = score_folder(train, tmp_path / "local")
    assert local["miou"] > 0.5 and local["iou"]["ground"] > 0.8 and set(local["iou"]) == set(train.labels.names)
    fuse_dataset(train, tmp_path / "local", tmp_path / "gmm", tmp_path / "fused", weak=weak, progress=False)
    fused = score_folder(train, tmp_path / "fused")
    assert fused["miou"] > 0.5 and fused["iou"]["ground"] > 0.8
    for key in train.ids[:3]:
        scribbles = weak(train, key)
        labels = np.array(Image.open(tmp_path / "fused" / f"{key}.png"))
        assert (labels[scribbles != 255] == scribbles[scribbles != 255]).all()


# ------------------------------------------------------------------------------------ the example
def test_the_example_builds_offline_with_its_own_classes(example, tmp_path, capsys):
    train, val = load_dataset(example, "train"), load_dataset(example, "val")
    assert (len(train), len(val)) == (SCENES.n_train, SCENES.n_val)
    assert train.labels.names == ("ground", "sun", "ring", "comb", "spider", "blob") and train.labels.background is None
    assert train.image(0).shape == (120, 160, 3) and train.image_path(0).suffix == ".png"
    assert train.palette[4].tolist() == [30, 90, 220]
    assert build_example(example) == "skipped"
    built = tmp_path / "built"
    assert cli("download", "--what", "example", "--root", built) == 0
    assert f"use it with --data {built / EXAMPLE}" in capsys.readouterr().out
    assert load_dataset(built / EXAMPLE, "val").labels.names == train.labels.names
    root = tmp_path / "data"  # a folder of that name holding something else is left alone
    (root / EXAMPLE).mkdir(parents=True)
    (root / EXAMPLE / "mine.txt").write_text("x")
    refused(capsys, ["download", "--what", "example", "--root", root], root / EXAMPLE,
            "does not hold the worked example")


def test_the_example_by_name_is_built_on_first_use_in_the_cache(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SCRIBBLEGAP_DATA", str(tmp_path / "no-data"))
    monkeypatch.setenv("SCRIBBLEGAP_CACHE", str(tmp_path / "cache"))
    ds = load_dataset(EXAMPLE, "val", limit=2)
    assert ds.root.is_relative_to(tmp_path / "cache") and ds.labels.kept_names[0] == "ground" and len(ds) == 2
    monkeypatch.setenv("SCRIBBLEGAP_CACHE", "off")  # nowhere to build it: say how
    with pytest.raises(DataError, match="download --what example"):
        load_dataset(EXAMPLE, "val")


@pytest.mark.slow
def test_the_whole_chain_on_the_example_speaks_of_its_classes(example, tmp_path):
    # the example's config, small: 10 images, 10-step networks, the budget curve's one point the main chain's,
    # and no R (one training process less; its loss treats every class alike as the others do)
    config = replace(load_config(EXAMPLE, data=str(example)), limit=10, seeds=(0,), preset="cpu-fast",
                     train_overrides={"iters": 10, "batch_size": 4, "eval_every": 0}, budgets=(0.03,), workers=1,
                     stages=("chain", "F", "evaluate", "pseudo", "budget", "report"), progress=False)
    run(config, root=tmp_path, log=lambda line: None)
    report = (tmp_path / "results" / EXAMPLE / "report.md").read_text()
    assert "Per-class IoU" in report and "The paper's claims" in report and "Annotation budget" in report
    for name in ("ground", "sun", "ring", "comb", "spider", "blob"):
        assert f"| {name} |" in report, name
    summary = json.loads((tmp_path / "results" / EXAMPLE / "summary.json").read_text())
    assert set(summary["F"]["runs"][0]["iou"]) == {"ground", "sun", "ring", "comb", "spider", "blob"}
