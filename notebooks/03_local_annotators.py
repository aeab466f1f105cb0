# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · Local annotators: one small model per image, fitted on that image's scribbles
#
# Mayer, Timofte & Paul (2018) combine two kinds of annotators to turn scribbles into pseudo-labels. A
# *local* annotator is fitted on **one image's** weak labels and predicts the rest of **that image**; it
# knows nothing about other images. A *global* annotator (notebook 04) is a network trained on all
# scribbles. The paper's local models alone are "poor", but their errors differ from the global
# model's, so averaging the two helps.
#
# This notebook builds five kinds of local annotators (plus two dense-CRF-refined variants), shows how
# each works and where each fails on real VOC12-mini images, reads the measurements made on all 1200
# train images by `scripts/measure_local_annotators.py`, and ends with an interactive inspector.
#
# The batch version of everything here is one command per model:
#
# ```
# python -m scribblegap local --data voc12-mini --split train \
#     --labels outputs/voc12-mini/scribbles-default/train --method gmm-crf --out outputs/local/gmm-crf
# ```

# %%
import json
import os
import tempfile
from pathlib import Path

SMOKE = "CI" in os.environ  # CI: a handful of images, figures to a temporary folder
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

from scribblegap.annotators import LOCAL_METHODS, label_map, method_defaults, predict_local
from scribblegap.data import load_dataset
from scribblegap.metrics import ConfusionMatrix
from scribblegap.scribbles import WeakLabels
from scribblegap.scribbles.simulate import simulate_scribbles
from scribblegap.settings import voc12_mini_dir
from scribblegap.viz import overlay, show, thicken

ds = load_dataset(voc12_mini_dir(), "train", classes="voc12-mini")
labels = ds.labels
METHODS = list(LOCAL_METHODS)
SHOW = ds.ids[::20][:2] if SMOKE else ds.ids[::20][:4]      # images in the comparison figures
STUDY = ds.ids[::20][:2] if SMOKE else ds.ids[5::30][:40]   # images for the failure analysis
RESULTS = Path("../results/voc12-mini/local_annotators.json")
_scratch = tempfile.TemporaryDirectory()  # a CI run writes its small figures there, not to figures/
FIGURES = Path(_scratch.name) if SMOKE else Path("../figures")
DPI = 72
print(ds, "| methods:", ", ".join(METHODS))

# %% [markdown]
# ## Weak labels: simulated scribbles and human clicks
#
# *Scribbles* come from the simulator of notebook 02 at its default budget (about 3% of the pixels,
# 3-pixel pen, seed 0): `simulate_scribbles` is deterministic, so the strokes drawn here are exactly those
# of `python -m scribblegap simulate` that the measurements used. *Clicks* are the real human annotation
# of `points.json`: one pixel per object click plus a few background points, about 0.003% of the pixels.
# Both become a map of class ids with 255 for unlabelled pixels; every model sees only that map and the
# image.

# %%
points = WeakLabels("points", clip=True)  # 14 train clicks lie outside their image: moved onto its border

def weak_for(key, source):
    if source == "points":
        return points(ds, key)
    return simulate_scribbles(ds.mask(key), labels, key=key)[0]

_cache = {}

def predict(key, method, source):
    """(label map of data set ids, probabilities) of one model on one image; cached."""
    if (key, method, source) not in _cache:
        probs = predict_local(method, ds.image(key), weak_for(key, source), labels)
        _cache[key, method, source] = (label_map(probs, labels), probs)
    return _cache[key, method, source]

ERROR_PALETTE = np.zeros((256, 3), np.uint8)
ERROR_PALETTE[1] = (255, 0, 0)

def error_map(image, pred, truth, alpha=0.85):
    """The image in grey with wrongly labelled pixels in red (ignored pixels never count)."""
    grey = np.repeat(image.mean(2, keepdims=True), 3, 2).astype(np.uint8)
    wrong = np.where((pred != truth) & (truth != 255), 1, 255).astype(np.uint8)
    return overlay(grey, wrong, alpha, palette=ERROR_PALETTE)

def image_miou(pred, truth):
    cm = ConfusionMatrix(labels.num_classes).update(labels.to_index(pred), labels.to_index(truth))
    return cm.miou()

