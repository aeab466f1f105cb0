# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · Local annotators: one small model per image, fitted to that image's scribbles
#
# **The question.** Given one image and its few labelled pixels, how well can a model fitted to *this
# image alone* label the rest of it? Mayer, Timofte & Paul (2018) turn scribbles into pseudo-labels with
# two kinds of annotators. A *local* annotator is fitted on one image's weak labels and predicts the rest
# of that image; it knows nothing about other images. A *global* annotator (notebook 04) is a network
# trained on all scribbles. The paper calls the local models alone "poor", but their errors differ from
# the global model's, so averaging the two helps (notebook 05).
#
# Where it sits: data → scribbles → **annotators (local**, global) → fusion + CRF → training →
# evaluation → report.
#
# This notebook writes down the models (colour mixtures, random walker, dense CRF, superpixels, a pixel
# classifier), builds the simplest one by hand and checks it against the package, runs all of them on
# VOC12-mini images, reads their measured quality on all training images from the results file, and ends
# with an inspector. The batch version is one command per model:
#
# ```
# python -m scribblegap local --data voc12-mini --split train \
#     --labels outputs/voc12-mini/scribbles-default/train --method gmm-crf --out outputs/local/gmm-crf
# ```

# %%
import os
import tempfile

SMOKE = "CI" in os.environ  # CI: a handful of images
if SMOKE:  # figures of a CI run go to a temporary folder, never over the recorded ones in figures/
    os.environ["SCRIBBLEGAP_FIGURES"] = tempfile.mkdtemp(prefix="scribblegap_figures_")

import io
import json

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from matplotlib.patches import Patch
from skimage.color import rgb2lab

from scribblegap.annotators import LOCAL_METHODS, label_map, method_defaults, predict_local
from scribblegap.data import load_dataset
from scribblegap.core.metrics import ConfusionMatrix
from scribblegap.scribbles import WeakLabels
from scribblegap.scribbles.simulate import simulate_scribbles
from scribblegap.core.settings import REPO_ROOT, voc12_mini_dir
from scribblegap.data.plots import PALETTE, legend_handles, overlay, show, thicken

ds = load_dataset(voc12_mini_dir(), "train", classes="voc12-mini")
labels = ds.labels
METHODS = list(LOCAL_METHODS)
SHOW = ds.ids[::20][:1] if SMOKE else ds.ids[::20][:3]      # images in the comparison figures
STUDY = ds.ids[::20][:2] if SMOKE else ds.ids[5::30][:40]   # images for the failure analysis
RESULTS = REPO_ROOT / "results" / "voc12-mini" / "local_annotators.json"
SMOKE_NOTE = f"smoke run (CI: {len(STUDY)} images) - not a result" if SMOKE else ""
DPI = 75
print(ds, "| methods:", ", ".join(METHODS))

# %% [markdown]
# ## Weak labels: simulated scribbles and human clicks
#
# *Scribbles* come from the simulator of notebook 02 at its default budget (3-pixel pen, seed 0):
# `simulate_scribbles` is deterministic, so the strokes drawn here are exactly those of
# `python -m scribblegap simulate` that the measurements used. *Clicks* are the real human annotation of
# `points.json`: one pixel per object click plus a few background points. Both become a map of class ids
# with 255 for unlabelled pixels; every model sees only that map and the image.

# %%
points = WeakLabels("points", clip=True)  # clicks just past an image's border are moved onto it


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


def draw_weak(panel, weak, radius):
    """Weak labels in their class colours with a white rim, so they stand out on any overlay."""
    out = panel.copy()
    out[thicken(weak, radius + 1) != 255] = 255
    grown = thicken(weak, radius)
    out[grown != 255] = PALETTE[grown[grown != 255]]
    return out


for source in ("scribbles", "points"):
    weak = weak_for(SHOW[0], source)
    names = [labels.names[c] for c in np.unique(weak) if c != 255]
    print(f"{SHOW[0]} {source}: {(weak != 255).mean():.3%} of the pixels labelled, classes {names}")

