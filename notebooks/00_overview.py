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
# # 00 · Overview: the gap between scribbles and full masks
#
# **The question.** A segmentation network trained on scribbles is worse than the same network trained on
# full masks. How much of that loss is won back by turning the scribbles into dense *pseudo-labels* before
# training, and how many annotated pixels does it take before the loss disappears? This is the question of
# Mayer, Timofte & Paul (2018), *Towards Closing the Gap in Weakly Supervised Semantic Segmentation with
# DCNNs: Combining Local and Global Models*. This notebook states it as an equation, fixes the notation of
# the course and maps the chain **data → scribbles → annotators → fusion + CRF → training → evaluation →
# report** onto the notebooks.

# %%
from scribblegap.report.course import setup; SMOKE = setup()

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

from scribblegap.core.settings import voc12_mini_dir
from scribblegap.data import load_dataset
from scribblegap.data.plots import class_pixel_fractions, colorize, draw_points, legend_handles, show
from scribblegap.report.blocks import results_block
from scribblegap.pipeline import example_chain
from scribblegap.report.course import sample_layers
from scribblegap.report.inspector import static_view
from scribblegap.scribbles import WeakLabels, read_points

STATS_IMAGES = 60 if SMOKE else None  # images per split for the class statistics (None: all)
root = voc12_mini_dir()               # $SCRIBBLEGAP_DATA/voc12-mini
tiny_sample = lambda: example_chain(True, stages=("chain", "pseudo", "sample"), log=lambda *a: None)
layers = sample_layers("voc12-mini", stand_in=tiny_sample)  # the tiny chain stands in where results/voc12-mini/sample is missing
key = layers.most_different()
show(static_view(layers, key, names=("fused_crf",)), "00_three_kinds_of_labels")

# %% [markdown]
# Three ways to label one training image: **B** learns from the scribbles (left, drawn thick), **W** from
# the pseudo-label the chain builds from them (middle, titled with its mIoU against the mask), **F** from
# the dense mask (right).
#
# ## The gap and its reduction
#
# Train one network (DeepLabV2 in the paper) on the same images, changing only the labels: **F** on the
# full masks; **B** on the scribbles alone, with the partial cross-entropy
# $\mathcal{L}_\mathrm{pCE} = -\frac{1}{\lvert \Lambda \rvert} \sum_{i \in \Lambda} \log p_i(y_i)$ over
# the labelled pixels $\Lambda$; **W** on pseudo-labels made from the same scribbles (notebooks 03-06);
# **R**, the best peer (Tang et al. 2018: the scribble loss plus a DenseCRF term, notebook 06). Each is
# scored by the mean intersection-over-union on the validation images, with $\mathrm{TP}_c$,
# $\mathrm{FP}_c$, $\mathrm{FN}_c$ counted over the split (ignored pixels skipped):
#
# $$\mathrm{IoU}_c = \frac{\mathrm{TP}_c}{\mathrm{TP}_c + \mathrm{FP}_c + \mathrm{FN}_c}, \qquad
#   \mathrm{mIoU} = \frac{1}{K} \sum_{c=1}^{K} \mathrm{IoU}_c .$$
#
# The **gap** is what the scribbles cost, the **gap reduction** the share of it a method wins back:
#
# $$\Delta = F - B, \qquad \rho = \frac{W - B}{F - B}.$$
#
# The paper reports $\rho = 64.2\%$ for its method, $57.5\%$ for R, and the gap closed at about $3.1\%$
# annotated pixels. Each seed here repeats the whole method; every claim gets a 95% interval over the
# seeds and the val images (notebook 06).
#
# ## Notation (the whole course)
#
# | symbol | meaning | symbol | meaning |
# |---|---|---|---|
# | $i, j$ | pixels | $K$, $c$ | number of classes, a class |
# | $\Omega$ | scored pixels of an image (mask not void) | $N$ | number of pixels of an image |
# | $\Lambda \subset \Omega$ | labelled pixels (scribbles, clicks) | $y_i$ | weak label of $i \in \Lambda$ |
# | $m_i$ | class of $i$ in the dense mask | $\hat y_i$ | pseudo-label of $i$ |
# | $p_i(c)$ | network's softmax | $p^{\mathrm{loc}}_i, p^{\mathrm{glob}}_i$ | local, global annotator |
# | $\tilde p_i(c)$ | fused probabilities | $\omega$ | the local annotator's share in the fusion |
# | F, B, W, R | the four networks and their val mIoU | $\Delta$, $\rho$ | gap $F - B$, gap reduction |
# | $\beta$ | budget: share of labelled pixels | $w$ | pen width of a scribble (px) |
# | $d(i)$, $\nu(i)$ | distance to the region boundary, normalised | $\delta$ | core depth of the simulator |
# | $f_i$ | a pixel's feature vector | $a_{ij}$, $A$ | affinity of two pixels, affinity matrix |
# | $t$ | confidence threshold (W_confident) | $\ell$, $u$ | lower, upper end of a 95% interval |
# | $\varepsilon$ | closing margin (`CLOSE_WITHIN`) | $s_F$, $s_B$ | seed standard deviations |
#
# The metric in numpy, checked against the package's `ConfusionMatrix` on one mask and a "prediction"
# (the mask shifted by 12 pixels):