key = SHOW[0]
for source in ("scribbles", "points"):
    weak = weak_for(key, source)
    names = [labels.names[c] for c in np.unique(weak) if c != 255]
    print(f"{key} {source}: {(weak != 255).mean():.3%} of the pixels labelled, classes {names}")

# %% [markdown]
# ## The models
#
# Every model is called through `predict_local(method, image, weak, labels, **params)`, which returns
# `(K, H, W)` probabilities over the 7 classes: 0 for classes the weak labels do not name, 1 for the label
# of a labelled pixel. An image whose weak labels name one class gets that class everywhere; one with no
# weak labels gets the uniform distribution (neutral when averaged with a global model) and a label map of
# 255. Models work on a downscaled copy (`max_side` pixels on the longer side) and upsample.
#
# 1. **`gmm`: colour + position mixtures.** One Gaussian mixture per class over (L, a, b, y, x) of its
#    labelled pixels (GrabCut's colour model with position added); a pixel's class is the most likely
#    mixture. `gmm-crf` refines it with a dense CRF (the paper's local model). Fails when two classes
#    share colours in the same part of the image.
# 2. **`crf`: dense CRF on the scribbles alone.** Labelled pixels get confident unaries, the others an
#    unsure mix of uniform and "nearest scribble"; mean-field inference with a wide appearance kernel
#    spreads labels over similar colours. No colour model: fails on object parts unlike any scribbled pixel.
# 3. **`random-walker`**: probability that a walk from a pixel, stepping mostly between similar colours,
#    reaches each class's seed first (Grady 2006). Leaks through weak edges; soft far from seeds.
# 4. **`superpixels`**: SLIC superpixels; seeded ones take their scribble's class, the others solve a
#    diffusion over the superpixel graph plus a colour-model unary (ScribbleSup's graph, solved as one
#    linear system). Inherits superpixel boundary errors.
# 5. **`pixel-classifier`**: a small MLP on rich per-pixel features (Lab, RGB, saturation, position,
#    gradient / Laplacian / local-contrast filter responses at three scales, blurred colour context),
#    trained on the image's labelled pixels; `pixel-classifier-crf` adds the dense CRF.
#
# The parameters and their defaults (tuned on 60 train images, see the results file):

# %%
for m in METHODS:
    print(f"{m:22s}", ", ".join(f"{k}={v}" for k, v in method_defaults(m).items()))

# %% [markdown]
# ### What each model computes, on one image
#
# From left to right: the scribbles; the SLIC superpixels the `superpixels` model propagates over; then,
# for the first object class of the image, the probability each model gives it (white = 1). The mixture
# model and the pixel classifier decide from colour (and position) alone, so their maps are speckled where
# colours mix; the CRF, the random walker and the superpixel graph follow image edges, and are smooth but
# can leak across a weak edge.

# %%
from skimage.segmentation import mark_boundaries, slic

from scribblegap.annotators.features import downscale_image, lab, working_size

key = SHOW[0]
image, weak = ds.image(key), weak_for(key, "scribbles")
size = working_size(image.shape, method_defaults("superpixels")["max_side"])
small = downscale_image(image, size)
seg = slic(lab(small), n_segments=method_defaults("superpixels")["n_segments"], compactness=10,
           start_label=0, convert2lab=False, channel_axis=-1)
obj = [c for c in np.unique(weak) if c not in (0, 255)][0]
panels = ["gmm", "crf", "random-walker", "superpixels", "pixel-classifier"]
fig, axes = plt.subplots(1, 2 + len(panels), figsize=(2.6 * (2 + len(panels)), 2.6), dpi=DPI)
axes[0].imshow(overlay(image, thicken(weak, 1), 0.9))
axes[0].set_title("scribbles")
axes[1].imshow(mark_boundaries(small / 255, seg))
axes[1].set_title(f"{seg.max() + 1} superpixels")
for ax, m in zip(axes[2:], panels):
    ax.imshow(predict(key, m, "scribbles")[1][labels.keep.index(obj)], cmap="gray", vmin=0, vmax=1)
    ax.set_title(f"{m}: P({labels.names[obj]})")
for ax in axes:
    ax.set_axis_off()
show(fig, "03_how_models_work.png", FIGURES)


# %% [markdown]
# ## All models on a few images
#
# Rows are images; the columns after the ground truth are the models' label maps (argmax) with the image's
# mIoU. White in the ground truth is ignored by the protocol (classes other than the seven, object
# outlines): a model may label it anything. First from simulated scribbles, then from the human clicks,
# where every model has far less to go on.

