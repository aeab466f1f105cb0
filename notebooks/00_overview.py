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
# # 00 · Overview: the gap between scribbles and full masks
#
# **Paper.** Mayer, Timofte & Paul, *Towards Closing the Gap in Weakly Supervised Semantic Segmentation
# with DCNNs: Combining Local and Global Models* (2018).
#
# Dense masks are expensive to draw; scribbles touch about 1-3% of the pixels and take seconds. Train the
# same network, DeepLabV2, twice:
#
# * **F**: on full masks (fully supervised reference),
# * **B**: on scribbles only, with *partial cross-entropy* (unlabelled pixels are ignored): the baseline.
#
# The **gap** is `F - B` (in mIoU points). A weakly supervised method reaching **W** closes the fraction
#
# $$\text{gap reduction} = \frac{W - B}{F - B}$$
#
# of it. The paper reports 64.2% for its method (local per-image annotators + a global DCNN annotator,
# averaged and regularised with a dense CRF into pseudo-labels, DeepLabV2 retrained on them) against
# 57.5% for the best peer (Tang et al. 2018, a DenseCRF regularised loss). It also simulates scribbles at
# growing budgets: the gap closes at about 3.1% annotated pixels.
#
# This notebook sets the stage: the data (a real subset of PASCAL VOC 2012 and an embedded procedural
# default), the weak labels we have (real human clicks), and the metric.

# %%
import os

SMOKE = "CI" in os.environ  # CI runs every notebook small; set CI=1 to try it
import matplotlib.pyplot as plt
import numpy as np

from scribblegap.data import load_dataset
from scribblegap.scribbles import WeakLabels
from scribblegap.settings import voc12_mini_dir
from scribblegap.viz import class_pixel_fractions, colorize, dataset_overview

STATS_IMAGES = 200 if SMOKE else None  # images used for class statistics
root = voc12_mini_dir()  # $SCRIBBLEGAP_DATA/voc12-mini, or ../shared/data/voc12-mini
print(root)

# %% [markdown]
# ## VOC12-mini: real VOC 2012 images on a CPU budget
#
# 1200 training images (from VOC's `train_aug`) and 250 validation images (from VOC 2012 `val`), at full
# resolution, with dense masks. The benchmark protocol keeps the seven classes common enough to measure
# (background, cat, cow, dog, horse, person, sheep); every other class is *ignore* (255, drawn grey).

# %%
train = load_dataset(root, "train")  # the 7-class protocol is the default for voc12-mini
val = load_dataset(root, "val")
print(train, val, sep="\n")
dataset_overview(train, "../figures/00_voc12_mini_overview.png", n=8, weak=WeakLabels("points"),
                 stats_images=STATS_IMAGES)
from IPython.display import Image
Image("../figures/00_voc12_mini_overview.png")

# %% [markdown]
# Rows: images, dense masks, and the **human clicks** of `points.json` (grown to discs so they show).
# Below: the share of labelled pixels per class and in how many images each class occurs.
#
# ### Class statistics, train vs val

# %%
rows = {split: class_pixel_fractions(ds, STATS_IMAGES) for split, ds in [("train", train), ("val", val)]}
print(f"{'class':12s} {'train px':>9s} {'train img':>9s} {'val px':>8s} {'val img':>8s}")
for name in train.labels.kept_names:
    t, v = rows["train"][name], rows["val"][name]
    print(f"{name:12s} {t['pixels']:9.3f} {t['images']:9d} {v['pixels']:8.3f} {v['images']:8d}")

# %% [markdown]
# ## The weak labels we have: human clicks
#
# Human ScribbleSup scribbles are not available on these machines, but `points.json` holds real human
# weak labels for every image: clicks on objects from *What's the Point* (Bearman et al. 2016; with a
# `rank`) and a few background points taken from the human ScribbleSup scribbles. Notebook 01 measures
# them; notebook 02 simulates scribbles from the dense masks.

