import numpy as np
import pytest

from scribblegap.pseudolabels.fusion import clamp_to_scribbles, fuse, regularise, superpixel_smooth, to_labels


def _probs(*rows):
    return np.array(rows, np.float32).reshape(len(rows), 1, -1)


def test_mean_is_the_weighted_average():
    local = _probs([0.9, 0.2], [0.1, 0.8])
    glob = _probs([0.3, 0.6], [0.7, 0.4])
    assert np.allclose(fuse(local, glob), (local + glob) / 2)
    assert np.allclose(fuse(local, glob, weight=0.25), 0.25 * local + 0.75 * glob)


def test_product_and_max_variants():
    local = _probs([0.9, 0.5], [0.1, 0.5])
    glob = _probs([0.6, 0.2], [0.4, 0.8])
    prod = fuse(local, glob, mode="product")
    expected = np.sqrt(local * glob)
    assert np.allclose(prod, expected / expected.sum(0), atol=1e-3)
    mx = fuse(local, glob, mode="max")
    assert np.allclose(mx[:, 0, 0], [0.9, 0.1]) and np.allclose(mx[:, 0, 1], [0.2, 0.8])
    with pytest.raises(ValueError):
        fuse(local, glob, mode="median")


def test_scribble_pixels_keep_their_label_and_threshold_abstains():
    local = _probs([0.4, 0.9, 0.55], [0.6, 0.1, 0.45])
    glob = _probs([0.4, 0.9, 0.5], [0.6, 0.1, 0.5])
    weak = np.array([[0, 255, 255]], np.uint8)
    fused = fuse(local, glob, weak_index=weak)
    assert np.allclose(fused[:, 0, 0], [1, 0])
    labels = to_labels(fused, threshold=0.6)
    assert labels.tolist() == [[0, 0, 255]]  # 0.525 < 0.6: unsure


def test_regularisers_clamp_scribbles():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (24, 24, 3), dtype=np.uint8)
    probs = rng.dirichlet([1, 1, 1], size=(24, 24)).transpose(2, 0, 1).astype(np.float32)
    weak = np.full((24, 24), 255, np.uint8)
    weak[3, 3] = 2
    for method in ("crf", "superpixels", None):
        out = regularise(image, probs, method, weak_index=weak)
        assert out.shape == probs.shape and np.allclose(out.sum(0), 1, atol=1e-4)
        assert out[:, 3, 3].argmax() == 2 and out[2, 3, 3] == 1
    smooth = superpixel_smooth(image, probs, n_segments=20)
    assert len(np.unique(smooth[0])) <= 40  # constant inside each superpixel
    assert np.array_equal(clamp_to_scribbles(probs, np.full((24, 24), 255, np.uint8)), probs)