# %%
def comparison(source, path):
    fig, axes = plt.subplots(len(SHOW), 2 + len(METHODS), figsize=(1.9 * (2 + len(METHODS)), 1.6 * len(SHOW)),
                             squeeze=False, dpi=DPI)
    for row, key in zip(axes, SHOW):
        image, truth = ds.image(key), ds.mask(key)
        row[0].imshow(overlay(image, thicken(weak_for(key, source), 1 if source == "scribbles" else 5), 0.95))
        row[1].imshow(overlay(image, truth, 0.7, skip_ignore=False))
        for ax, m in zip(row[2:], METHODS):
            pred = predict(key, m, source)[0]
            ax.imshow(overlay(image, pred, 0.7, skip_ignore=False))
            ax.set_title(f"{image_miou(pred, truth):.0%}", fontsize=8, pad=2)
    for ax, title in zip(axes[0], [source, "ground truth"] + METHODS):
        ax.set_title(title if ax.get_title() == "" else f"{title}\n{ax.get_title()}", fontsize=8, pad=2)
    for ax in axes.ravel():
        ax.set_axis_off()
    show(fig, path.name, path.parent)

comparison("scribbles", FIGURES / "03_models_from_scribbles.png")

# %%
comparison("points", FIGURES / "03_models_from_clicks.png")

# %% [markdown]
# ## Where each model fails
#
# Per-image mIoU of every model on a sample of train images (from scribbles), and for each model the image
# it does worst on, errors in red. On the 40-image sample of the full run the worst cases are riders on
# horses and horses in arenas. Two failure modes show. *Unsampled background*: a region no background
# scribble reaches (the arena floor in the foreground) is taken by the nearest object scribble (`crf`,
# `random-walker`, whose walks and kernels favour nearby seeds) or by whichever class's colour it happens
# to fit (`gmm`, `pixel-classifier`, which spread it over similar colours elsewhere too). *Thin or small
# objects next to another class*: the rider's legs and the horse's legs are lost by `superpixels`, whose
# superpixels straddle them, and blur into the neighbouring class in every colour model.

# %%
scores = {m: [image_miou(predict(k, m, "scribbles")[0], ds.mask(k)) for k in STUDY] for m in METHODS}
print(f"{'model':22s} mean  median  worst  (per-image mIoU over {len(STUDY)} images)")
for m in METHODS:
    s = np.array(scores[m])
    print(f"{m:22s} {s.mean():.0%}   {np.median(s):.0%}    {s.min():.0%}  ({STUDY[int(s.argmin())]})")

fig, axes = plt.subplots(2, len(METHODS), figsize=(2.1 * len(METHODS), 3.6), squeeze=False, dpi=DPI)
for j, m in enumerate(METHODS):
    key = STUDY[int(np.argmin(scores[m]))]
    image, truth = ds.image(key), ds.mask(key)
    pred = predict(key, m, "scribbles")[0]
    axes[0, j].imshow(overlay(image, thicken(weak_for(key, "scribbles"), 1), 0.95))
    axes[0, j].set_title(f"{m}\nworst: {key}", fontsize=8)
    axes[1, j].imshow(error_map(image, pred, truth))
    axes[1, j].set_title(f"mIoU {min(scores[m]):.0%}, errors in red", fontsize=8)
for ax in axes.ravel():
    ax.set_axis_off()
show(fig, "03_failures.png", FIGURES)

# %% [markdown]
# ## Measured on all of VOC12-mini train
#
# `scripts/measure_local_annotators.py` runs every model with `python -m scribblegap local`'s runner on the
# 1200 train images, from the simulated default-budget scribbles and from the human clicks, scores the label
# maps against the dense masks (pseudo-label mIoU over the 7 classes), and times each model on one core
# (process CPU seconds per image at VOC resolution, one thread). The table is read from its results file.

# %%
if not RESULTS.is_file():
    print(f"{RESULTS} is missing: run  python scripts/measure_local_annotators.py")
    res = None
