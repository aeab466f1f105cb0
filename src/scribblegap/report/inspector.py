"""The notebooks' inspector: label-map layers of a few images, compared with the dense mask, as a widget
that runs in JupyterLab and as a static picture that GitHub and nbviewer show.

:class:`Layers` says what to inspect: for every image, named label maps (data set class ids, 255 =
unlabelled), optionally the weak labels to draw on top. :func:`inspect` returns one object to ``display``:
its ``_repr_mimebundle_`` holds the widget (image dropdown with previous / next, a toggle per layer, an
opacity slider, the weak labels on or off; the figure and a per-image mIoU line redrawn on every change)
together with a PNG of :func:`static_view` (every layer of the start image side by side) and a short text.
A live kernel renders the widget; a viewer without one (GitHub, nbviewer: the widget state is not stored)
falls back to the PNG.

    display(inspect(sample_layers(REPO_ROOT / "results" / "voc12-mini", dataset)))
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

from scribblegap.core.io import read_label_png
from scribblegap.core.metrics import ConfusionMatrix
from scribblegap.core.settings import figures_dir
from scribblegap.data.plots import colorize, legend_handles, overlay, PALETTE, save_figure, thicken
from scribblegap.data.store import load_probs, stored_path
from scribblegap.experiment.sample import read_sample

WRONG = np.array([230, 20, 20], np.uint8)
LINE = "per-image mIoU"  # how the widget's line starts (tests/test_browser.py looks for it)
SAMPLE_LAYERS = ("local", "global", "fused", "fused_crf")
SAMPLE_TITLES = {"local": "local", "global": "global", "fused": "fused", "fused_crf": "fused + CRF"}


@dataclass
class Layers:
    """What an inspector shows. ``layer(key, name)``: a label map of data set ids (255 unlabelled);
    ``weak(key)``: the weak labels drawn on top (None: none); ``score_all``: the per-image line gives every
    layer's mIoU (cheap layers) or only the shown one's, with its per-class IoU (layers computed on demand)."""
    dataset: object
    keys: list
    names: tuple
    layer: Callable[[str, str], np.ndarray]
    weak: Callable[[str], np.ndarray] | None = None
    titles: dict = field(default_factory=dict)
    score_all: bool = True
    weak_radius: int = 1
    note: str = ""
    probs: Callable[[str, str], np.ndarray] | None = None
    _maps: dict = field(default_factory=dict, repr=False)
    _scores: dict = field(default_factory=dict, repr=False)

    @property
    def labels(self):
        return self.dataset.labels

    def title(self, name: str) -> str:
        return self.titles.get(name, name)

    def image(self, key) -> np.ndarray:
        return self.dataset.image(key)

    def truth(self, key) -> np.ndarray:
        return self.dataset.mask(key)

    def get(self, key, name) -> np.ndarray:
        if (key, name) not in self._maps:
            self._maps[key, name] = self.layer(key, name)
        return self._maps[key, name]

    def confusion(self, key, name) -> ConfusionMatrix:
        labels = self.labels
        return ConfusionMatrix(labels.num_classes).update(labels.to_index(self.get(key, name)),
                                                          labels.to_index(self.truth(key)))

    def score(self, key, name) -> float:
        """The image's mIoU of one layer (over the classes in its mask or its prediction)."""
        if (key, name) not in self._scores:
            self._scores[key, name] = self.confusion(key, name).miou()
        return self._scores[key, name]

    def scores(self, key) -> dict:
        return {name: self.score(key, name) for name in self.names}

    def spread(self, key) -> float:
        """How much the layers of an image disagree: the range of their per-image mIoU."""
        values = [v for v in self.scores(key).values() if np.isfinite(v)]
        return float(np.ptp(values)) if values else 0.0

    def most_different(self, keys=None):
        """The image (of ``keys``, default all) whose layers score most differently."""
        return max(keys or self.keys, key=self.spread)

    def line(self, key, name) -> str:
        """The per-image line under the inspector's figure."""
        if self.score_all:
            return (f"{LINE} on {key} (shown: {self.title(name)}): "
                    + ", ".join(f"{self.title(n)} {100 * v:.1f}" for n, v in self.scores(key).items()))
        cm, kept = self.confusion(key, name), self.labels.kept_names
        iou = cm.iou()
        present = [i for i in range(len(kept)) if np.isfinite(iou[i])]
        return (f"{LINE} of {self.title(name)} on {key}: {100 * cm.miou():.1f}; per class "
                + ", ".join(f"{kept[i]} {100 * iou[i]:.1f}" for i in present))


