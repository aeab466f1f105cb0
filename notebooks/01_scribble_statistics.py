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
# # 01 · Scribble statistics on real data
#
# Weakly supervised segmentation starts from a few labelled pixels per image. Before simulating such
# annotations (notebook 02) we measure what real ones look like, against the dense masks:
#
# * how many pixels are labelled, per image and per class;
# * how many *scribbles* (connected labelled parts of one class) an image and an object get, how long and
#   how wide they are;
# * which objects are touched at all, by object size;
# * **where** inside an object the labels fall: distance to the object's boundary, in pixels and
#   normalised by the object's *inradius* (its deepest point), and the position inside its bounding box;
# * labelled pixels that disagree with the mask (another class, or void).
#
# **What real annotation we have.** VOC12-mini ships `points.json` with real human weak labels: clicks on
# objects from *What's the Point* (Bearman et al., 2016) and 2-12 background points per image taken from
# the human ScribbleSup scribbles. The ScribbleSup scribbles themselves are not on these machines; the
# last section measures them when you have them (the same code reads a folder of scribble PNGs or
# ScribbleSup XML files).
#
# The measurements live in `scribblegap.scribbles.statistics`; the command line does the same:
# `python -m scribblegap stats --data voc12-mini --split train --labels points --clip --out stats.json`.

# %%
import os

SMOKE = "CI" in os.environ  # CI runs every notebook small (well under a minute); unset it for the full data
N_IMAGES = 30 if SMOKE else None  # images per split (None: all of them)

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from scribblegap.data import load_dataset
from scribblegap.scribbles import WeakLabels, read_points
from scribblegap.scribbles.plots import plot_coverage_comparison, plot_distance_comparison, plot_statistics
from scribblegap.scribbles.statistics import GROUPS, dataset_statistics, find_regions, ks_test
from scribblegap.settings import REPO_ROOT, voc12_mini_dir
from scribblegap.viz import colorize, overlay, save_figure, thicken

# the committed figures come from full runs; a CI run writes its small versions to a temporary folder
_scratch = tempfile.TemporaryDirectory()
FIGURES = Path(_scratch.name) if SMOKE else REPO_ROOT / "figures"


def show(fig, name):
    display(fig)
    save_figure(fig, FIGURES / name)


data = voc12_mini_dir()
train = load_dataset(data, "train", limit=N_IMAGES)
val = load_dataset(data, "val", limit=N_IMAGES)
print(train, val, sep="\n")

# %% [markdown]
# ## The clicks in `points.json`
#
# Every entry is a point `(x, y)` with a VOC class id. Object clicks carry a `rank` (the *What's the
# Point* annotators clicked once per class they saw, not once per object instance); background points
# have none. The benchmark keeps seven classes: points of the other classes become unlabelled.

# %%
points = read_points(data / "points.json")
rows = []
for ds in (train, val):
    n_obj = n_bg = n_dropped = n_outside = 0
    for key in ds.ids:
        h, w = ds.image_shape(key)
        for p in points[key]:
            n_obj += p.rank is not None
            n_bg += p.rank is None
            n_dropped += p.cls not in ds.labels.keep
            n_outside += not (0 <= p.x < w and 0 <= p.y < h)
    rows.append((ds.split, len(ds), n_obj / len(ds), n_bg / len(ds), n_dropped, n_outside))
print(f"{'split':6} {'images':>6} {'object clicks/img':>18} {'background pts/img':>19} "
      f"{'other classes':>14} {'outside image':>14}")
for r in rows:
    print(f"{r[0]:6} {r[1]:6d} {r[2]:18.2f} {r[3]:19.2f} {r[4]:14d} {r[5]:14d}")

# %% [markdown]
# A few points lie on or just past the far image border; `clip=True` (`--clip` on the command line)
# moves them onto the border instead of failing. Below, the clicks (thickened to be visible) over the
# images, and the masks with the seven benchmark classes (white: void or another class).

# %%
weak = WeakLabels("points", clip=True)
fig, axes = plt.subplots(2, 6, figsize=(18, 5.5), dpi=70)
for i, key in enumerate(train.ids[:6]):
    image, mask = train.image(key), train.mask(key)
    axes[0, i].imshow(overlay(image, thicken(weak(train, key), 4), 0.9))
    axes[0, i].set_title(key, fontsize=8)
    axes[1, i].imshow(colorize(mask))