else:
    res = json.loads(RESULTS.read_text())
    rows = ["| model | mIoU from scribbles (%) | mIoU from clicks (%) | s / image / core | images |",
            "|---|---|---|---|---|"]
    for m, e in res["methods"].items():
        rows.append(f"| `{m}` | {e.get('miou_scribbles', '-')} | {e.get('miou_points', '-')} | "
                    f"{e.get('sec_per_image', '-')} | {e.get('measured_on', {}).get('images', '-')} |")
    w = res["weak_labels"]
    rows.append(f"\nScribbles label {w['scribbles']['labelled_fraction']:.2%} of the pixels, "
                f"clicks {w['points']['labelled_fraction']:.4%}. Tuning: {res['tuning']}.")
    display(Markdown("\n".join(rows)))

# %%
if res is not None:
    names = [m for m, e in res["methods"].items() if "miou_points" in e]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 3.2), dpi=DPI)
    x = np.arange(len(names))
    a.bar(x - 0.2, [res["methods"][m]["miou_scribbles"] for m in names], 0.4, label="simulated scribbles")
    a.bar(x + 0.2, [res["methods"][m]["miou_points"] for m in names], 0.4, label="human clicks")
    a.axhline(72, color="k", ls="--", lw=1, label="target 72%")
    a.set_xticks(x, names, rotation=30, ha="right")
    a.set_ylabel("pseudo-label mIoU (%)")
    a.set_ylim(0, 100)
    a.legend(fontsize=8, loc="upper center", ncol=3)
    b.bar(x, [res["methods"][m]["sec_per_image"] for m in names], color="gray")
    b.axhline(1.0, color="k", ls="--", lw=1, label="target 1 s")
    b.set_xticks(x, names, rotation=30, ha="right")
    b.set_ylabel("CPU s / image (one core)")
    b.legend(fontsize=8, loc="upper left")
    show(fig, "03_results.png", FIGURES)

# %% [markdown]
# ## The compact probability store
#
# Besides the label map, the runner stores each image's probabilities for the fusion stage: only the
# classes named by the image's weak labels, quantised to uint8 and zlib-compressed (`scribblegap.store`).
# The measured mean size, compared with float32 tensors of all 7 classes, and the projection for the
# 10,582 images of VOC train_aug:

# %%
if res is not None:
    s = res["store_projection"]
    print(f"best model {s['method']}: {s['bytes_per_image'] / 1024:.1f} KiB per image -> "
          f"{s['projected_gb']:.2f} GB for {s['images']} images (target <= {s['target_gb']} GB)")
    print(f"largest of any model: {s['largest_any_method_bytes_per_image'] / 1024:.1f} KiB per image")
    h, w = res["timing"]["mean_image_size_hw"]
    print(f"float32, 7 classes, {w}x{h} pixels: {7 * h * w * 4 / 1024:.0f} KiB per image")

# %% [markdown]
# ## Inspector
#
# Pick an image, a model and the weak labels it is fitted on; toggle the panels (scribbles are drawn over
# every panel), change the opacity. The line above the figure gives the image's per-class IoU. (In CI the
# widget is built and updated once without a display.)

# %%
import ipywidgets as W

def make_inspector(keys, methods):
    image_w = W.Dropdown(options=keys, description="image")
    method_w = W.Dropdown(options=methods, value="gmm-crf", description="model")
    source_w = W.ToggleButtons(options=["scribbles", "points"], description="labels")
    toggles = {name: W.Checkbox(value=on, description=name, indent=False)
               for name, on in [("scribbles", True), ("prediction", True), ("ground truth", True),
                                ("error map", False)]}
    alpha_w = W.FloatSlider(value=0.6, min=0, max=1, step=0.05, description="opacity")
    info = W.HTML()
    out = W.Output()

    def update(*_):
        key, method, source, alpha = image_w.value, method_w.value, source_w.value, alpha_w.value
        image, truth = ds.image(key), ds.mask(key)
        weak = weak_for(key, source)
        pred = predict(key, method, source)[0]
        cm = ConfusionMatrix(labels.num_classes).update(labels.to_index(pred), labels.to_index(truth))
        present = [i for i, c in enumerate(labels.keep) if (truth == c).any() or (pred == c).any()]
        iou = cm.iou()
        info.value = (f"<b>{key}</b> · {method} from {source}: mIoU {cm.miou(present):.1%} · " +
                      ", ".join(f"{labels.kept_names[i]} {iou[i]:.1%}" for i in present))
        layers = {"prediction": lambda: overlay(image, pred, alpha, skip_ignore=False),
                  "ground truth": lambda: overlay(image, truth, alpha, skip_ignore=False),
                  "error map": lambda: error_map(image, pred, truth, alpha)}
        shown = [n for n in layers if toggles[n].value] or ["image"]
        with out:
            out.clear_output(wait=True)
            fig, axes = plt.subplots(1, len(shown), figsize=(4 * len(shown), 3.2), squeeze=False, dpi=DPI)
            for ax, name in zip(axes[0], shown):
                panel = image if name == "image" else layers[name]()
                if toggles["scribbles"].value:
                    panel = overlay(panel, thicken(weak, 1 if source == "scribbles" else 4), 1.0)
                ax.imshow(panel)
                ax.set_title(name)
                ax.set_axis_off()
            plt.show()

    for w in [image_w, method_w, source_w, alpha_w, *toggles.values()]:
        w.observe(update, names="value")
    controls = W.VBox([W.HBox([image_w, method_w, source_w]), W.HBox([*toggles.values(), alpha_w])])
    update()
    widgets = {"image": image_w, "model": method_w, "labels": source_w, "opacity": alpha_w, **toggles}
    return W.VBox([controls, info, out]), update, widgets