def sample_layers(results_dir, dataset, note: str = "") -> Layers:
    """:class:`Layers` of a shipped sample (``results/<name>/sample``, :mod:`scribblegap.experiment.sample`):
    the annotators' label maps, the scribbles drawn on top, the probabilities behind ``Layers.probs``."""
    sample = read_sample(results_dir)
    folders = sample["folders"]
    labels = dataset.labels

    def layer(key, name):
        return read_label_png(folders[name] / f"{key}.png", dataset.image_shape(key), labels.valid_values())

    def probs(key, name):
        return load_probs(stored_path(folders[name], key), labels, dataset.image_shape(key))

    layers = Layers(dataset.with_ids(sample["ids"]), list(sample["ids"]), SAMPLE_LAYERS, layer,
                    weak=lambda key: layer(key, "scribbles"), titles=dict(SAMPLE_TITLES), note=note, probs=probs)
    layers.sample = sample
    return layers


def _legend(fig, labels, present=None, errors=False):
    handles = [h for h, c in zip(legend_handles(labels), labels.keep) if present is None or c in present]
    handles.append(Patch(facecolor=np.array([224, 224, 224]) / 255, edgecolor="k", label="not scored / unlabelled"))
    if errors:
        handles.append(Patch(facecolor=WRONG / 255, edgecolor="k", label="wrong"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, frameon=False)


def _weak_on(panel, weak, radius):
    """Weak labels in their class colours with a white rim, so they stand out on any overlay."""
    out = panel.copy()
    out[thicken(weak, radius + 1) != 255] = 255
    grown = thicken(weak, radius)
    out[grown != 255] = PALETTE[grown[grown != 255]]
    return out


def _present(layers, key, maps):
    return sorted(set(np.unique(layers.truth(key))).union(*[set(np.unique(m)) for m in maps]) - {255})


def static_view(layers: Layers, key, names=None, alpha: float = 0.6, dpi: int = 72):
    """Every layer of one image side by side, each titled with its per-image mIoU, then the dense mask."""
    names = list(names or layers.names)
    image, truth = layers.image(key), layers.truth(key)
    panels = [(_weak_on(image, layers.weak(key), layers.weak_radius) if layers.weak else image,
               f"{key}" + (": weak labels" if layers.weak else ""))]
    panels += [(overlay(image, layers.get(key, n), alpha, skip_ignore=False),
                f"{layers.title(n)}: {100 * layers.score(key, n):.1f}") for n in names]
    panels.append((colorize(truth), "dense mask (grey: not scored)"))
    h, w = truth.shape
    cols = len(panels)
    fig, axes = plt.subplots(1, cols, figsize=(min(1.9 * cols * w / max(h, 1), 16), 2.6), dpi=dpi, squeeze=False)
    for ax, (panel, title) in zip(axes[0], panels):
        ax.imshow(panel)
        ax.set_title(title, fontsize=8)
        ax.set_axis_off()
    _legend(fig, layers.labels, _present(layers, key, [layers.get(key, n) for n in names]))
    fig.suptitle(f"per-image mIoU % of each layer{' (' + layers.note + ')' if layers.note else ''}", fontsize=9)
    fig.tight_layout(rect=(0, 0.08, 1, 0.95))
    return fig


def inspector_figure(layers: Layers, key, name, alpha: float = 0.6, show_weak: bool = True, dpi: int = 80):
    """The widget's picture: the layer over the image, the dense mask, the layer's errors in red."""
    image, truth, pred = layers.image(key), layers.truth(key), layers.get(key, name)
    left = overlay(image, pred, alpha, skip_ignore=False)
    if show_weak and layers.weak:
        left = _weak_on(left, layers.weak(key), layers.weak_radius)
    wrong = (truth != 255) & (pred != truth)
    grey = np.repeat(image.mean(-1, keepdims=True), 3, -1).astype(np.uint8)
    errors = np.where(wrong[..., None], WRONG, grey).astype(np.uint8)
    share = wrong.sum() / max((truth != 255).sum(), 1)
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.6), dpi=dpi)
    panels = [(left, f"{key}: {layers.title(name)}"), (colorize(truth), "dense mask (grey: not scored)"),
              (errors, f"{layers.title(name)} wrong on {share:.1%} of the scored pixels")]
    for ax, (panel, title) in zip(axes, panels):
        ax.imshow(panel)
        ax.set_title(title, fontsize=9)
        ax.set_axis_off()
    _legend(fig, layers.labels, _present(layers, key, [pred]), errors=True)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def png_of(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


class Inspector:
    """The widget and its static view in one displayable object (see the module's docstring).

    ``sources``: one :class:`Layers`, or a dict of named ones (then a dropdown picks the source, e.g. the
    weak labels a local annotator is fitted on). ``controls``, ``last_line`` and ``redraw`` are there for
    tests: setting a control's value redraws through the widgets' observers, as a reader's click does."""
    def __init__(self, sources, key=None, layer=None, keys=None, alpha: float = 0.6, name: str | None = None,
                 static_names=None):
        import ipywidgets as widgets
        from IPython.display import display

        self.sources = sources if isinstance(sources, dict) else {"": sources}
        first = next(iter(self.sources.values()))
        self.keys = list(keys or first.keys)
        self.key = key if key is not None else first.most_different(self.keys)
        self.layer = layer or first.names[-1]
        self.static = static_view(first, self.key, static_names, alpha)
        if name:  # the static view is also a figure of the notebook's (figures/<name>.png)

            save_figure(self.static, Path(figures_dir()) / f"{name}.png", close=False)
        self.png = png_of(self.static)
        self.text = (f"Inspector of {len(self.keys)} images, layers {', '.join(first.title(n) for n in first.names)}; "
                     f"the picture shows every layer of {self.key} (run the notebook for the live widget)")

        wide, style = widgets.Layout(width="100%"), {"description_width": "7em"}
        self.controls = {
            "image": widgets.Dropdown(options=self.keys, value=self.key, description="image", style=style,
                                      layout=widgets.Layout(flex="1 1 auto", width="auto")),
            "layer": widgets.ToggleButtons(options=[(first.title(n), n) for n in first.names], value=self.layer,
                                           description="layer", style={**style, "button_width": "auto"},
                                           layout=wide),
            "opacity": widgets.FloatSlider(value=alpha, min=0, max=1, step=0.05, description="opacity",
                                           readout_format=".2f", continuous_update=False, style=style, layout=wide),
            "weak": widgets.Checkbox(value=True, description="draw the weak labels", indent=False),
        }
        if len(self.sources) > 1:
            self.controls["source"] = widgets.Dropdown(options=list(self.sources), description="weak labels",
                                                       style=style, layout=wide)
        previous = widgets.Button(description="previous", icon="arrow-left", layout=widgets.Layout(width="110px"))
        following = widgets.Button(description="next", icon="arrow-right", layout=widgets.Layout(width="110px"))
        previous.on_click(lambda _: self.step(-1))
        following.on_click(lambda _: self.step(+1))
        self.out = widgets.Output(layout=wide)
        self.last_line = ""
        self._display = display
        for control in self.controls.values():
            control.observe(self.redraw, names="value")
        rows = [widgets.HBox([previous, self.controls["image"], following], layout=wide)]
        if "source" in self.controls:
            rows.append(self.controls["source"])
        rows += [self.controls["layer"], widgets.HBox([self.controls["opacity"], self.controls["weak"]],
                                                      layout=wide), self.out]
        self.widget = widgets.VBox(rows, layout=wide)
        self.redraw()

    @property
    def current(self) -> Layers:
        return self.sources[self.controls["source"].value] if "source" in self.controls else self.sources[""]

    def step(self, by: int) -> None:
        image = self.controls["image"]
        image.value = self.keys[(self.keys.index(image.value) + by) % len(self.keys)]

    def redraw(self, *_) -> None:
        c, layers = self.controls, self.current
        with self.out:
            self.out.clear_output(wait=True)
            fig = inspector_figure(layers, c["image"].value, c["layer"].value, c["opacity"].value, c["weak"].value)
            self._display(fig)
            plt.close(fig)
            self.last_line = layers.line(c["image"].value, c["layer"].value)
            print(self.last_line)

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = dict(self.widget._repr_mimebundle_())
        bundle["image/png"] = self.png
        bundle["text/plain"] = self.text
        return bundle


def inspect(sources, key=None, layer=None, keys=None, alpha: float = 0.6, name: str | None = None,
            static_names=None) -> Inspector:
    """The inspector of ``sources`` (a :class:`Layers` or a dict of them), starting on ``key`` (default: the
    image whose layers differ most) and ``layer`` (default: the last); ``name`` also saves the static view
    as ``figures/<name>.png``."""
    return Inspector(sources, key, layer, keys, alpha, name, static_names)