# %% [markdown]
# ## The models
#
# Every model is called through `predict_local(method, image, weak, labels, **params)`, which returns
# $(K, H, W)$ probabilities over the 7 classes: 0 for classes the weak labels do not name, 1 for the label
# of a labelled pixel. An image whose weak labels name one class gets that class everywhere; one with no
# weak labels gets the uniform distribution (neutral when averaged with a global model) and a label map of
# 255. Models work on a downscaled copy (`max_side` pixels on the longer side) and upsample.
#
# **Colour and position mixtures (`gmm`, `gmm-crf`).** Each pixel $p$ is a feature vector
# $x_p = (L, a, b, \lambda y, \lambda x)$: its CIELAB colour and its position (scaled to $[0, 1]$ along
# the longer side, times $\lambda$ = `pos_weight` Lab units). Class $c$ gets a Gaussian mixture fitted by EM
# to its labelled pixels (GrabCut's colour model with position added), and Bayes' rule gives
#
# $$p(x \mid c) = \sum_{m=1}^{M} \pi_{c,m}\, \mathcal{N}(x;\ \mu_{c,m}, \Sigma_{c,m}), \qquad
#   p(c \mid x) = \frac{\pi_c\, p(x \mid c)}{\sum_{c'} \pi_{c'}\, p(x \mid c')},$$
#
# with $M$ components of weights $\pi_{c,m}$, means $\mu_{c,m}$ and covariances $\Sigma_{c,m}$ (a ridge
# `reg` added to the diagonal), and class priors $\pi_c$. The package takes equal priors and tempers the
# over-confident likelihood ratios with a temperature $T$: $p(c \mid x) \propto p(x \mid c)^{1/T}$. With
# $M = 1$ this is one Gaussian per class, $p(c \mid x) \propto \mathcal{N}(x; \mu_c, \Sigma_c)^{1/T}$.
# It fails when two classes share colours in the same part of the image. `gmm-crf` refines it with a
# dense CRF (the paper's local model).
#
# **Random walker (`random-walker`, Grady 2006).** For class $c$, $x^c_p$ is the probability that a random
# walk started at pixel $p$, stepping to a neighbour $q$ with probability proportional to
# $w_{pq} = \exp(-\beta \lVert g_p - g_q \rVert^2)$ ($g$: the pixel's Lab colour, $\beta$ the edge
# sharpness), reaches a seed of class $c$ before a seed of any other class. It is the harmonic function
# that minimises
#
# $$E(x^c) = \sum_{(p,q)} w_{pq}\, (x^c_p - x^c_q)^2 \quad \text{with } x^c = 1 \text{ on the seeds of } c,\
#   0 \text{ on the other seeds},$$
#
# one sparse linear system $L_U x^c_U = -B^\top x^c_S$ per class (the graph Laplacian $L$ split into its
# unlabelled part $L_U$ and the block $B$ linking seeds to unlabelled pixels). No colour model: it follows
# edges, leaks through weak ones, and is soft far from all seeds.
#
# **Dense CRF (`crf`).** Labelled pixels get confident unaries $\psi_u$, the others an unsure mix of uniform
# and "nearest scribble"; mean-field inference of the fully connected CRF
# $E(y) = \sum_p \psi_u(y_p) + \sum_{p<q} [y_p \neq y_q]\, k(f_p, f_q)$, with $k$ a Gaussian kernel in
# position plus a wide appearance kernel in position and colour, spreads the labels over similar colours.
# It fails on object parts unlike any scribbled pixel.
#
# **Superpixels (`superpixels`).** SLIC superpixels; seeded ones take their scribble's class, the others
# minimise $\sum_{ij} w_{ij} \lVert x_i - x_j \rVert^2 + \lambda \sum_i \lVert x_i - u_i \rVert^2$ over the
# superpixel graph (ScribbleSup's graph, with a colour-model unary $u_i$; one linear system). Inherits
# the superpixels' boundary errors.
#
# **Pixel classifier (`pixel-classifier`, `pixel-classifier-crf`).** A small MLP on rich per-pixel
# features (Lab, RGB, saturation, position, gradient / Laplacian / local-contrast responses at three scales,
# blurred colour context), trained on the image's labelled pixels; the `-crf` variant adds the dense CRF.
#
# The parameters and their defaults:

# %%
for m in METHODS:
    print(f"{m:22s}", ", ".join(f"{k}={v}" for k, v in method_defaults(m).items()))

