import numpy as np
import pytest
from PIL import Image

from scribblegap.data import CLASS_SUBSETS, LabelSpace, SyntheticScenes, VOCSegmentation, load_dataset
from scribblegap.data.synthetic import SceneConfig
from scribblegap.core.errors import ConfigError, DataError


def test_voc_reader_returns_images_and_masks(tiny_voc):
    root, ids = tiny_voc
    ds = VOCSegmentation(root, "train")
    assert len(ds) == 3 and ds.ids == ids
    image, mask = ds[0]
    assert image.shape == (40, 60, 3) and image.dtype == np.uint8
    assert mask.shape == (40, 60) and set(np.unique(mask)) == {0, 8, 15, 255}


def test_class_subset_maps_other_classes_to_ignore(tiny_voc):
    root, _ = tiny_voc
    ds = VOCSegmentation(root, "train", classes=[0, 15])
    mask = ds.mask(0)
    assert set(np.unique(mask)) == {0, 15, 255}
    assert (mask[5:20, 5:25] == 255).all()  # the cat (8) became ignore
    assert ds.labels.to_index(mask)[30, 40] == 1


def test_voc12_mini_preset_is_the_seven_class_protocol():
    from scribblegap.data import VOC_CLASSES

    space = LabelSpace.create(VOC_CLASSES, "voc12-mini")
    assert space.kept_names == ("background", "cat", "cow", "dog", "horse", "person", "sheep")
    assert CLASS_SUBSETS["voc12-mini"] == (0, 8, 10, 12, 13, 15, 17)
    idx = space.to_index(np.array([0, 8, 17, 1, 255], np.uint8))
    assert idx.tolist() == [0, 1, 6, 255, 255]
    assert space.to_ids(idx).tolist() == [0, 8, 17, 255, 255]


def test_unknown_class_name_is_a_config_error():
    from scribblegap.data import VOC_CLASSES

    with pytest.raises(ConfigError, match="unknown class"):
        LabelSpace.create(VOC_CLASSES, ["background", "unicorn"])


def test_dataset_is_a_torch_dataset(tiny_voc):
    from torch.utils.data import DataLoader

    root, _ = tiny_voc
    ds = VOCSegmentation(root, "train", transform=lambda im, m: (im.mean(), int((m == 8).sum())))
    batch = next(iter(DataLoader(ds, batch_size=3)))
    assert batch[1].tolist() == [300, 300, 300]


# ------------------------------------------------------------------------------------- bad input
def test_corrupt_image_names_the_file(tiny_voc):
    root, ids = tiny_voc
    path = root / "JPEGImages" / f"{ids[1]}.jpg"
    path.write_bytes(path.read_bytes()[:200])  # truncated
    ds = VOCSegmentation(root, "train")
    with pytest.raises(DataError, match=ids[1]) as err:
        ds.image(1)
    assert "cannot decode" in str(err.value)


def test_mask_size_mismatch(tiny_voc):
    root, ids = tiny_voc
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(root / "SegmentationClass" / f"{ids[2]}.png")
    with pytest.raises(DataError, match="differs from its image"):
        VOCSegmentation(root, "train").mask(2)


def test_mask_values_outside_voc_range(tiny_voc):
    root, ids = tiny_voc
    bad = np.zeros((40, 60), np.uint8)
    bad[0, 0] = 30
    Image.fromarray(bad).save(root / "SegmentationClass" / f"{ids[0]}.png")
    with pytest.raises(DataError, match=r"outside the allowed class ids: \[30\]"):
        VOCSegmentation(root, "train").mask(0)


def test_missing_file_listed_in_split(tiny_voc):
    root, ids = tiny_voc
    (root / "JPEGImages" / f"{ids[0]}.jpg").unlink()
    with pytest.raises(DataError, match="missing"):
        VOCSegmentation(root, "train")[0]


def test_missing_split_file(tiny_voc):
    root, _ = tiny_voc
    with pytest.raises(DataError, match="split file"):
        VOCSegmentation(root, "nosuchsplit")


# ------------------------------------------------------------------------------ embedded default
def test_synthetic_scenes_are_deterministic_and_multiclass():
    cfg = SceneConfig(n_train=12, n_val=4)
    a, b = SyntheticScenes("train", cfg), SyntheticScenes("train", cfg)
    assert np.array_equal(a.image(5), b.image(5)) and np.array_equal(a.mask(5), b.mask(5))
    assert not np.array_equal(a.image(0), SyntheticScenes("val", cfg).image(0))
    classes = set()
    for i in range(len(a)):
        classes |= set(np.unique(a.mask(i)).tolist())
    assert len(classes) >= 4 and 0 in classes
    image, mask = a[0]
    assert image.shape == (128, 128, 3) and mask.shape == (128, 128)