# %%
from scribblegap.core.metrics import ConfusionMatrix, gap_reduction

train = load_dataset(root, "train")  # the 7-class protocol is the default for voc12-mini
val = load_dataset(root, "val")
labels = train.labels
truth = labels.to_index(train.mask(3))            # contiguous indices 0..K-1, 255 = skipped
pred = np.roll(truth, 12, axis=1)
pred[pred == 255] = 0                              # a prediction labels every pixel

K = labels.num_classes
valid = truth != 255
t, p = truth[valid].astype(int), pred[valid].astype(int)
tp = np.array([np.sum((t == c) & (p == c)) for c in range(K)])
fp = np.array([np.sum((t != c) & (p == c)) for c in range(K)])
fn = np.array([np.sum((t == c) & (p != c)) for c in range(K)])
with np.errstate(invalid="ignore"):
    iou = tp / (tp + fp + fn)                      # NaN for a class absent from both
miou_numpy = np.nanmean(iou)

cm = ConfusionMatrix(K).update(pred, truth)
np.testing.assert_allclose(iou, cm.iou(), equal_nan=True)
print(f"one image: mIoU by hand {miou_numpy:.6f}, package {cm.miou():.6f}, difference "
      f"{abs(miou_numpy - cm.miou()):.1e}")
print("present classes:", {labels.kept_names[c]: round(float(iou[c]), 3) for c in range(K) if np.isfinite(iou[c])})
assert abs((0.66 - 0.60) / (0.70 - 0.60) - gap_reduction(0.66, 0.60, 0.70)) < 1e-12  # rho of made-up scores

# %% [markdown]
# ## VOC12-mini: real VOC 2012 images on a CPU budget
#
# A subset of PASCAL VOC 2012 small enough to train on two CPU cores (VOC's `train_aug` for training, VOC
# 2012 `val` for validation, full resolution, dense masks). The protocol keeps seven classes; every other
# class, and VOC's uncertain band around outlines, is *ignored* (255: not trained on, not scored, grey).

# %%
print(train, val, sep="\n")
counted = ("all images" if STATS_IMAGES is None
           else f"the first {STATS_IMAGES} images of each split (CI mode: a sample - not a result)")
rows = {split: class_pixel_fractions(ds, STATS_IMAGES) for split, ds in [("train", train), ("val", val)]}
lines = [f"Class statistics over {counted}: the share of the kept pixels of each class and the number "
         "of images that contain it.", "", "| class | train: pixel share | train: images | val: pixel share | "
         "val: images |", "|---|---|---|---|---|"]
