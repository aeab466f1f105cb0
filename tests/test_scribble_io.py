import json

import numpy as np
import pytest

from scribblegap.data import VOCSegmentation
from scribblegap.core.errors import DataError
from scribblegap.scribbles import (Point, Scribble, WeakLabels, points_to_labels, rasterize_scribbles,
                                   read_points, read_scribble_png, read_scribble_xml, write_scribble_xml)

XML = """<annotation><size><width>60</width><height>40</height></size>
<polygon><tag>cat</tag><point><X>5</X><Y>10</Y></point><point><X>20</X><Y>10</Y></point></polygon>
<polygon><tag>background</tag><point><X>40</X><Y>2</Y></point><point><X>40</X><Y>12</Y></point></polygon>
</annotation>"""


def test_xml_reader_and_rasterisation(tmp_path):
    path = tmp_path / "a.xml"
    path.write_text(XML)
    shape, scribbles = read_scribble_xml(path, (40, 60))
    assert shape == (40, 60) and [s.cls for s in scribbles] == [8, 0]
    labels = rasterize_scribbles(scribbles, shape, width=3)
    # a horizontal 3-px line from x=5 to 20 at y=10 (+1 px on each end from the 3x3 footprint)
    assert labels[9:12, 5:21].tolist() == np.full((3, 16), 8).tolist()
    assert (labels == 8).sum() == 3 * 18
    assert labels[10, 40] == 0 and labels[0, 0] == 255
    thin = rasterize_scribbles(scribbles, shape, width=1)
    assert (thin == 8).sum() == 16


def test_xml_round_trip(tmp_path):
    s = [Scribble(15, np.array([[1.0, 2.0], [10.0, 2.0], [10.0, 8.0]]))]
    write_scribble_xml(tmp_path / "b.xml", (20, 30), s)
    shape, back = read_scribble_xml(tmp_path / "b.xml")
    assert shape == (20, 30) and back[0].cls == 15 and np.allclose(back[0].points, s[0].points)


@pytest.mark.parametrize("text,problem", [
    ("<annotation><size>", "does not parse"),
    (XML.replace("cat", "unicorn"), "unknown class 'unicorn'"),
    (XML.replace("<X>20</X>", "<X>75</X>"), "outside the 60x40 image"),
    (XML.replace("<width>60", "<width>61"), "declares size 61x40"),
])
def test_bad_xml_names_file_and_problem(tmp_path, text, problem):
    path = tmp_path / "bad.xml"
    path.write_text(text)
    with pytest.raises(DataError, match=problem) as err:
        read_scribble_xml(path, (40, 60))
    assert str(path) in str(err.value)


def test_points_outside_are_clipped_only_on_request(tmp_path):
    path = tmp_path / "c.xml"
    path.write_text(XML.replace("<X>20</X>", "<X>75</X>"))
    _, scribbles = read_scribble_xml(path, (40, 60), clip=True)
    assert scribbles[0].points[:, 0].max() == 59


def test_scribble_png_reader(tmp_path):
    from scribblegap.core.io import write_label_png

    labels = np.full((40, 60), 255, np.uint8)
    labels[3, 4] = 15
    write_label_png(tmp_path / "x.png", labels)
    assert read_scribble_png(tmp_path / "x.png", (40, 60))[3, 4] == 15
    with pytest.raises(DataError, match="differs"):
        read_scribble_png(tmp_path / "x.png", (41, 60))
    labels[0, 0] = 99
    write_label_png(tmp_path / "y.png", labels)
    with pytest.raises(DataError, match="outside the allowed"):
        read_scribble_png(tmp_path / "y.png", (40, 60))


def test_points_reader_and_labels(tmp_path):
    path = tmp_path / "points.json"
    path.write_text(json.dumps({"img": [{"x": 3.7, "y": 5.2, "cls": 8, "rank": 1}, {"x": 10, "y": 1, "cls": 0}]}))
    pts = read_points(path)["img"]
    assert pts[0] == Point(3.7, 5.2, 8, 1) and pts[1].rank is None
    labels = points_to_labels(pts, (20, 20))
    assert labels[5, 3] == 8 and labels[1, 10] == 0 and (labels != 255).sum() == 2
    disc = points_to_labels(pts[:1], (20, 20), radius=2)
    assert (disc == 8).sum() == 21  # offsets with dx^2 + dy^2 <= 6: 1 + 4 + 4 + 4 + 8
    with pytest.raises(DataError, match="outside the 4x4 image"):
        points_to_labels(pts, (4, 4))
    clipped = points_to_labels(pts, (4, 4), clip=True)
    assert clipped[3, 3] == 8 and clipped[1, 3] == 0


def test_malformed_points_file(tmp_path):
    path = tmp_path / "p.json"
    path.write_text("{not json")
    with pytest.raises(DataError, match="does not parse"):
        read_points(path)
    path.write_text(json.dumps({"img": [{"x": 1}]}))
    with pytest.raises(DataError, match="lacks numeric"):
        read_points(path)


def test_weak_label_sources(tiny_voc, tmp_path):
    root, ids = tiny_voc
    ds = VOCSegmentation(root, "train", classes=[0, 8])
    assert np.array_equal(WeakLabels("full")(ds, 0), ds.mask(0))
    (root / "points.json").write_text(json.dumps({k: [{"x": 10, "y": 10, "cls": 8}, {"x": 40, "y": 30, "cls": 15}]
                                                  for k in ids}))
    pts = WeakLabels("points")(ds, 1)
    assert pts[10, 10] == 8 and pts[30, 40] == 255  # person is outside the subset
    xml_dir = tmp_path / "xml"
    xml_dir.mkdir()
    (xml_dir / f"{ids[0]}.xml").write_text(XML)
    assert (WeakLabels(xml_dir)(ds, 0) == 8).sum() == 54
    with pytest.raises(DataError, match="scribble file is missing"):
        WeakLabels(xml_dir)(ds, 1)


@pytest.mark.realdata
def test_real_points_cover_every_image(voc12_train):
    weak = WeakLabels("points")
    for i in range(0, len(voc12_train), 100):
        labels = weak(voc12_train, i)
        assert labels.shape == voc12_train.image_shape(i)
        assert (labels != 255).sum() >= 1