# %% [markdown]
# ## One Gaussian per class, by hand
#
# The colour model in a dozen lines of numpy: features, one mean and covariance per labelled class,
# the tempered posterior, labelled pixels clamped to their label. On a copy of one image small enough
# that the package works at the same resolution, it must reproduce `predict_local("gmm", ...)` with one
# component per class (and every labelled pixel used for fitting):

# %%
GMM = method_defaults("gmm")


def one_gaussian_per_class(image, weak, pos_weight=GMM["pos_weight"], reg=GMM["reg"], T=GMM["temperature"]):
    """(K, H, W) posteriors p(c | x) of one Gaussian per class fitted to the labelled pixels."""
    h, w = weak.shape
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w, 2)
    x = np.concatenate([rgb2lab(image / 255.0), pos_weight * np.stack([yy, xx], -1)], -1).reshape(h * w, -1)
    seeds = labels.to_index(weak).ravel()
    present = np.unique(seeds[seeds != 255])
    loglik = []
    for c in present:
        xc = x[seeds == c]
        mu, cov = xc.mean(0), np.cov(xc.T, bias=True) + reg * np.eye(x.shape[1])
        z = np.linalg.solve(np.linalg.cholesky(cov), (x - mu).T)
        loglik.append(-0.5 * (z * z).sum(0) - 0.5 * np.linalg.slogdet(cov)[1])  # log N(x; mu, cov) + const
    loglik = np.array(loglik) / T
    post = np.exp(loglik - loglik.max(0))
    probs = np.zeros((labels.num_classes, h * w))
    probs[present] = post / post.sum(0)
    on = seeds != 255
    probs[:, on] = 0.0
    probs[seeds[on], np.flatnonzero(on)] = 1.0  # labelled pixels keep their label
    return probs.reshape(-1, h, w)


key = SHOW[0]
image, weak, truth = ds.image(key), weak_for(key, "scribbles"), ds.mask(key)
step = int(np.ceil(max(image.shape[:2]) / GMM["max_side"]))
small, small_weak = np.ascontiguousarray(image[::step, ::step]), np.ascontiguousarray(weak[::step, ::step])
mine = one_gaussian_per_class(small, small_weak)
package = predict_local("gmm", small, small_weak, labels, components=1, min_pixels=0, max_samples=10 ** 9)
print(f"{key} at {small.shape[1]}x{small.shape[0]} px: largest difference in p(c | x) from the package "
      f"{np.abs(mine - package).max():.1e}")
np.testing.assert_allclose(mine, package, atol=1e-3)

# %% [markdown]
# The package's default mixture has more components, is fitted at its working resolution and upsampled.
# On the full image, how often do the one-Gaussian label map and the default `gmm` agree, and how good is
# each against the mask (one image, for illustration)?

# %%
ours = labels.to_ids(one_gaussian_per_class(image, weak).argmax(0).astype(np.uint8))
theirs = predict(key, "gmm", "scribbles")[0]
valid = truth != 255
print(f"{key}: the label maps agree on {(ours == theirs)[valid].mean():.1%} of the scored pixels; image mIoU "
      f"one Gaussian {image_miou(ours, truth):.1%}, package gmm ({GMM['components']} components) "
      f"{image_miou(theirs, truth):.1%} (one image: an illustration, not a result)")
fig, axes = plt.subplots(1, 3, figsize=(8, 2.3), dpi=DPI)
for ax, panel, title in zip(axes, [draw_weak(image, weak, 1), overlay(image, ours, 0.7, skip_ignore=False),
                                   overlay(image, theirs, 0.7, skip_ignore=False)],
                            ["scribbles", "one Gaussian per class (ours)", f"package gmm ({GMM['components']} components)"]):
    ax.imshow(panel)
    ax.set_title(title, fontsize=8)
    ax.set_axis_off()
present = sorted(set(np.unique(truth)) - {255})
fig.legend(handles=[h for h, c in zip(legend_handles(labels), labels.keep) if c in present], loc="lower center",
           ncol=len(present), fontsize=7, frameon=False)
fig.tight_layout(rect=(0, 0.08, 1, 1))
show(fig, "03_one_gaussian")

# %% [markdown]
# ## What each model computes, on one image
#
# From left to right: the scribbles; the SLIC superpixels the `superpixels` model propagates over; then,
# for the first object class of the image, the probability each model gives it (white = 1). Look for
# speckle where colours mix in the models that decide from colour (and position) alone, and for smooth
# maps that follow image edges, and sometimes leak across a weak one, in the CRF, the random walker and
# the superpixel graph.

