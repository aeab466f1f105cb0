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
# # 01 · What human weak labels look like
#
# **The question.** Weakly supervised segmentation starts from a few labelled pixels $\Lambda$ per image.
# Before simulating such labels (notebook 02), what do real ones look like against the dense masks: how
# many pixels do they label, *where* inside an object do people put them, which objects do they miss, and
# how often do they contradict the mask?
#
# Where it sits: data → **scribbles** → annotators → fusion + CRF → training → evaluation → report.
# Notation: the table of notebook 00. VOC12-mini ships `points.json` with real human weak labels: object
# clicks from *What's the Point* (Bearman et al. 2016) and a few background points per image from the human
# ScribbleSup scribbles. The measurements live in `scribblegap.scribbles.statistics`; on the command line:
# `python -m scribblegap stats --data voc12-mini --split train --labels points --clip --out stats.json`.

# %%
from scribblegap.report.course import setup; SMOKE = setup()

import json
import os

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from scipy import ndimage

from scribblegap.data import load_dataset
from scribblegap.scribbles import WeakLabels, read_points
from scribblegap.scribbles.plots import plot_coverage_comparison, plot_distance_comparison, plot_statistics
from scribblegap.scribbles.statistics import GROUPS, dataset_statistics, find_regions, image_record, ks_test
from scribblegap.core.settings import REPO_ROOT, voc12_mini_dir
from scribblegap.data.plots import colorize, legend_handles, overlay, show, thicken

RECORDED = REPO_ROOT / "results" / "voc12-mini" / "simulator.json"  # scripts/bench_simulator.py, all images
N_IMAGES = 30 if SMOKE else None  # images per split (None: all of them)
SMOKE_NOTE = f"CI mode ({N_IMAGES} images per split) - not a result" if SMOKE else ""
data = voc12_mini_dir()
train = load_dataset(data, "train", limit=N_IMAGES)
val = load_dataset(data, "val", limit=N_IMAGES)
labels = train.labels
weak = WeakLabels("points", clip=True)

fig, axes = plt.subplots(2, 4, figsize=(9.4, 4.1), dpi=80)
for i, key in enumerate(train.ids[:4]):
    axes[0, i].imshow(overlay(train.image(key), thicken(weak(train, key), 4), 0.9))
    axes[0, i].set_title(key, fontsize=8)
    axes[1, i].imshow(colorize(train.mask(key)))
for ax in axes.ravel():
    ax.set_axis_off()
fig.legend(handles=legend_handles(labels), loc="lower center", ncol=labels.num_classes, fontsize=7,
           frameon=False)
fig.suptitle("human clicks (grown to discs so they show) over the images; the masks below (grey: ignored)",
             fontsize=9)
fig.tight_layout(rect=(0, 0.06, 1, 0.95))
show(fig, "01_clicks_examples")

# %% [markdown]
# A click or two per object, somewhere inside it, and a few background points: compare where the clicks
# sit with the masks below. The rest of the notebook turns that look into numbers.

# %% [markdown]
# ## The clicks in `points.json`
#
# Every entry is a point $(x, y)$ with a VOC class id. Object clicks carry a `rank` (one click per class
# seen, not per instance); background points have none. Points of classes outside the seven become
# unlabelled; `clip=True` moves the few points just past the image border onto it.

# %%
points = read_points(data / "points.json")
print(f"{'split':6} {'images':>6} {'object clicks/img':>18} {'background pts/img':>19} "
      f"{'other classes':>14} {'outside image':>14}")
for ds in (train, val):
    n_obj = n_bg = n_dropped = n_outside = 0
    for key in ds.ids:
        h, w = ds.image_shape(key)
        for p in points[key]:
            n_obj += p.rank is not None
            n_bg += p.rank is None
            n_dropped += p.cls not in ds.labels.keep
            n_outside += not (0 <= p.x < w and 0 <= p.y < h)
    print(f"{ds.split:6} {len(ds):6d} {n_obj / len(ds):18.2f} {n_bg / len(ds):19.2f} {n_dropped:14d} "
          f"{n_outside:14d}")