def _as_a_new_process(monkeypatch):
    import scribblegap.data.synthetic as synthetic

    monkeypatch.setattr(synthetic, "_SCENES", {})
    monkeypatch.setattr(synthetic, "_READ", set())


def test_scene_cache_stores_a_split_and_other_processes_read_it(tmp_path, monkeypatch):
    import scribblegap.data.synthetic as synthetic

    monkeypatch.setenv("SCRIBBLEGAP_CACHE", str(tmp_path))
    _as_a_new_process(monkeypatch)
    cfg = SceneConfig(size=32, n_train=5, n_val=2)
    fresh = [synthetic.render_scene(cfg, 0, i) for i in range(5)]
    SyntheticScenes("train", cfg).load_all()
    (stored,) = (tmp_path / "scenes").glob("train-5-*.npz")

    render = synthetic.render_scene
    monkeypatch.setattr(synthetic, "render_scene", lambda *a: pytest.fail("rendered although the split is stored"))
    _as_a_new_process(monkeypatch)
    again = SyntheticScenes("train", cfg)
    for i, (image, mask) in enumerate(fresh):
        assert np.array_equal(again.image(i), image) and np.array_equal(again._read_mask(again.ids[i], None), mask)

    stored.write_bytes(b"not an npz")  # a damaged cache file is rendered again, not an error
    monkeypatch.setattr(synthetic, "render_scene", render)
    _as_a_new_process(monkeypatch)
    damaged = SyntheticScenes("train", cfg)
    assert np.array_equal(damaged.image(3), fresh[3][0]) and not stored.exists()
    damaged.load_all()
    assert stored.exists()
    other = SceneConfig(size=32, n_train=5, n_val=2, halo=2)  # other knobs, another file
    SyntheticScenes("train", other).load_all()
    assert len(list((tmp_path / "scenes").glob("train-5-*.npz"))) == 2


def test_scenes_travel_to_workers_without_their_pixels(monkeypatch):
    import pickle

    _as_a_new_process(monkeypatch)
    ds = SyntheticScenes("val", SceneConfig(size=64, n_train=2, n_val=8)).load_all()
    payload = pickle.dumps(ds)
    assert len(payload) < 5000  # 8 scenes are 131 kB
    assert np.array_equal(pickle.loads(payload).image(7), ds.image(7))


def test_scene_cache_can_be_switched_off(tmp_path, monkeypatch):
    monkeypatch.setenv("SCRIBBLEGAP_CACHE", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    SyntheticScenes("val", SceneConfig(size=32, n_train=2, n_val=2)).load_all()
    assert not any(tmp_path.rglob("*.npz"))


def test_load_dataset_default_and_limit():
    ds = load_dataset("default", "val", limit=3)
    assert len(ds) == 3 and ds.labels.kept_names[0] == "background"


# ------------------------------------------------------------------------------------ real data
@pytest.mark.realdata
def test_voc12_mini_real_data(voc12_mini):
    train = load_dataset(voc12_mini, "train")
    val = load_dataset(voc12_mini, "val")
    assert len(train) == 1200 and len(val) == 250
    assert train.labels.keep == CLASS_SUBSETS["voc12-mini"]  # the protocol is the default for voc12-mini
    image, mask = train[0]
    assert image.ndim == 3 and image.shape[:2] == mask.shape
    values = set()
    for i in range(0, 1200, 60):
        values |= set(np.unique(train.mask(i)).tolist())
    assert values <= set(CLASS_SUBSETS["voc12-mini"]) | {255}
    assert len(values - {255}) >= 5


def test_scene_knobs_through_the_data_spec():
    import pytest

    from scribblegap.data import load_dataset
    from scribblegap.core.errors import ConfigError

    hard, no_halo = load_dataset("default:hard", "val", limit=2), load_dataset("default:hard,halo=0", "val", limit=2)
    assert no_halo.config.halo == 0 and hard.config.halo > 0
    assert (hard.mask(0) == no_halo.mask(0)).all() and not (hard.image(0) == no_halo.image(0)).all()
    with pytest.raises(ConfigError, match="nope"):
        load_dataset("default:nope=1", "val")