# %%
from skimage.segmentation import mark_boundaries, slic

from scribblegap.annotators.features import downscale_image, lab, working_size

size = working_size(image.shape, method_defaults("superpixels")["max_side"])
small_sp = downscale_image(image, size)
seg = slic(lab(small_sp), n_segments=method_defaults("superpixels")["n_segments"], compactness=10,
           start_label=0, convert2lab=False, channel_axis=-1)
obj = [c for c in np.unique(weak) if c not in (0, 255)][0]
panels = ["gmm", "crf", "random-walker", "superpixels", "pixel-classifier"]
fig, axes = plt.subplots(1, 2 + len(panels), figsize=(1.75 * (2 + len(panels)), 1.8), dpi=DPI)
axes[0].imshow(draw_weak(image, weak, 1))
axes[0].set_title("scribbles", fontsize=8)
axes[1].imshow(mark_boundaries(small_sp / 255, seg))
axes[1].set_title(f"{seg.max() + 1} superpixels", fontsize=8)
for ax, m in zip(axes[2:], panels):
    ax.imshow(predict(key, m, "scribbles")[1][labels.keep.index(obj)], cmap="gray", vmin=0, vmax=1)
    ax.set_title(f"{m}: P({labels.names[obj]})", fontsize=8)
for ax in axes:
    ax.set_axis_off()
fig.tight_layout()
show(fig, "03_how_models_work")


# %% [markdown]
# ## All models on a few images
#
# Rows are images; the columns after the ground truth are the models' label maps (argmax) with the image's
# mIoU. White in the ground truth is ignored by the protocol (classes other than the seven, object
# outlines): a model may label it anything. First from simulated scribbles, then from the human clicks,
# where every model has far less to go on.

# %%
def comparison(source, name):
    fig, axes = plt.subplots(len(SHOW), 2 + len(METHODS), figsize=(1.4 * (2 + len(METHODS)), 1.25 * len(SHOW) + 0.5),
                             squeeze=False, dpi=DPI)
    for row, k in zip(axes, SHOW):
        im, gt = ds.image(k), ds.mask(k)
        row[0].imshow(draw_weak(im, weak_for(k, source), 1 if source == "scribbles" else 4))
        row[1].imshow(overlay(im, gt, 0.7, skip_ignore=False))
        for ax, m in zip(row[2:], METHODS):
            pred = predict(k, m, source)[0]
            ax.imshow(overlay(im, pred, 0.7, skip_ignore=False))
            ax.set_title(f"{image_miou(pred, gt):.0%}", fontsize=7, pad=2)
    for ax, title in zip(axes[0], [source, "ground truth"] + METHODS):
        ax.set_title(title if ax.get_title() == "" else f"{title}\n{ax.get_title()}", fontsize=7, pad=2)
    for ax in axes.ravel():
        ax.set_axis_off()
    fig.legend(handles=legend_handles(labels), loc="lower center", ncol=labels.num_classes, fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, 0.3 / fig.get_figheight(), 1, 1))
    show(fig, name)


comparison("scribbles", "03_models_from_scribbles")

# %%
comparison("points", "03_models_from_clicks")

# %% [markdown]
# ## Where each model fails
#
# Per-image mIoU of every model on a sample of train images (from scribbles), and for each model the image
# it does worst on, errors in red. Two failure modes to look for. *Unsampled background*: a region no
# background scribble reaches is taken by the nearest object scribble (in the models whose walks and
# kernels favour nearby seeds) or by whichever class's colour it happens to fit (in the colour models).
# *Thin or small objects next to another class*: legs and thin parts straddled by superpixels, or blurred
# into the neighbouring class by the colour models.

# %%
scores = {m: [image_miou(predict(k, m, "scribbles")[0], ds.mask(k)) for k in STUDY] for m in METHODS}
print(f"{'model':22s} mean  median  worst  (per-image mIoU over {len(STUDY)} images)"
      + (f"  [{SMOKE_NOTE}]" if SMOKE else ""))
for m in METHODS:
    s = np.array(scores[m])
    print(f"{m:22s} {s.mean():.0%}   {np.median(s):.0%}    {s.min():.0%}  ({STUDY[int(s.argmin())]})")