if SMOKE:
    print(SMOKE_NOTE)

# %% [markdown]
# ## Measuring a label against the mask
#
# A *region* $R$ is a connected component (8-connected) of one class in the mask; background pieces are
# regions too, void pixels belong to none. A pixel of $R$ is on its *boundary* $\partial R$ when one of its
# 8 neighbours lies outside $R$ (another region, void, or past the image frame). For a pixel $i \in R$,
#
# $$d(i) = 1 + \min_{j \in \partial R} \lVert i - j \rVert_2, \qquad
#   d_{\max}(R) = \max_{i \in R} d(i), \qquad \nu(i) = \frac{d(i)}{d_{\max}(R)} \in (0, 1]:$$
#
# $d(i)$ is the distance to the boundary in pixels, $d_{\max}(R)$ the region's inradius and $\nu(i)$ the
# **normalised boundary distance**, near 0 at the edge and 1 at the deepest point whatever the object's
# size. Per class $c$, over its regions $\mathcal{R}_c$ and the labelled pixels $\Lambda$,
#
# $$\text{coverage}_c = \frac{\lvert\{R \in \mathcal{R}_c : \exists i \in R \cap \Lambda,\ y_i = c\}\rvert}
#   {\lvert \mathcal{R}_c \rvert}, \qquad
#   \text{disagreement} = \frac{\lvert\{i \in \Lambda : y_i \neq m_i\}\rvert}{\lvert \Lambda \rvert}:$$
#
# the share of objects with at least one correct label, and of labelled pixels that contradict the mask.
# The definitions in numpy and scipy, checked against the package's `find_regions` and `image_record`:

# %%
def regions_by_hand(mask):
    """Region ids 1..n (8-connected, one class each); 0 on void."""
    ids, n = np.zeros(mask.shape, np.int64), 0
    for c in np.unique(mask[mask != 255]):
        comp, k = ndimage.label(mask == c, structure=np.ones((3, 3)))
        ids[comp > 0] = comp[comp > 0] + n
        n += k
    return ids, n


def boundary_distance(ids, n):
    """d(i) on every region pixel (0 on void), the inradius d_max(R) of regions 1..n, and nu(i)."""
    pad = np.pad(ids, 1, constant_values=-1)  # the image frame counts as boundary
    lo = ndimage.minimum_filter(pad, size=3)[1:-1, 1:-1]
    hi = ndimage.maximum_filter(pad, size=3)[1:-1, 1:-1]
    boundary = (lo != ids) | (hi != ids)  # some 8-neighbour belongs elsewhere
    d = np.where(ids > 0, ndimage.distance_transform_edt(~boundary) + 1.0, 0.0)
    r = np.concatenate([[0.0], ndimage.maximum(d, ids, np.arange(1, n + 1))])
    return d, r, np.where(ids > 0, d / np.maximum(r[ids], 1), np.nan)


key = train.ids[1]
mask, clicks = train.mask(key), weak(train, key)
ids, n = regions_by_hand(mask)
d, r, nu = boundary_distance(ids, n)

reg = find_regions(mask)  # the package
on = reg.ids > 0
nu_pkg = np.where(on, reg.dist / np.maximum(reg.inradius[reg.ids], 1), np.nan)
assert n == reg.n
np.testing.assert_allclose(d[on], reg.dist[on], atol=1e-4)
np.testing.assert_allclose(nu[on], nu_pkg[on], atol=1e-5)
print(f"{key}: {n} regions; largest difference from the package: d {np.abs(d - reg.dist)[on].max():.1e} px, "
      f"nu {np.abs(nu - nu_pkg)[on].max():.1e}")