for name in labels.kept_names:
    tr, va = rows["train"][name], rows["val"][name]
    lines.append(f"| {name} | {tr['pixels']:.3f} | {tr['images']} | {va['pixels']:.3f} | {va['images']} |")
display(Markdown("\n".join(lines)))

# %% [markdown]
# A class with few pixels gets few labels, and its IoU is the noisiest.
#
# ## The weak labels we have: human clicks
#
# `points.json` holds real human weak labels: object clicks from *What's the Point* (Bearman et al. 2016,
# circles) and a few background points from the ScribbleSup scribbles (squares). The scribbles themselves
# are not on these machines: notebook 02 simulates them at a budget $\beta$.

# %%
points = read_points(root / "points.json")
weak = WeakLabels("points", clip=True)  # a few clicks lie just past the image border: moved onto it
per_image = np.array([len(points[k]) for k in train.ids])
objects = np.array([sum(p.rank is not None for p in points[k]) for k in train.ids])
sample = train.ids if not SMOKE else train.ids[:STATS_IMAGES]
labelled = np.mean([(weak(train, k) != 255).mean() for k in sample])
print(f"clicks per training image ({len(train)} images): mean {per_image.mean():.1f} "
      f"(object clicks {objects.mean():.1f}, background points {(per_image - objects).mean():.1f})")
print(f"share of the pixels the clicks label (mean over {len(sample)} images): {labelled:.4%}"
      + ("  [CI mode: a sample of the images - not a result]" if SMOKE else ""))

shares = {k: np.bincount(train.mask(k).ravel(), minlength=256) / train.mask(k).size for k in train.ids[:80]}
picks = []
for c in labels.keep[1:]:  # for each object class, the first image where it covers 15%
    key = next((k for k, share in shares.items() if share[c] > 0.15 and k not in picks), None)
    if key is not None and len(picks) < 5:
        picks.append(key)
fig, axes = plt.subplots(2, len(picks), figsize=(2.6 * len(picks), 4.6), dpi=80, squeeze=False)
for col, key in enumerate(picks):
    for row, panel in enumerate([train.image(key), colorize(train.mask(key))]):
        axes[row, col].imshow(panel)
        draw_points(axes[row, col], [p for p in points[key] if p.cls in labels.keep], size=40)
        axes[row, col].set_axis_off()
    axes[0, col].set_title(key, fontsize=8)
fig.legend(handles=legend_handles(labels), loc="lower center", ncol=len(labels.keep), fontsize=8, frameon=False)
fig.suptitle("VOC12-mini train: images (top), masks (bottom, grey = ignored) and the human clicks", fontsize=9)
fig.tight_layout(rect=(0, 0.06, 1, 0.96))
show(fig, "00_human_clicks")

# %% [markdown]
# ## The embedded scenes
#
# Without any data, `load_dataset("default")` draws scenes of textured objects with thin parts, clutter and
# occlusion: `make run` runs the chain on them in minutes.

# %%
scenes = load_dataset("default", "train", limit=6)
fig, axes = plt.subplots(2, len(scenes), figsize=(1.9 * len(scenes), 4.1), dpi=80)
for col, key in enumerate(scenes.ids):
    axes[0, col].imshow(scenes.image(key))
    axes[1, col].imshow(colorize(scenes.mask(key)))
    axes[0, col].set_title(key, fontsize=7)
for ax in axes.ravel():
    ax.set_axis_off()
fig.legend(handles=legend_handles(scenes.labels), loc="lower center", ncol=len(scenes.labels.keep), fontsize=8,
           frameon=False)
fig.suptitle("embedded scenes: images and masks", fontsize=9)
fig.tight_layout(rect=(0, 0.07, 1, 0.95))
show(fig, "00_default_overview")

# %% [markdown]
# ## Your own data
#
# A folder in the VOC layout with a `classes.txt` (one class name per line in id order, an optional
# colour, and `background: NAME` or `background: none`) runs the same chain:
# `scribblegap run --config example-own-data --set data=PATH`. The worked example ships as code: six
# classes of its own and no background, so every pixel belongs to a named class.