fig, axes = plt.subplots(2, len(METHODS), figsize=(1.5 * len(METHODS), 2.9), squeeze=False, dpi=DPI)
for j, m in enumerate(METHODS):
    k = STUDY[int(np.argmin(scores[m]))]
    im, gt = ds.image(k), ds.mask(k)
    pred = predict(k, m, "scribbles")[0]
    axes[0, j].imshow(draw_weak(im, weak_for(k, "scribbles"), 1))
    axes[0, j].set_title(f"{m}\nworst: {k}", fontsize=7)
    axes[1, j].imshow(error_map(im, pred, gt))
    axes[1, j].set_title(f"mIoU {min(scores[m]):.0%}, errors red", fontsize=7)
for ax in axes.ravel():
    ax.set_axis_off()
fig.tight_layout()
show(fig, "03_failures")

# %% [markdown]
# ## Measured on all of VOC12-mini train
#
# `scripts/measure_local_annotators.py` runs every model with `python -m scribblegap local`'s runner on the
# training images, from the simulated default-budget scribbles and from the human clicks, scores the label
# maps against the dense masks (pseudo-label mIoU over the 7 classes), and times each model on one core
# (process CPU seconds per image at VOC resolution, one thread). The table is read from its results file.
# Each model is deterministic (a fixed seed): one run per model, so there is no seed noise to report;
# the per-image spread is large (the failure analysis above), and differences of a point or so between
# models on the same images are not a robust ranking.

# %%
if not RESULTS.is_file():
    print("not recorded yet: run `python scripts/measure_local_annotators.py`")
    res = None
else:
    res = json.loads(RESULTS.read_text())
    rows = ["| model | mIoU from scribbles (%) | mIoU from clicks (%) | CPU s / image (one core) | images |",
            "|---|---|---|---|---|"]
    for m, e in res["methods"].items():
        rows.append(f"| `{m}` | {e.get('miou_scribbles', '–')} | {e.get('miou_points', '–')} | "
                    f"{e.get('sec_per_image', '–')} | {e.get('measured_on', {}).get('images', '–')} |")
    w = res["weak_labels"]
    rows.append(f"\nScribbles label {w['scribbles']['labelled_fraction']:.2%} of the pixels, clicks "
                f"{w['points']['labelled_fraction']:.4%}. Metric: {res['metric']}. Defaults: {res['tuning']}.")
    display(Markdown("\n".join(rows)))

# %%
if res is not None:
    names = [m for m, e in res["methods"].items() if "miou_points" in e]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.0), dpi=80)
    x = np.arange(len(names))
    a.bar(x - 0.2, [res["methods"][m]["miou_scribbles"] for m in names], 0.4, label="simulated scribbles")
    a.bar(x + 0.2, [res["methods"][m]["miou_points"] for m in names], 0.4, label="human clicks")
    a.set_xticks(x, names, rotation=30, ha="right")
    a.set_ylabel("pseudo-label mIoU (%)")
    a.set_ylim(0, 100)
    a.legend(fontsize=8, loc="upper center", ncol=2)
    b.bar(x, [res["methods"][m]["sec_per_image"] for m in names], color="gray")
    b.set_xticks(x, names, rotation=30, ha="right")
    b.set_ylabel("CPU s / image (one core)")
    fig.suptitle("local annotators on VOC12-mini train (recorded)", fontsize=9)
    fig.tight_layout()
    show(fig, "03_results")
    best = max(names, key=lambda m: res["methods"][m]["miou_scribbles"])
    worst = min(names, key=lambda m: res["methods"][m]["miou_scribbles"])
    drops = {m: res["methods"][m]["miou_scribbles"] - res["methods"][m]["miou_points"] for m in names}
    print(f"from scribbles: best {best} {res['methods'][best]['miou_scribbles']}%, lowest {worst} "
          f"{res['methods'][worst]['miou_scribbles']}%: a spread of "
          f"{res['methods'][best]['miou_scribbles'] - res['methods'][worst]['miou_scribbles']:.1f} points")
    print(f"from clicks instead of scribbles every model loses between {min(drops.values()):.1f} and "
          f"{max(drops.values()):.1f} points")