inspector, update_inspector, controls = make_inspector(list(SHOW), METHODS)
display(inspector)
if SMOKE:  # what clicks do, without a display: each change redraws through the widget's observer
    controls["model"].value = "random-walker"
    controls["error map"].value = True
    info_text = inspector.children[1].value
    assert "random-walker" in info_text, info_text
    print(info_text)

# %% [markdown]
# ## Summary
#
# The closing numbers, read from the results file:

# %%
if res is not None:
    best, fast, store = res["best"], res["fastest_useful"], res["store_projection"]
    e = res["methods"][best["method"]]
    w = res["weak_labels"]
    ratio = w["scribbles"]["labelled_fraction"] / w["points"]["labelled_fraction"]
    drops = [v["miou_scribbles"] - v["miou_points"] for v in res["methods"].values() if "miou_points" in v]
    display(Markdown(
        f"* Best local model from simulated scribbles at the default budget: **`{best['method']}`**, "
        f"**{best['miou_scribbles']}% mIoU** on {e['measured_on']['images']} train images "
        f"(target >= {best['target']}%: {'met' if best['met'] else 'missed'}); "
        f"from human clicks it reaches {e['miou_points']}%.\n"
        f"* Fastest useful model ({fast['useful_means']}): **`{fast['method']}`**, "
        f"**{fast['sec_per_image']} s per image** on one core (target <= {fast['target']} s: "
        f"{'met' if fast['met'] else 'missed'}), {res['methods'][fast['method']]['miou_scribbles']}% mIoU.\n"
        f"* Probability store: {store['bytes_per_image'] / 1024:.0f} KiB per image, "
        f"**{store['projected_gb']:.2f} GB** projected for {store['images']} images "
        f"(target <= {store['target_gb']} GB).\n"
        f"* Clicks label {ratio:.0f} times fewer pixels than scribbles; every model loses between "
        f"{min(drops):.0f} and {max(drops):.0f} mIoU points with them."))

# %% [markdown]
# Local models are cheap (well under a second per image on one core) and, from simulated scribbles at the
# default budget, produce much better pseudo-labels than what the paper calls "poor": the simulated
# scribbles are drawn along the medial axis of every object and background region of reasonable size,
# which is kinder than human strokes. Their weakness is what they cannot see: object parts and background regions that no
# scribble samples. That is what a global model, trained on every image, adds (notebooks 04 and 05).
#
# ## Exercises
#
# 1. Lower the budget (`python -m scribblegap simulate --budget 0.005`) and rerun `gmm-crf` with the CLI:
#    which model degrades most gracefully?
# 2. `gmm` with `--param pos_weight=0` is a pure colour model. On which classes does position matter most?
# 3. Give the clicks more extent with `WeakLabels("points", point_radius=5)`: how much of the gap to
#    scribbles does that close, and for which models?
# 4. Average the probabilities of `gmm` and `random-walker` (load both stores with
#    `scribblegap.store.load_probs`) and score the argmax. Does the ensemble beat both?
# 5. The pixel classifier overfits the few labelled pixels. Try `hidden=0` (logistic regression) and a
#    larger `weight_decay` on clicks and on scribbles.
