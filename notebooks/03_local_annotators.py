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
# **The question.** Given one image and its few labelled pixels $\Lambda$, how well can a model fitted to
# *this image alone* label the rest of it? The paper's *local* annotator is fitted on one image's weak
# labels; its *global* one is a network trained on all scribbles (notebook 04). The local models alone are
# "poor", but their errors differ from the global model's, so averaging the two helps (notebook 05).
#
# Where it sits: data → scribbles → **annotators (local**, global) → fusion + CRF → training → evaluation →
# report. Notation: the table of notebook 00. The batch version is one command per model,
# `python -m scribblegap local --data voc12-mini --split train --labels DIR --method gmm-crf --out DIR`.

# %%
from scribblegap.report.course import setup; SMOKE = setup()

import json

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from skimage.color import rgb2lab

from scribblegap.annotators import LOCAL_METHODS, label_map, method_defaults, predict_local
from scribblegap.core.metrics import ConfusionMatrix
from scribblegap.core.settings import REPO_ROOT, voc12_mini_dir
from scribblegap.data import load_dataset
from scribblegap.data.plots import PALETTE, legend_handles, overlay, show, thicken
from scribblegap.report.inspector import Layers, inspect, static_view
from scribblegap.scribbles import WeakLabels
from scribblegap.scribbles.simulate import simulate_scribbles

ds = load_dataset(voc12_mini_dir(), "train", classes="voc12-mini")
labels = ds.labels
METHODS = list(LOCAL_METHODS)
SHOW = ds.ids[::20][:1] if SMOKE else ds.ids[::20][:3]      # images in the comparison figures
STUDY = ds.ids[::20][:2] if SMOKE else ds.ids[5::30][:40]   # images for the failure analysis
RESULTS = REPO_ROOT / "results" / "voc12-mini" / "local_annotators.json"
SMOKE_NOTE = f"CI mode ({len(STUDY)} images) - not a result" if SMOKE else ""
DPI = 75
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


def method_layers(source):
    """Every model's label map on the images of this notebook, fitted to ``source``, for the inspector."""
    return Layers(ds, list(dict.fromkeys(SHOW + STUDY)), tuple(METHODS), lambda k, m: predict(k, m, source)[0],
                  weak=lambda k: weak_for(k, source), score_all=False, weak_radius=1 if source == "scribbles" else 4)


LAYERS = {"simulated scribbles": method_layers("scribbles"), "human clicks": method_layers("points")}
show(static_view(LAYERS["simulated scribbles"], SHOW[0], names=("gmm", "gmm-crf", "random-walker")),
     "03_three_local_annotators")

# %% [markdown]
# One image, its simulated scribbles and three local annotators fitted to them, titled with their
# per-image mIoU. The same strokes give different label maps: the colour model speckles where colours mix,
# its CRF version smooths along edges, the random walker follows edges and leaks through weak ones. The
# grey area of the mask is *ignored* by the 7-class protocol (here mostly a chair): it is not scored.
#
# ## Weak labels: simulated scribbles and human clicks
#
# *Scribbles* come from the simulator of notebook 02 (default budget, seed 0), *clicks* from `points.json`.
# Both become a map of class ids, 255 unlabelled; a model sees only that map and the image.

# %%
for source in ("scribbles", "points"):
    weak = weak_for(SHOW[0], source)
    names = [labels.names[c] for c in np.unique(weak) if c != 255]
    print(f"{SHOW[0]} {source}: {(weak != 255).mean():.3%} of the pixels labelled, classes {names}")

# %% [markdown]
# ## The models
#
# `predict_local(method, image, weak, labels, **params)` returns $(K, H, W)$ probabilities (0 for classes
# the weak labels do not name, 1 on labelled pixels), computed on a downscaled copy and upsampled.
#
# **Colour and position mixtures (`gmm`, `gmm-crf`).** A pixel's features are
# $f_i = (L, a, b, \lambda_{xy} y, \lambda_{xy} x)$: its CIELAB colour and its position (scaled to $[0, 1]$,
# times `pos_weight`). Class $c$ gets a Gaussian mixture fitted by EM to its labelled pixels, and Bayes' rule
# gives
#
# $$p(f \mid c) = \sum_{m=1}^{M} \pi_{c,m}\, \mathcal{N}(f;\ \mu_{c,m}, \Sigma_{c,m}), \qquad
#   p(c \mid f) = \frac{\pi_c\, p(f \mid c)}{\sum_{c'} \pi_{c'}\, p(f \mid c')},$$
#
# with $M$ components. The package takes equal priors $\pi_c$ and tempers the likelihoods,
# $p(c \mid f) \propto p(f \mid c)^{1/T}$. It fails where two classes share colours in the same part of
# the image; `gmm-crf` adds a dense CRF (the paper's local model).
#
# **Random walker (`random-walker`).** $x^c_i$ is the probability that a random walk from pixel $i$, stepping
# to a neighbour $j$ with probability proportional to $a_{ij} = \exp(-\kappa \lVert I_i - I_j \rVert^2)$
# ($I_i$ the Lab colour, $\kappa$ the edge sharpness), reaches a seed of class $c$ first: the minimiser of
# $\sum_{(i,j)} a_{ij} (x^c_i - x^c_j)^2$ with $x^c$ fixed on the seeds, one sparse linear system per class.
#
# **Dense CRF (`crf`)**, **superpixels** (SLIC regions; unseeded ones minimise
# $\sum_{ij} a_{ij} \lVert x_i - x_j \rVert^2 + \lambda_u \sum_i \lVert x_i - u_i \rVert^2$ over the
# superpixel graph, $u_i$ a colour-model unary) and **pixel classifier** (a small MLP on rich per-pixel
# features, `-crf` with the dense CRF) complete the list. The parameters and their defaults:

# %%
for m in METHODS:
    print(f"{m:22s}", ", ".join(f"{k}={v}" for k, v in method_defaults(m).items()))

# %% [markdown]
# ## One Gaussian per class, by hand
#
# The colour model in a dozen lines of numpy, with labelled pixels clamped to their label. On a copy small
# enough that the package works at the same resolution, it must reproduce `gmm` with one component:

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
# The default mixture has more components and is fitted at its working resolution. On the full image, how
# often do the one-Gaussian label map and the default `gmm` agree (one image, an illustration)?

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
# The scribbles, the SLIC superpixels the `superpixels` model propagates over, then the probability each
# model gives the image's first object class (white = 1). Look for speckle where colours mix in the models
# that decide from colour alone, and for smooth maps that follow edges in the others.

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
# Rows are images; after the ground truth come the models' label maps with the image's mIoU. First from
# simulated scribbles, then from the human clicks, where every model has far less to go on.

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
# Per-image mIoU of every model on a sample of train images, and each model's worst image, errors in red.
# Look for *unsampled background*, taken by the nearest object scribble or by whichever colour it fits, and
# *thin or small objects* blurred into their neighbour.

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
# `scribblegap measure local --config voc12-mini` runs every model on the training images, from the
# simulated scribbles and from the human clicks, scores the label maps against the masks and times each
# model on one core (`results/voc12-mini/local_annotators.json`). The models are deterministic, but the
# per-image spread is large: a point or so between two models is not a robust ranking.

# %%
if not RESULTS.is_file():
    print("not recorded yet: run `scribblegap measure local --config voc12-mini`")
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
# model does (the lines under the figure print both spreads). How the runner stores each image's
# probabilities for the fusion stage, and what that costs for VOC's 10,582 images, is in the appendix (08).
#
# ## Inspector
#
# Pick an image, the weak labels and a model: the model's label map with the weak labels on top, the mask,
# the model's errors in red, and a line with the image's mIoU and per-class IoU. Without a kernel (GitHub,
# nbviewer) the picture shows every model on the start image; run the notebook for the live widget.

# %%
START = SHOW[0]
inspector = inspect(LAYERS, key=START, layer="gmm-crf", name="03_inspector")
display(inspector)
pred, truth = predict(START, "gmm-crf", "scribbles")[0], ds.mask(START)
ignored = truth == 255
painted = {labels.names[c]: (pred[ignored] == c).mean() for c in labels.keep[1:] if (pred[ignored] == c).any()}
print(f"{START}: {ignored.mean():.0%} of the pixels are ignored by the protocol; gmm-crf labels "
      + ", ".join(f"{share:.0%} of them {name}" for name, share in painted.items())
      + f" - unscored, so its per-image mIoU reads {100 * image_miou(pred, truth):.1f}")
if SMOKE:  # what a reader's clicks do, without a browser: each change redraws through the widgets' observers
    before = inspector.last_line
    inspector.controls["layer"].value = "random-walker"
    assert "random-walker" in inspector.last_line and inspector.last_line != before, inspector.last_line
    inspector.controls["source"].value = "human clicks"
    print(inspector.last_line)

# %% [markdown]
# Look at the chair in the start view: not one of the seven classes, so the mask ignores it (grey), and
# `gmm-crf` paints much of it "dog" (the share is printed above). The mIoU on the line stays high because
# ignored pixels are never scored: it says nothing about what the protocol leaves out.
#
# ## Summary
#
# * A local annotator sees one image and its weak labels. The colour model is Bayes' rule over per-class
#   Gaussian mixtures; written by hand with one Gaussian per class, it reproduces the package's `gmm`.
# * Their weakness is what they cannot see: parts and background regions no scribble samples. That is what
#   a global model, trained on every image, adds (notebooks 04 and 05).
#
# ## Exercises
#
# 1. Give `one_gaussian_per_class` class priors $\pi_c$ proportional to the number of labelled pixels of each
#    class. Does the label map change much? Why might equal priors be safer for scribbles?
#
# <details><summary>Hint</summary>Add <code>np.log(prior[c])</code> to <code>loglik</code> before the
# temperature, with <code>prior = np.bincount(seeds[seeds != 255]) / (seeds != 255).sum()</code>.</details>
# <details><summary>Solution</summary>Scribbles sample the background far more than the objects, so
# label-count priors push unsure pixels to the background; the labelled share of a class reflects how the
# strokes were drawn, not how large the class is, which is why equal priors are the safer default.</details>
#
# 2. Average the probabilities of `gmm` and `random-walker` (the second element of `predict(...)`) and score
#    the argmax on the `STUDY` images. Does the average beat both?
#
# <details><summary>Hint</summary><code>label_map((predict(k, "gmm", "scribbles")[1] + predict(k, "random-walker", "scribbles")[1]) / 2, labels)</code>.</details>
# <details><summary>Solution</summary>Compute the per-image mIoU of the average next to <code>scores</code>;
# it wins where the two models fail on different pixels and each is less confident where it fails, the
# argument notebook 05 makes for the local and global annotators.</details>