# %% [markdown]
# Compare the two bars of each model: how much the label budget matters against how much the choice of
# model does (the lines under the figure print both spreads).
#
# ### The compact probability store
#
# Besides the label map, the runner stores each image's probabilities for the fusion stage: only the
# classes named by the image's weak labels, quantised to uint8 and zlib-compressed (`scribblegap.data.store`).
# The measured mean size, compared with float32 tensors of all 7 classes, and the projection for the
# 10,582 images of VOC `train_aug`:

# %%
if res is not None:
    s = res["store_projection"]
    print(f"{s['method']}: {s['bytes_per_image'] / 1024:.1f} KiB per image -> {s['projected_gb']:.2f} GB for "
          f"{s['images']} images; largest of any model {s['largest_any_method_bytes_per_image'] / 1024:.1f} KiB")
    h, w = res["timing"]["mean_image_size_hw"]
    print(f"float32, 7 classes, {w}x{h} pixels: {7 * h * w * 4 / 1024:.0f} KiB per image")

# %% [markdown]
# ## Inspector
#
# Pick an image, a model and the weak labels it is fitted on; the left panel is the model's label map, the
# right one the ground truth or the model's errors; the weak labels (white-rimmed) are drawn on the left
# panel only. Every control is a dropdown, a checkbox or a slider, so the keyboard works too (Tab to move,
# arrow keys to change). The line above the picture gives the image's mIoU and per-class IoU. The
# picture below is the inspector's first view as a static image, for viewers that cannot run widgets
# (GitHub, nbviewer); run the notebook to get the live inspector under it.

# %%
IGNORED = Patch(facecolor=PALETTE[255] / 255, edgecolor="k", label="ignored (not scored)")
WRONG = Patch(facecolor=(1, 0, 0), edgecolor="k", label="wrong")


def inspector_view(key, method, source, right="ground truth", alpha=0.6, show_weak=True):
    """The inspector's figure and its per-image line (HTML)."""
    image, truth = ds.image(key), ds.mask(key)
    weak = weak_for(key, source)
    pred = predict(key, method, source)[0]
    cm = ConfusionMatrix(labels.num_classes).update(labels.to_index(pred), labels.to_index(truth))
    present = [i for i, c in enumerate(labels.keep) if (truth == c).any() or (pred == c).any()]
    iou = cm.iou()
    line = (f"<b>{key}</b> · {method} from {'simulated scribbles' if source == 'scribbles' else 'human clicks'}: "
            f"mIoU {cm.miou(present):.1%} · " + ", ".join(f"{labels.kept_names[i]} {iou[i]:.1%}" for i in present))
    left = overlay(image, pred, alpha, skip_ignore=False)
    if show_weak:
        left = draw_weak(left, weak, 1 if source == "scribbles" else 4)
    right_panel = (overlay(image, truth, alpha, skip_ignore=False) if right == "ground truth"
                   else error_map(image, pred, truth, max(alpha, 0.3)))
    fig, axes = plt.subplots(1, 2, figsize=(8.4, 3.5), dpi=80)
    for ax, panel, title in zip(axes, [left, right_panel], [f"{method}: label map", right]):
        ax.imshow(panel)
        ax.set_title(title, fontsize=9)
        ax.set_axis_off()
    handles = [legend_handles(labels)[i] for i in present] + [IGNORED] + ([WRONG] if right == "errors" else [])
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig, line


START = dict(key=SHOW[0], method="gmm-crf", source="scribbles")
fig, line = inspector_view(**START)
display(Markdown(line.replace("<b>", "**").replace("</b>", "**")))
show(fig, "03_inspector")

# %%
import ipywidgets as W

FULL = W.Layout(width="100%")
STYLE = {"description_width": "8em"}