# %%
from scribblegap.scribbles import read_points

points = read_points(root / "points.json")
per_image = np.array([len(points[k]) for k in train.ids])
objects = np.array([sum(p.rank is not None for p in points[k]) for k in train.ids])
print(f"clicks per training image: mean {per_image.mean():.1f}, min {per_image.min()}, max {per_image.max()}; "
      f"object clicks {objects.mean():.1f}, background points {(per_image - objects).mean():.1f}")
from scribblegap.viz import draw_points

weak = WeakLabels("points")
fig, axes = plt.subplots(2, 4, figsize=(14, 5.6))
for col, i in enumerate([3, 10, 25, 40]):
    axes[0, col].imshow(train.image(i))
    draw_points(axes[0, col], points[train.ids[i]])
    axes[0, col].set_title(train.ids[i], fontsize=8)
    axes[1, col].imshow(colorize(train.mask(i)))
    draw_points(axes[1, col], points[train.ids[i]])
for ax in axes.ravel():
    ax.set_axis_off()
labelled = np.mean([(weak(train, i) != 255).mean() for i in range(0, len(train), 40)])
fig.suptitle(f"human clicks (circles: objects, squares: background; class colours) over images and masks; "
             f"the clicks label {labelled:.4%} of an image's pixels", fontsize=9)
fig.savefig("../figures/00_human_clicks.png", dpi=70, bbox_inches="tight")

# %% [markdown]
# ## The embedded default data set
#
# For machines without any data, `load_dataset("default")` generates procedural scenes, deterministically
# from a seed: several object classes whose colours overlap, thin parts (spikes, legs, teeth) that a
# scribble through the interior never touches, background clutter made of the same colours and strokes,
# occlusion and varied sizes. Nothing is stored: a `SceneConfig` defines it. The main job (`make run`)
# runs the whole pipeline on it in minutes; the measurements that matter are made on VOC12-mini.

# %%
from scribblegap.data import SceneConfig

default_train = load_dataset("default", "train")
print(default_train, SceneConfig(), sep="\n")
dataset_overview(default_train, "../figures/00_default_overview.png", n=8, stats_images=STATS_IMAGES)
Image("../figures/00_default_overview.png")

# %% [markdown]
# ## The metric
#
# Every score in this repository is a mean IoU over the protocol's classes, from a confusion matrix
# accumulated over the whole split (pixels marked 255 are skipped). A tiny example by hand:

# %%
from scribblegap.metrics import ConfusionMatrix, gap_reduction

target = np.array([[0, 0, 1], [1, 2, 255]])
pred = np.array([[0, 1, 1], [1, 0, 2]])
cm = ConfusionMatrix(3).update(pred, target)
print(cm.matrix)
print("IoU per class:", cm.iou().round(3), " mIoU:", round(cm.miou(), 3), " pixel accuracy:", cm.pixel_accuracy())
# gap reduction of a hypothetical W=0.66 between B=0.60 and F=0.70
print("gap reduction:", gap_reduction(0.66, 0.60, 0.70))

# %% [markdown]
# ## Summary
#
# * The question: how much of the mIoU gap `F - B` between full masks and scribbles can a weakly
#   supervised pipeline close, and at what annotation budget does it vanish?
# * VOC12-mini gives real images and masks on a CPU budget (7-class protocol); `points.json` gives real
#   human clicks. The embedded default gives scenes anywhere, in seconds.
# * Next: **01** measures weak annotations, **02** simulates scribbles, **03** fits local annotators,
#   **04** trains the global annotator and the F/B references, **05-07** fuse, retrain and measure the gap.
#
# ## Exercises
#
# 1. Which class has the fewest labelled pixels per image containing it? What does that predict for its IoU?
# 2. Change `SceneConfig(thin_width=...)` and look at the scenes: which classes change most?
# 3. Compute the gap reduction a method would need to beat the paper's 64.2% if `B = 0.60` and `F = 0.70`.
