"""Statistics of weak labels against dense masks: regions, per-image records, summaries, the stats CLI."""
import json

import numpy as np
import pytest

from scribblegap.cli import main as cli_main
from scribblegap.data import load_dataset
from scribblegap.data.labels import LabelSpace, VOC_CLASSES
from scribblegap.core.io import write_label_png
from scribblegap.scribbles import WeakLabels
from scribblegap.scribbles.statistics import (LENGTH_EDGES, dataset_statistics, find_regions, image_record,
                                              ks_test, merge_records, summarize)

LABELS = LabelSpace.create(VOC_CLASSES, "voc12-mini")


def two_objects():
    """100x100: background, a 40x40 cat at (10..49, 10..49), a 20x20 dog, a void strip, a 2x2 dog speck."""
    m = np.zeros((100, 100), np.uint8)
    m[10:50, 10:50] = 8
    m[60:80, 60:80] = 12
    m[:, 95:] = 255
    m[90:92, 10:12] = 12
    return m


def test_find_regions_distances():
    m = two_objects()
    reg = find_regions(m)
    assert reg.n == 4  # background, cat, dog, speck (void is no region)
    cat = reg.ids[30, 30]
    assert reg.cls[cat] == 8 and reg.area[cat] == 1600
    assert reg.dist[10, 30] == 1 and reg.dist[11, 30] == 2 and reg.dist[29, 29] == 20
    assert reg.inradius[cat] == 20 and reg.inradius[reg.ids[90, 10]] == 1
    assert reg.dist[0, 96] == 0  # void
    # the frame is a boundary too
    assert reg.dist[0, 50] == 1
    chess = find_regions(m, metric="chessboard")
    assert chess.inradius[cat] == 20
    with pytest.raises(ValueError, match="metric"):
        find_regions(m, metric="manhattan")
    with pytest.raises(ValueError, match="2-D"):
        find_regions(np.zeros((3, 3, 3), np.uint8))


def test_record_of_a_known_weak_map():
    m = two_objects()
    weak = np.full(m.shape, 255, np.uint8)
    weak[29:32, 15:45] = 8        # a 3-px wide, 30-px long stroke through the cat
    weak[5, 5] = 0                # one background click
    weak[70, 70] = 8              # a wrong-class click on the dog
    weak[50, 97] = 0              # a click on void
    rec = image_record(weak, m, LABELS, samples=10, key="k")
    assert rec["labelled"] == 90 + 3
    assert rec["disagree_class"] == 1 and rec["disagree_void"] == 1
    assert rec["scribbles"] == 4
    s = summarize(merge_records([rec]), LABELS)
    assert s["labelled_fraction"]["mean_per_image"] == pytest.approx(93 / 10000)
    assert s["disagreement"]["pixels_on_other_class"] == 1 and s["disagreement"]["pixels_on_void"] == 1
    pc = s["per_class"]
    assert pc["cat"]["objects"] == 1 and pc["cat"]["objects_touched"] == 1
    assert pc["dog"]["objects"] == 2 and pc["dog"]["objects_touched"] == 0   # the wrong click does not count
    assert pc["background"]["objects_touched"] == 1
    touched = s["objects_touched"]
    assert touched["by_size"]["objects"]["1-5%"] == {"objects": 1, "touched": 0, "fraction": 0.0,
                                                      "untouched_pixels": 400}   # the dog (4%)
    assert touched["by_size"]["objects"]["5-20%"]["touched"] == 1                # the cat (16%)
    assert touched["by_size"]["objects"]["<0.1%"]["touched"] == 0
    assert touched["larger_than_1_percent"]["objects"] == 0.5
    assert touched["totals"]["objects"]["untouched_pixels"] == 404
    # widths: the stroke is 3 px wide, clicks are 1 px
    widths = np.repeat(np.arange(1, 16), s["scribbles"]["width_hist"])
    assert sorted(widths.tolist()) == [1, 1, 1, 3]
    assert s["scribbles"]["length_px_mean"] == pytest.approx((30 + 1 + 1 + 1) / 4)
    assert sum(s["scribbles"]["length_hist"]) == 4 and len(s["scribbles"]["length_edges"]) == len(LENGTH_EDGES)
    # distances: the stroke runs along rows 29-31 of a 40x40 square (depth up to 20 of inradius 20)
    obj = s["boundary_distance"]["objects"]
    assert obj["pixels"] == 90 and 0 < obj["mean_normalised"] <= 1
    assert s["boundary_distance"]["background"]["pixels"] == 1
    assert len(rec["samples_objects"]) == 10 and len(rec["samples_background"]) == 1
    # one scribble per touched object
    assert s["scribbles"]["per_object_hist"]["objects"][:2] == [2, 1]
    json.dumps(s)  # JSON-ready


