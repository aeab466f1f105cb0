import numpy as np
import pytest

from scribblegap.annotators.crf import DenseCRF
from scribblegap.data import VOC_CLASSES, LabelSpace
from scribblegap.core.errors import DataError
from scribblegap.data.store import load_probs, save_probs


def test_store_round_trip_keeps_only_present_classes(tmp_path):
    labels = LabelSpace.create(VOC_CLASSES, "voc12-mini")
    rng = np.random.default_rng(0)
    probs = np.zeros((7, 30, 40), np.float32)
    probs[[0, 5]] = rng.dirichlet([1, 1], size=(30, 40)).transpose(2, 0, 1)
    size = save_probs(tmp_path / "a.npz", probs, labels)
    with np.load(tmp_path / "a.npz") as z:
        assert z["classes"].tolist() == [0, 15] and z["probs"].dtype == np.uint8
    back = load_probs(tmp_path / "a.npz", labels)
    assert np.abs(back - probs).max() <= 1 / 255 + 1e-6
    assert np.allclose(back.sum(0), 1) and size < probs.nbytes / 4
    # a reader with a different label space maps channels by class id
    other = LabelSpace.create(VOC_CLASSES, [0, 15])
    assert np.allclose(load_probs(tmp_path / "a.npz", other)[1], back[5], atol=1e-6)


def test_store_bad_file(tmp_path):
    labels = LabelSpace.create(VOC_CLASSES)
    (tmp_path / "bad.npz").write_bytes(b"garbage")
    with pytest.raises(DataError, match="not a readable probability store"):
        load_probs(tmp_path / "bad.npz", labels)
    with pytest.raises(DataError, match="missing"):
        load_probs(tmp_path / "none.npz", labels)


def test_dense_crf_snaps_labels_to_image_edges():
    image = np.zeros((40, 40, 3), np.uint8)
    image[:, 20:] = 255
    probs = np.full((2, 40, 40), 0.5, np.float32)
    probs[0, :, :8], probs[1, :, :8] = 0.9, 0.1   # confident "dark" on the far left
    probs[0, :, -8:], probs[1, :, -8:] = 0.1, 0.9  # confident "bright" on the far right
    out = DenseCRF(bi_xy_std=30, bi_rgb_std=10, bi_w=10)(image, probs)
    assert out.shape == probs.shape and np.allclose(out.sum(0), 1, atol=1e-4)
    label = out.argmax(0)
    assert (label[:, :20] == 0).mean() > 0.95 and (label[:, 20:] == 1).mean() > 0.95
