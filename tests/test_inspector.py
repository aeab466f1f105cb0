"""The notebooks' inspector (scribblegap.report.inspector) and course setup (scribblegap.report.course): one
displayable object that holds the widget and a static PNG, so that GitHub and nbviewer show a picture where
JupyterLab runs the widget; the controls redraw the figure and the per-image line."""
import os

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

from scribblegap.data import load_dataset  # noqa: E402
from scribblegap.report.course import setup  # noqa: E402
from scribblegap.report.inspector import LINE, Layers, inspect, static_view  # noqa: E402

WIDGET = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def layers():
    """Three embedded scenes; layer "mask" is the mask itself, "shifted" the mask moved by 6 px, "empty" all
    background: layers that differ, with known scores."""
    ds = load_dataset("default", "train", limit=3)

    def layer(key, name):
        mask = ds.mask(key)
        if name == "mask":
            return mask
        if name == "shifted":
            return np.roll(mask, 6 * (ds.ids.index(key) + 1), axis=1)
        return np.zeros_like(mask)

    weak = lambda key: np.where(np.arange(ds.mask(key).size).reshape(ds.mask(key).shape) % 97 == 0,
                                ds.mask(key), 255).astype(np.uint8)
    return Layers(ds, list(ds.ids), ("empty", "shifted", "mask"), layer, weak=weak)


def test_scores_and_the_image_whose_layers_differ_most(layers):
    key = layers.keys[0]
    assert layers.score(key, "mask") == pytest.approx(1.0)
    assert layers.score(key, "empty") < layers.score(key, "shifted") < 1.0
    spread = {k: layers.spread(k) for k in layers.keys}
    assert layers.most_different() == max(spread, key=spread.get)
    assert layers.line(key, "mask").startswith(f"{LINE} on {key} (shown: mask): empty ")
    assert layers.line(key, "mask") != layers.line(key, "empty")  # the line says which layer is shown


def test_the_displayed_object_carries_the_widget_and_a_static_png(layers, tmp_path, monkeypatch):
    monkeypatch.setenv("SCRIBBLEGAP_FIGURES", str(tmp_path))
    shown = inspect(layers, name="inspector_test")
    bundle = shown._repr_mimebundle_()
    assert WIDGET in bundle and bundle[WIDGET]["model_id"] == shown.widget.model_id
    assert bundle["image/png"][:8] == b"\x89PNG\r\n\x1a\n"
    assert "run the notebook" in bundle["text/plain"] and "VBox" not in bundle["text/plain"]
    assert (tmp_path / "inspector_test.png").is_file()
    assert shown.key == layers.most_different()


def test_the_controls_redraw_the_line(layers):
    shown = inspect(layers, key=layers.keys[0], layer="shifted")
    first = shown.last_line
    shown.controls["image"].value = layers.keys[1]
    assert shown.last_line != first and shown.last_line.startswith(LINE)
    shown.step(+1)
    assert shown.controls["image"].value == layers.keys[2]
    layers.score_all = False
    try:
        shown.controls["layer"].value = "empty"
        assert shown.last_line.startswith(f"{LINE} of empty on {layers.keys[2]}")
    finally:
        layers.score_all = True


def test_static_view_has_a_panel_per_layer_plus_weak_labels_and_mask(layers):
    fig = static_view(layers, layers.keys[0])
    assert len([ax for ax in fig.axes if ax.images]) == len(layers.names) + 2


def test_setup_points_ci_figures_at_a_temporary_folder(monkeypatch):
    monkeypatch.setenv("CI", "1")
    monkeypatch.delenv("SCRIBBLEGAP_FIGURES", raising=False)
    assert setup(threads=None) is True
    assert "scribblegap_figures_" in os.environ["SCRIBBLEGAP_FIGURES"]
    monkeypatch.delenv("CI")
    monkeypatch.delenv("SCRIBBLEGAP_FIGURES")
    assert setup(threads=None) is False and "SCRIBBLEGAP_FIGURES" not in os.environ