# coverage and disagreement of this image's clicks, by hand and by the package
labelled = clicks != 255
right = labelled & (clicks == mask)
background = np.zeros(n + 1, bool)
background[np.unique(ids[mask == 0])] = True
touched = np.zeros(n + 1, bool)
touched[ids[right]] = True
mine = np.array([(touched & background)[1:].sum(), (touched & ~background)[1:].sum()])
record = image_record(clicks, mask, labels)
assert (mine == record["objects_touched"].sum(1)).all()
assert (labelled & (mask == 255)).sum() == record["disagree_void"]
assert (labelled & (mask != 255) & (clicks != mask)).sum() == record["disagree_class"]
print(f"regions touched: background {mine[0]} of {background[1:].sum()}, objects {mine[1]} of "
      f"{n - background[1:].sum()} (package: {record['objects_touched'].sum(1).tolist()}); labelled pixels "
      f"on void {record['disagree_void']}, on another class {record['disagree_class']}")
for rr, cc in zip(*np.nonzero(labelled)):
    where = "on void" if ids[rr, cc] == 0 else f"{d[rr, cc]:.1f} px deep, nu = {nu[rr, cc]:.2f}"
    print(f"  click at ({cc}, {rr}), class {labels.names[clicks[rr, cc]]}: {where}")

# %%
fig, axes = plt.subplots(1, 3, figsize=(11, 3.2), dpi=80)
axes[0].imshow(colorize(mask))
axes[0].set_title(f"{key}: {n} regions", fontsize=9)
im = axes[1].imshow(np.where(ids > 0, d, np.nan), cmap="viridis")
fig.colorbar(im, ax=axes[1], fraction=0.035)
axes[1].set_title("d(i): distance to the region's boundary (px)", fontsize=9)
im = axes[2].imshow(nu, cmap="viridis", vmin=0, vmax=1)
fig.colorbar(im, ax=axes[2], fraction=0.035)
rr, cc = np.nonzero(labelled)
axes[2].scatter(cc, rr, s=40, c="red", edgecolors="white")
axes[2].set_title("nu(i) = d(i) / d_max(R), with the clicks", fontsize=9)
for ax in axes:
    ax.set_axis_off()
show(fig, "01_distance_definition")

# %% [markdown]
# ## All statistics of the human clicks
#
# `dataset_statistics` measures every image and sums the records; with `samples` it also keeps the
# normalised distances $\nu$ of the labelled pixels, background and objects apart.

# %%
human, samples = {}, {}
for ds in (train, val):
    summary, total = dataset_statistics(ds, weak, samples=10 ** 6, progress=False)
    human[ds.split] = summary
    samples[ds.split] = {g: np.asarray(total[f"samples_{g}"]) for g in GROUPS}
if SMOKE:
    print(SMOKE_NOTE)
for split, s in human.items():
    lf, sc, dis = s["labelled_fraction"], s["scribbles"], s["disagreement"]
    large = s["objects_touched"]["larger_than_1_percent"]
    print(f"{split}: {s['images']} images, labelled {100 * lf['mean_per_image']:.4f}% of the pixels, "
          f"{sc['per_image_mean']:.2f} clicks per image, objects > 1% of the image touched "
          f"{large['objects']:.3f} (background regions {large['background']:.3f}), labelled pixels "
          f"on another class {dis['pixels_on_other_class']}, on void {dis['pixels_on_void']}")


fig = plot_statistics(human["train"], title="human clicks, VOC12-mini train" + (f" ({SMOKE_NOTE})" if SMOKE else ""))
show(fig, "01_human_clicks_statistics")

# %% [markdown]
# Clicks are single pixels, so the width and length panels are degenerate (they matter for scribbles,
# notebook 02). Compare the share of objects touched across the size buckets. The same measurements on
# every image, recorded by `scripts/bench_simulator.py` in `results/voc12-mini/simulator.json`:

# %%
if not RECORDED.is_file():
    print("not recorded yet: run `OMP_NUM_THREADS=1 python scripts/bench_simulator.py`")
    recorded = None