for ax in axes.ravel():
    ax.set_axis_off()
show(fig, "01_clicks_examples.png")

# %% [markdown]
# ## Measuring a label against the mask
#
# A *region* is a connected component of one class in the mask (background pieces are regions too). For
# every pixel of a region we take its distance to the region's boundary: 1 on its outermost pixels,
# growing inwards (the image frame counts as boundary). The largest distance is the region's
# *inradius*; a labelled pixel's *normalised distance* is its distance over the inradius of its region,
# so 1 means "at the deepest point" and values near 0 "at the edge", whatever the object's size.

# %%
key = train.ids[1]
mask = train.mask(key)
reg = find_regions(mask)
normalised = np.where(reg.ids > 0, reg.dist / np.maximum(reg.inradius[reg.ids], 1), np.nan)
clicks = weak(train, key)
rr, cc = np.nonzero(clicks != 255)
fig, axes = plt.subplots(1, 3, figsize=(15, 4), dpi=70)
axes[0].imshow(colorize(mask))
axes[0].set_title(f"{key}: {reg.n} regions")
im = axes[1].imshow(reg.dist, cmap="viridis")
fig.colorbar(im, ax=axes[1], fraction=0.035)
axes[1].set_title("distance to the region's boundary (px)")
im = axes[2].imshow(normalised, cmap="viridis", vmin=0, vmax=1)
fig.colorbar(im, ax=axes[2], fraction=0.035)
axes[2].scatter(cc, rr, s=40, c="red", edgecolors="white")
axes[2].set_title("normalised by the inradius, with the clicks")
for ax in axes:
    ax.set_axis_off()
show(fig, "01_distance_definition.png")
for r, c in zip(rr, cc):
    i = reg.ids[r, c]
    where = ("on void" if i == 0 else f"on a region of class {reg.cls[i]}: {reg.dist[r, c]:.1f} px deep, "
             f"normalised {reg.dist[r, c] / reg.inradius[i]:.2f}")
    print(f"click at ({c}, {r}) of class {clicks[r, c]} {where}")

# %% [markdown]
# ## All statistics of the human clicks
#
# `dataset_statistics` measures every image (one record of counts and histograms each) and sums them.
# With `samples` it also keeps the normalised distances of labelled pixels (for a click: its pixel),
# separately for background and objects, for the comparisons further down.

# %%
human = {}
samples = {}
for ds in (train, val):
    summary, total = dataset_statistics(ds, weak, samples=10 ** 6, progress=False)
    human[ds.split] = summary
    samples[ds.split] = {g: np.asarray(total[f"samples_{g}"]) for g in GROUPS}
for split, s in human.items():
    lf, sc, dis = s["labelled_fraction"], s["scribbles"], s["disagreement"]
    large = s["objects_touched"]["larger_than_1_percent"]
    print(f"{split}: {s['images']} images, labelled {100 * lf['mean_per_image']:.4f}% of the pixels, "
          f"{sc['per_image_mean']:.2f} clicks per image, objects > 1% of the image touched "
          f"{large['objects']:.3f} (background regions {large['background']:.3f}), "
          f"clicks off their class {dis['pixels_on_other_class']}, on void {dis['pixels_on_void']}")
show(plot_statistics(human["train"], title="human clicks, VOC12-mini train"), "01_human_clicks_statistics.png")

# %% [markdown]
# Clicks are single pixels, so the width panel shows 1 and the length panel is degenerate; both become
# informative for scribbles (notebook 02). The object panels already say a lot: small objects are
# rarely clicked (one click per class, not per instance), and the depth of the clicks differs between
# background and objects, which we look at next.

# %% [markdown]
# ## Where people put their labels: objects vs background
#
# Object clicks are deliberate single clicks "on the object"; the background points are samples of
# real ScribbleSup scribbles. Their normalised distances, per split (train and val are independent
# samples of the same annotators, so they should agree; the KS test checks it):

# %%
tests = {}
for g in GROUPS:
    t = ks_test(samples["train"][g], samples["val"][g])
    tests[g] = f"train vs val: KS {t['statistic']:.3f} (p={t['pvalue']:.2g})"
    print(g, t, "medians:", {s: round(float(np.median(v[g])), 3) for s, v in samples.items()})