def png_of(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def make_inspector(keys, methods, start):
    controls = {
        "image": W.Dropdown(options=list(keys), value=start["key"], description="image", layout=FULL, style=STYLE),
        "model": W.Dropdown(options=methods, value=start["method"], description="model", layout=FULL, style=STYLE),
        "labels": W.Dropdown(options=[("simulated scribbles", "scribbles"), ("human clicks", "points")],
                             value=start["source"], description="weak labels", layout=FULL, style=STYLE),
        "right": W.Dropdown(options=["ground truth", "errors"], description="right panel", layout=FULL, style=STYLE),
        "opacity": W.FloatSlider(value=0.6, min=0.0, max=1.0, step=0.05, description="opacity", readout_format=".2f",
                                 continuous_update=False, layout=FULL, style=STYLE),
        "weak": W.Checkbox(value=True, description="draw the weak labels on the label map", indent=False,
                           layout=FULL),
    }
    info = W.HTML(layout=FULL)
    picture = W.Image(format="png", layout=W.Layout(width="100%", max_width="840px"))

    def update(*_):
        c = controls
        fig, line = inspector_view(c["image"].value, c["model"].value, c["labels"].value, c["right"].value,
                                   c["opacity"].value, c["weak"].value)
        info.value = line
        picture.value = png_of(fig)

    for w in controls.values():
        w.observe(update, names="value")
    update()
    box = W.VBox([W.HBox([W.VBox([controls["image"], controls["model"], controls["labels"]], layout=W.Layout(width="50%")),
                          W.VBox([controls["right"], controls["opacity"], controls["weak"]], layout=W.Layout(width="50%"))],
                         layout=FULL), info, picture], layout=FULL)
    return box, controls, info


inspector, controls, info = make_inspector(list(dict.fromkeys(SHOW + STUDY)), METHODS, START)  # computed on demand
display(inspector)
if SMOKE:  # what a reader's changes do, without a display: each one redraws through the widgets' observers
    before = (info.value, len(inspector.children[2].value))
    controls["model"].value = "random-walker"
    controls["right"].value = "errors"
    assert "random-walker" in info.value and info.value != before[0], info.value
    print(info.value)

# %% [markdown]
# ## Summary
#
# The closing numbers, read from the results file:

# %%
if res is None:
    print("not recorded yet: run `python scripts/measure_local_annotators.py`")
else:
    best, fast, store = res["best"], res["fastest_useful"], res["store_projection"]
    e = res["methods"][best["method"]]
    w = res["weak_labels"]
    ratio = w["scribbles"]["labelled_fraction"] / w["points"]["labelled_fraction"]
    display(Markdown(
        f"* Highest pseudo-label mIoU from simulated scribbles at the default budget: **`{best['method']}`**, "
        f"**{best['miou_scribbles']}%** on {e['measured_on']['images']} train images; from human clicks it "
        f"reaches {e['miou_points']}%.\n"
        f"* Fastest model with an mIoU {fast['useful_means'].replace('mIoU ', '')}: **`{fast['method']}`**, "
        f"**{fast['sec_per_image']} s per image** on one core, {res['methods'][fast['method']]['miou_scribbles']}% mIoU.\n"
        f"* Probability store: {store['bytes_per_image'] / 1024:.0f} KiB per image, {store['projected_gb']:.2f} GB "
        f"projected for {store['images']} images.\n"
        f"* Clicks label {ratio:.0f} times fewer pixels than the simulated scribbles."))

# %% [markdown]
# * A local annotator sees one image and its weak labels. The colour model is Bayes' rule over per-class
#   Gaussian mixtures, $p(c \mid x) \propto \pi_c\, p(x \mid c)$; written by hand with one Gaussian per
#   class, it reproduces the package's `gmm` with one component.
# * The random walker, the dense CRF and the superpixel graph spread labels along image edges instead of
#   modelling colours; the pixel classifier learns richer features from the same few pixels.
# * Their weakness is what they cannot see: object parts and background regions that no scribble samples.
#   That is what a global model, trained on every image, adds (notebooks 04 and 05). Keep in mind that
#   the simulated scribbles reach every object and background region of reasonable size, which is kinder
#   than human strokes: compare the two columns of the table above.
#
# ## Exercises
#
# 1. Give `one_gaussian_per_class` class priors $\pi_c$ proportional to the number of labelled pixels of
#    each class. Does the label map change much? Why might equal priors be the safer choice for scribbles?
# 2. `gmm` with `pos_weight=0` is a pure colour model. On which images and classes does position matter most?
# 3. Give the clicks more extent with `WeakLabels("points", point_radius=5)`: how much of the gap to
#    scribbles does that close, and for which models?
# 4. Average the probabilities of `gmm` and `random-walker` (the second element of `predict(...)`) and score
#    the argmax on the `STUDY` images. Does the average beat both?