# %%
own = load_dataset("example-own-data", "train", limit=5)
print(f"classes: {', '.join(own.labels.names)}; background: {own.labels.background or 'none'}")
fig, axes = plt.subplots(2, len(own), figsize=(1.9 * len(own), 3.4), dpi=80)
for col, key in enumerate(own.ids):
    axes[0, col].imshow(own.image(key))
    axes[1, col].imshow(colorize(own.mask(key), own.palette))
for ax in axes.ravel():
    ax.set_axis_off()
fig.legend(handles=legend_handles(own.labels, own.palette), loc="lower center", ncol=len(own.labels.names), fontsize=8,
           frameon=False)
fig.tight_layout(rect=(0, 0.08, 1, 1))
show(fig, "00_own_data")

# %% [markdown]
# ## The chain, and where each stage is taught
#
# | stage | notebook |
# |---|---|
# | data: images, masks, the 7-class protocol | **00** |
# | scribbles: human clicks measured; scribbles simulated at a budget | **01**, **02** |
# | local annotators: one small model per image | **03** |
# | global annotator: a network on all scribbles (**B**), and **F** | **04** |
# | fusion + CRF: the pseudo-labels | **05** |
# | training **W** and **R**; the gap | **06** |
# | the annotation budget | **07** |
# | appendix: how presets and scene knobs were chosen | **08** |
#
# `scribblegap run --config voc12-mini` runs the chain and writes every score to
# `results/<name>/summary.json`; every result below is computed from those files.
#
# ## What the recorded runs show
#
# The paper's claims, judged from the runs of `voc12-mini` (ImageNet-initialised network) by
# `scribblegap.report.claims`:

# %% tags=["results-block"]
display(Markdown(results_block("claims", "voc12-mini")))

# %% [markdown]
# ### Two regimes: with and without ImageNet pretraining
#
# The same chain with an ImageNet-initialised trunk and one trained from scratch. Compare **F - B** with
# the seed noise beside it: $\rho$ only means something where F - B stands out from the noise.

# %% tags=["results-block"]
display(Markdown(results_block("regimes", "voc12-mini")))

# %% [markdown]
# ## Summary
#
# * The question: how much of the gap $\Delta = F - B$ do pseudo-labels win back,
#   $\rho = (W - B)/(F - B)$, and at which budget $\beta$ does it vanish? The notation table above holds
#   for every notebook.
# * VOC12-mini gives real images, masks and human clicks on a CPU budget; the embedded scenes run anywhere.
# * The claims and regimes blocks are computed from the results files.
#
# ## Exercises
#
# 1. If $B = 0.60$ and $F = 0.70$, what mIoU must W reach to match the paper's $\rho = 64.2\%$?
#
# <details><summary>Hint</summary>Solve $\rho = (W - B)/(F - B)$ for $W$.</details>
# <details><summary>Solution</summary>$W = B + \rho (F - B) = 0.6642$; check with
# <code>gap_reduction(0.6642, 0.60, 0.70)</code>.</details>
#
# 2. Which class has the fewest pixels per image that contains it? What does that predict for its IoU?
#
# <details><summary>Hint</summary>Divide each class's pixel share by its number of images.</details>
# <details><summary>Solution</summary><code>rows["train"][c]["pixels"] / rows["train"][c]["images"]</code>;
# its smallest value marks small objects: few labelled pixels, many boundary pixels, a noisy IoU.</details>
#
# 3. What does `gap_reduction(0.6, 0.6, 0.6)` return, and what should a report say instead?
#
# <details><summary>Hint</summary>Look at the denominator of $\rho$.</details>
# <details><summary>Solution</summary>NaN: with $F = B$ there is no gap to reduce, and near it $\rho$ is
# a ratio of seed noise. The report says the gap is not there rather than print a ratio.</details>