def test_merge_adds_and_concatenates():
    m = two_objects()
    weak = np.where(m == 8, 8, 255).astype(np.uint8)
    a = image_record(weak, m, LABELS, samples=5, key="a")
    total = merge_records([a, a])
    assert total["images"] == 2 and total["labelled"] == 2 * a["labelled"]
    assert len(total["samples_objects"]) == 10
    assert (total["abs_hist"] == 2 * a["abs_hist"]).all()
    assert summarize(total, LABELS)["labelled_fraction"]["mean_per_image"] == pytest.approx(0.16)


def test_record_rejects_size_mismatch():
    with pytest.raises(ValueError, match="differ in size"):
        image_record(np.zeros((5, 5), np.uint8), np.zeros((5, 6), np.uint8), LABELS)


def test_ks_test():
    rng = np.random.default_rng(0)
    same = ks_test(rng.uniform(size=500), rng.uniform(size=500))
    apart = ks_test(rng.uniform(size=500), rng.uniform(0.5, 1.5, size=500))
    assert same["statistic"] < 0.15 and same["pvalue"] > 0.01
    assert apart["statistic"] > 0.4 and apart["pvalue"] < 1e-6
    assert ks_test([], [1.0])["statistic"] is None


def test_dataset_statistics_and_cli(tmp_path, capsys):
    ds = load_dataset("default", "val", limit=4)
    folder = tmp_path / "weak"
    for key in ds.ids:  # weak labels: the mask eroded to its interior, on the first two images only
        m = ds.mask(key)
        weak = np.where(find_regions(m).dist >= 3, m, 255).astype(np.uint8)
        write_label_png(folder / f"{key}.png", weak, ds.palette)
    summary, total = dataset_statistics(ds, WeakLabels(folder), samples=20, progress=False)
    assert summary["images"] == 4 and summary["disagreement"]["fraction_of_labelled"] == 0
    assert summary["objects_touched"]["larger_than_1_percent"]["all"] == 1.0
    assert len(total["samples_objects"]) <= 4 * 20
    out = tmp_path / "stats.json"
    fig = tmp_path / "stats.png"
    assert cli_main(["stats", "--data", "default", "--split", "val", "--limit", "4", "--labels", str(folder),
                     "--out", str(out), "--figure", str(fig)]) == 0
    saved = json.loads(out.read_text())
    assert saved["statistics"]["labelled_fraction"] == summary["labelled_fraction"]
    assert fig.stat().st_size > 10_000
    assert "objects > 1% touched" in capsys.readouterr().out
    # bad input: a missing folder, a corrupt file
    assert cli_main(["stats", "--data", "default", "--limit", "2", "--labels", str(tmp_path / "none"),
                     "--out", str(out)]) == 2
    (folder / f"{ds.ids[1]}.png").write_bytes(b"garbage")
    assert cli_main(["stats", "--data", "default", "--split", "val", "--limit", "2", "--labels", str(folder),
                     "--out", str(out)]) == 2
    assert ds.ids[1] in capsys.readouterr().err


@pytest.mark.realdata
def test_human_points_on_voc12_mini(voc12_mini):
    ds = load_dataset(voc12_mini, "val", limit=25)
    summary, total = dataset_statistics(ds, WeakLabels("points", clip=True), samples=100, progress=False)
    # clicks: single pixels, a few per image, mostly on their class
    assert summary["scribbles"]["width_px_mean"] == pytest.approx(1.0)
    assert 2 <= summary["scribbles"]["per_image_mean"] <= 15
    assert summary["disagreement"]["fraction_of_labelled"] < 0.2
    assert len(total["samples_background"]) > 25 and len(total["samples_objects"]) > 10