else:
    recorded = json.loads(RECORDED.read_text())["human_comparison"]
    rows = ["| split | labelled pixels (%) | clicks per image | objects > 1% touched | background regions > 1% "
            "touched | labelled pixels off their class or on void (%) | median nu, background (quartiles) | "
            "median nu, objects (quartiles) | clicks measured (background / objects) |", "|---" * 9 + "|"]
    for split, comp in recorded.items():
        a, dist = comp["coverage"]["human"]["_all"], comp["distance"]
        q = {g: ", ".join(f"{v:.2f}" for v in dist[g]["human_quartiles"]) for g in GROUPS}
        rows.append(f"| {split} | {100 * a['labelled_fraction']:.4f} | {a['scribbles_per_image']:.2f} | "
                    f"{a['objects_larger_than_1pct_touched']['objects']:.3f} | "
                    f"{a['objects_larger_than_1pct_touched']['background']:.3f} | "
                    f"{100 * a['disagreement_fraction']:.1f} | {dist['background']['human_median']:.2f} "
                    f"({q['background']}) | {dist['objects']['human_median']:.2f} ({q['objects']}) | "
                    f"{dist['background']['ks']['n1']} / {dist['objects']['ks']['n1']} |")
    display(Markdown("\n".join(rows)))

# %% [markdown]
# ## Where people put their labels: objects vs background
#
# Object clicks are deliberate clicks "on the object"; background points are samples of real scribbles.
# Train and val are independent samples of the same annotators, so their distributions of $\nu$ should
# agree; the two-sample Kolmogorov-Smirnov statistic (the largest gap between the two cumulative
# distributions) measures how far apart they are.

# %%
tests = {}
for g in GROUPS:
    t = ks_test(samples["train"][g], samples["val"][g])
    tests[g] = f"train vs val: KS {t['statistic']:.3f} (p={t['pvalue']:.2g})"
    medians = {s: round(float(np.median(v[g])), 3) for s, v in samples.items()}
    print(f"{g}: {tests[g]}, n = {t['n1']} / {t['n2']}, medians {medians}" + (f"  [{SMOKE_NOTE}]" if SMOKE else ""))
fig = plot_distance_comparison({f"human {s}": v for s, v in samples.items()}, tests=tests,
                               title="normalised distance of human labels to the boundary")
fig.set_size_inches(14, 3.4)
fig.set_dpi(70)
fig.tight_layout()
show(fig, "01_click_distances")

# %% [markdown]
# Compare the background and object panels: where the medians differ, the two kinds of label sit at
# different depths (the medians of the full data set are in the table above).
#
# ## Coverage per class
#
# $\text{coverage}_c$, the same for objects larger than 1% of the image, and the share of the images
# containing the class that label it at all.

# %%
fig = plot_coverage_comparison({f"human {s}": v for s, v in human.items()},
                               title="coverage of the human clicks" + (f" ({SMOKE_NOTE})" if SMOKE else ""))
fig.set_size_inches(12, 3.4)
fig.set_dpi(70)
fig.tight_layout()
show(fig, "01_click_coverage")
if recorded is not None:
    cov = recorded["train"]["coverage"]["human"]
    rows = ["Recorded on all of VOC12-mini train (`results/voc12-mini/simulator.json`):", "",
            "| class | objects touched | objects > 1% touched | images with the class that label it |",
            "|---|---|---|---|"]
    for name in labels.kept_names:
        v = cov[name]
        rows.append(f"| {name} | {v['objects_touched_fraction'] or 0:.3f} | "
                    f"{v['large_objects_touched_fraction'] or 0:.3f} | {v['images_labelled_fraction'] or 0:.3f} |")
    display(Markdown("\n".join(rows)))

# %% [markdown]
# Read the first two columns together: one click per class and image cannot touch every instance of a
# class that appears several times, and the small instances are the ones left out.
#
# ## Clicks that disagree with the mask
#
# A click can land on void (the uncertain band, a class outside the benchmark) or on another class. Real
# annotators make such clicks; the simulator of notebook 02 makes none by construction.

# %%
bad = []
for key in train.ids:
    m, c = train.mask(key), weak(train, key)
    for r_, c_ in zip(*np.nonzero((c != 255) & (c != m))):
        bad.append((key, r_, c_, c[r_, c_], m[r_, c_]))