show(plot_distance_comparison({f"human {s}": v for s, v in samples.items()}, tests=tests,
                              title="normalised distance of human labels to the boundary"),
     "01_click_distances.png")

# %% [markdown]
# ## Coverage per class
#
# Which share of the objects of each class gets at least one correct label, and which share of the
# images containing the class label it at all.

# %%
show(plot_coverage_comparison({f"human {s}": v for s, v in human.items()},
                              title="coverage of the human clicks"), "01_click_coverage.png")
for name, v in human["train"]["per_class"].items():
    print(f"{name:11} objects {v['objects']:5d}  touched {v['objects_touched_fraction']:.3f}  "
          f"large touched {v['large_objects_touched_fraction'] or 0:.3f}  "
          f"images labelled {v['images_with_class_labelled']}/{v['images_with_class']}")

# %% [markdown]
# ## Clicks that disagree with the mask
#
# A click can land on void (the masks' uncertain band, or a class outside the benchmark) or on another
# class. A few such clicks are expected from real annotators; the simulator of notebook 02 makes none.

# %%
bad = []
for key in train.ids:
    m, c = train.mask(key), weak(train, key)
    for r, cc_ in zip(*np.nonzero((c != 255) & (c != m))):
        bad.append((key, r, cc_, c[r, cc_], m[r, cc_]))
print(f"{len(bad)} of {sum(1 for k in train.ids for p in points[k] if p.cls in train.labels.keep)} "
      f"kept clicks disagree with the mask (train)")
if bad:
    fig, axes = plt.subplots(1, min(4, len(bad)), figsize=(16, 3.6), dpi=70, squeeze=False)
    for ax, (key, r, c, said, truth) in zip(axes[0], bad[:4]):
        ax.imshow(overlay(train.image(key), train.mask(key), 0.45))
        ax.scatter([c], [r], s=80, c="yellow", edgecolors="black")
        ax.set_title(f"{key}: click says {train.labels.names[said]}, mask "
                     f"{'void' if truth == 255 else train.labels.names[truth]}", fontsize=8)
        ax.set_axis_off()
    show(fig, "01_click_disagreements.png")

# %% [markdown]
# ## ScribbleSup scribbles, when you have them
#
# Point `SCRIBBLESUP_DIR` at a folder of ScribbleSup files, either rasterised scribble PNGs
# (`pascal_2012_scribble/<id>.png`) or the XML files (`<id>.xml`, drawn 3 px wide), and the same
# statistics run on them. From the command line:
#
#     python -m scribblegap stats --data voc12-mini --split train --labels /path/to/pascal_2012_scribble --out stats.json --figure stats.png

# %%
scribblesup = os.environ.get("SCRIBBLESUP_DIR")
if scribblesup:
    sup, _ = dataset_statistics(train, WeakLabels(scribblesup, clip=True), progress=False)
    print(f"ScribbleSup: labelled {100 * sup['labelled_fraction']['mean_per_image']:.2f}% of the pixels")
    show(plot_statistics(sup, title="ScribbleSup scribbles, VOC12-mini train"), "01_scribblesup_statistics.png")
else:
    print("SCRIBBLESUP_DIR is not set: the ScribbleSup scribbles are not available on this machine.")

# %% [markdown]
# ## Summary
#
# * One function, `dataset_statistics(dataset, weak_labels)`, measures any weak annotation against the
#   masks: labelled pixels per image and class, scribbles per image and object, their length and width,
#   objects touched by size, boundary distances (absolute and normalised), positions, disagreements.
# * The human clicks touch most large objects but few small ones, and the per-class rows show where
#   one click per class falls short of one per object.
# * Object clicks and the background points from real scribbles sit at different depths (printed
#   above); notebook 02 compares the simulator's strokes with both.
#
# ## Exercises
#
# 1. Compute the statistics of the clicks drawn as discs (`WeakLabels("points", point_radius=5,
#    clip=True)`). Which statistics change, and which must not?
# 2. Split the object-click distances by class. Do people click deeper into cats than into persons?
# 3. The image frame counts as a boundary here. Change `region_distances` to ignore it (pad with the
#    region's own id) and see how the background distances move.
# 4. If you have the ScribbleSup scribbles, compare their labelled fraction and width with the 3% at
#    3 px quoted by the paper.