kept = sum(1 for k in train.ids for p in points[k] if p.cls in train.labels.keep)
print(f"{len(bad)} of {kept} kept clicks disagree with the mask ({len(train)} train images)"
      + (f"  [{SMOKE_NOTE}]" if SMOKE else ""))
if bad:
    fig, axes = plt.subplots(1, min(4, len(bad)), figsize=(2.5 * min(4, len(bad)), 2.5), dpi=80, squeeze=False)
    for ax, (key, r_, c_, said, truth) in zip(axes[0], bad[:4]):
        ax.imshow(overlay(train.image(key), train.mask(key), 0.45))
        ax.scatter([c_], [r_], s=80, c="yellow", edgecolors="black")
        ax.set_title(f"{key}\nclick: {train.labels.names[said]}, mask: "
                     f"{'void' if truth == 255 else train.labels.names[truth]}", fontsize=8)
        ax.set_axis_off()
    fig.tight_layout()
    show(fig, "01_click_disagreements")

# %% [markdown]
# ## ScribbleSup scribbles, when you have them
#
# Point `SCRIBBLESUP_DIR` at a folder of ScribbleSup files (scribble PNGs or the XML files, drawn 3 px
# wide) and the same statistics run on them. From the command line:
#
#     python -m scribblegap stats --data voc12-mini --split train --labels /path/to/pascal_2012_scribble --out stats.json --figure stats.png

# %%
scribblesup = os.environ.get("SCRIBBLESUP_DIR")
if scribblesup:
    sup, _ = dataset_statistics(train, WeakLabels(scribblesup, clip=True), progress=False)
    print(f"ScribbleSup: labelled {100 * sup['labelled_fraction']['mean_per_image']:.2f}% of the pixels")
    show(plot_statistics(sup, title="ScribbleSup scribbles, VOC12-mini train"), "01_scribblesup_statistics")
else:
    print("SCRIBBLESUP_DIR is not set: the ScribbleSup scribbles are not available on this machine.")

# %% [markdown]
# ## Summary
#
# * A weak label is measured against the mask region by region: $\nu(i) = d(i)/d_{\max}(R)$ says how deep
#   inside its object a label lies, coverage which objects get a correct label, disagreement which labels
#   contradict the mask.
# * Written out in a dozen lines, the definitions agree with `find_regions` and `image_record`;
#   `dataset_statistics(dataset, weak_labels)` measures any weak annotation with them.
# * The recorded tables give the clicks' labelled share, depth, coverage and disagreement on all of
#   VOC12-mini; notebook 02 compares simulated scribbles with them.
#
# ## Exercises
#
# 1. Measure the clicks drawn as discs, `WeakLabels("points", point_radius=5, clip=True)`. Which
#    statistics change, and which must not?
#
# <details><summary>Hint</summary>Run <code>dataset_statistics(train, WeakLabels("points", point_radius=5,
# clip=True), progress=False)</code> and compare its summary with <code>human["train"]</code>.</details>
# <details><summary>Solution</summary>The labelled share, the width and the disagreement grow (a disc
# near an edge spills onto the neighbour or void); the number of clicks per image and the objects touched
# barely move, since every disc is centred on the same click.</details>
#
# 2. Split the object-click distances $\nu$ by class. Do people click deeper into cats than into persons?
#
# <details><summary>Hint</summary>For each click, the mask's class at the click is
# <code>train.mask(key)[y, x]</code>; collect <code>nu</code> per class with
# <code>boundary_distance(*regions_by_hand(mask))</code>.</details>
# <details><summary>Solution</summary>Build a dict class → list of $\nu$ over the train images and
# compare the medians. Thin, articulated classes (persons) leave less depth to click into than compact
# ones: that is the difference to look for.</details>
#
# 3. The image frame counts as boundary here. Pad with the region's own id (`np.pad(ids, 1, mode="edge")`)
#    in `boundary_distance`: how do the background distances move?
#
# <details><summary>Hint</summary>Background regions touch the frame far more often than objects.</details>
# <details><summary>Solution</summary>The background pixels near the frame get larger $d(i)$, so
# $d_{\max}$ grows and most background $\nu$ shrink; object distances barely change.</details>
