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
# # 02 · Simulating scribbles at a budget
#
# **The question.** How do we draw human-like scribbles from a dense mask so that they label a chosen
# share of the pixels, the *budget*? The paper studies how the gap between weak and full supervision
# depends on the amount of annotation, with scribbles simulated from the masks "respecting scribble human
# annotation statistics", up to about 3% of the pixels. Every later stage trains on such scribbles, and
# notebook 07 sweeps the budget.
#
# Where it sits: data → **scribbles** → annotators (local, global) → fusion + CRF → training →
# evaluation → report. Notebook 01 measured the human labels; this one draws strokes and compares them
# with those measurements.
#
# The package's simulator is `scribblegap.scribbles.simulate_scribbles(mask, labels, budget)`; the
# command line writes a folder of scribble PNGs and their statistics:
# `python -m scribblegap simulate --data voc12-mini --split train --budget 0.03 --seed 0 --out DIR`.

# %%
import os
import tempfile

SMOKE = "CI" in os.environ  # CI runs every notebook small; unset CI for the full data
if SMOKE:  # figures of a CI run go to a temporary folder, never over the recorded ones in figures/
    os.environ["SCRIBBLEGAP_FIGURES"] = tempfile.mkdtemp(prefix="scribblegap_figures_")
N_IMAGES = 30 if SMOKE else None  # images per split (None: all of them)

import json

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
from skimage.morphology import skeletonize
from skimage.segmentation import find_boundaries

from scribblegap.data import load_dataset
from scribblegap.scribbles import WeakLabels
from scribblegap.scribbles.plots import plot_budget_curve, plot_coverage_comparison, plot_distance_comparison
from scribblegap.scribbles.simulate import DEFAULT_BUDGET, SimulatorOptions, simulate_image
from scribblegap.scribbles.statistics import GROUPS, find_regions, image_record, ks_test, merge_records, summarize
from scribblegap.core.settings import REPO_ROOT, voc12_mini_dir
from scribblegap.data.plots import colorize, show

RECORDED = REPO_ROOT / "results" / "voc12-mini" / "simulator.json"  # scripts/bench_simulator.py
BUDGETS = [0.005, 0.01, 0.03, 0.1]
SMOKE_NOTE = "smoke run (CI: a handful of images) - not a result" if SMOKE else ""


def strokes_on(image, mask, weak):
    """The image dimmed over its mask, mask boundaries white, background strokes cyan, object strokes red."""
    out = (0.55 * image + 0.45 * colorize(mask)).astype(np.uint8)
    out[find_boundaries(mask)] = 255
    on = weak != 255
    out[on] = np.where(weak[on, None] == 0, [0, 230, 255], [255, 30, 30])
    return out


data = voc12_mini_dir()
train = load_dataset(data, "train", limit=N_IMAGES)
val = load_dataset(data, "val", limit=N_IMAGES)
labels = train.labels
print(train, val, sep="\n")

# %% [markdown]
# ## The budget equation
#
# An image of $H \times W$ pixels at budget $\beta$ (a fraction of the pixels; the default $\beta_0 = 3\%$
# at a pen of $w_0 = 3$ px follows the published ScribbleSup figure) should get
#
# $$N = \beta\, H W$$
#
# labelled pixels. Each *region* $r$ of the mask (a connected component of one class, background
# included) offers candidate strokes $k = 1, 2, \dots$ of full length $L_{r,k}$ (its medial axis first,
# then branches and contours, below). A single number $e$, the *effort*, sets how much of them is drawn:
#
# $$\ell_{r,k}(e) = \operatorname{clip}\Big(e\, A_r^{\gamma} - \sum_{j<k} L_{r,j},\ 0,\ L_{r,k}\Big),
#   \qquad \hat N(e) = w \sum_{r,k} \ell_{r,k}(e) + w^2\, \#\{\text{strokes drawn}\},$$
#
# where $A_r$ is the region's area in pixels, $\gamma = 0.6$ (`area_exponent`) makes the ink grow slower
# than the area (a small object gets a relatively larger share, as a person draws one stroke per object
# whatever its size), $\ell_{r,k}$ is the drawn length of stroke $k$ (a region's first stroke lengthens from
# its middle outwards; later strokes start only when the earlier ones are full; a region's first stroke is
# never shorter than a minimum length, later ones shorter than it are dropped), and $\hat N(e)$ estimates
# the pixels a pen of width $w$ paints (the $w^2$ term: the round ends). $\hat N$ grows with $e$, so $e$ is
# found by bisection from $\hat N(e) = N$, then corrected with the real pixel count (pens overlap on tight
# curves and are cut where they would leave their class). Above the default budget the pen also widens,
#
# $$w(\beta) = w_0 \max\left(1, \beta / \beta_0\right)^{1/3}.$$
#
# ## The stroke: the medial axis of a region's core
#
# A stroke should run through the middle of its region and keep away from its boundary. With
# $d(p)$ the distance to the region's boundary (notebook 01) and $r$ its inradius, the *core* is
#
# $$\mathcal{C} = \{p : d(p) \ge \tau\}, \qquad \tau = \tfrac{w-1}{2} + 1 + m\,\big(r - \tfrac{w-1}{2} - 1\big),$$
#
# the pixels where a pen of width $w$ stays inside with a margin $m = 0.15$ of the free depth. The core is
# thinned to its skeleton, and the longest path through the skeleton (two sweeps of Dijkstra: the
# farthest node from any node, then the farthest from that one) is the region's main stroke: it follows
# the shape, along a horse's body or across the sky.
#
# The idea in a few lines, on the largest object of one validation image, compared with the main stroke
# the package traces for the same region:

# %%
def medial_path(region, pen=3.0, margin=0.15):
    """Core, skeleton and the longest skeleton path ((row, col) pixels) of a boolean region."""
    d = ndimage.distance_transform_edt(np.pad(region, 1))[1:-1, 1:-1]  # the image frame counts as boundary
    base = (pen - 1) / 2 + 1
    core = d >= base + margin * (d.max() - base)
    rc = np.argwhere(skeletonize(core))
    index = np.full(region.shape, -1)
    index[rc[:, 0], rc[:, 1]] = np.arange(len(rc))
    i, j, length = [], [], []
    for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):  # each 8-neighbour pair once
        r2, c2 = rc[:, 0] + dr, rc[:, 1] + dc
        ok = (r2 < region.shape[0]) & (c2 >= 0) & (c2 < region.shape[1])
        nb = np.full(len(rc), -1)
        nb[ok] = index[r2[ok], c2[ok]]
        i += [np.nonzero(nb >= 0)[0]]
        j += [nb[nb >= 0]]
        length += [np.full((nb >= 0).sum(), np.hypot(dr, dc))]
    graph = coo_matrix((np.concatenate(length), (np.concatenate(i), np.concatenate(j))), (len(rc),) * 2)
    start = int(np.argmax(d[rc[:, 0], rc[:, 1]]))  # the deepest skeleton pixel: in the main piece
    d0 = dijkstra(graph, directed=False, indices=start)
    a = int(np.argmax(np.where(np.isfinite(d0), d0, -1)))
    d1, pred = dijkstra(graph, directed=False, indices=a, return_predecessors=True)
    path = [int(np.argmax(np.where(np.isfinite(d1), d1, -1)))]
    while pred[path[-1]] >= 0:
        path.append(pred[path[-1]])
    return core, rc, rc[path[::-1]]


def one_object(ds):
    """The first image with a single object class covering 10-40% of it: a clear example."""
    for key in ds.ids:
        m = ds.mask(key)
        classes = [c for c in np.unique(m) if c not in (0, 255)]
        if len(classes) == 1 and 0.1 < (m == classes[0]).mean() < 0.4:
            return key
    return ds.ids[0]


key = one_object(val)
image, mask = val.image(key), val.mask(key)
regions = find_regions(mask)  # the package's region ids, used by the simulator too
objects = [i for i in range(1, regions.n + 1) if regions.cls[i] not in (0, 255)]
target_region = max(objects, key=lambda i: regions.area[i])
core, skeleton, path = medial_path(regions.ids == target_region)

sim = simulate_image(mask, labels, DEFAULT_BUDGET, key=key, steps=True)
st = sim.info["steps"]
main = next(c for c in st["candidates"] if c["region"] == target_region and c["rank"] == 0)
ours_to_pkg, _ = cKDTree(main["path"]).query(path)
pkg_to_ours, _ = cKDTree(path).query(main["path"])
length = lambda p: float(np.hypot(*np.diff(p, axis=0).T).sum())
print(f"{key}, {labels.names[regions.cls[target_region]]} region of {regions.area[target_region]} px: our path "
      f"{length(path):.0f} px long, the package's main stroke path {length(main['path']):.0f} px "
      f"(traced every {st['grid_step']} px)")
print(f"distance between the two paths: mean {ours_to_pkg.mean():.1f} px (ours to the package's), "
      f"{pkg_to_ours.mean():.1f} px (the package's to ours); 95th percentile "
      f"{np.percentile(np.r_[ours_to_pkg, pkg_to_ours], 95):.1f} px")
assert np.r_[ours_to_pkg, pkg_to_ours].mean() < 0.05 * np.sqrt(regions.area[target_region]), \
    "the hand-made medial path should lie along the package's main stroke"

# %%
fig, axes = plt.subplots(1, 3, figsize=(9, 2.7), dpi=75)
view = (0.6 * image + 0.4 * colorize(mask)).astype(np.uint8)
axes[0].imshow(np.where(core[..., None], [255, 210, 0], view).astype(np.uint8))
sk = skeleton
axes[0].plot(sk[:, 1], sk[:, 0], ",", color="k")
axes[0].set_title("core (yellow) and its skeleton", fontsize=9)
axes[1].imshow(view)
axes[1].plot(path[:, 1], path[:, 0], "-", color="red", lw=2.5, label="ours: longest skeleton path")
axes[1].plot(main["path"][:, 1], main["path"][:, 0], "--", color="cyan", lw=1.5, label="package: main stroke path")
axes[1].legend(fontsize=7, loc="lower left")
axes[1].set_title("the main stroke, by hand and by the package", fontsize=9)
axes[2].imshow(strokes_on(image, mask, sim.labels))
axes[2].set_title(f"drawn by the package at {100 * DEFAULT_BUDGET:g}%: {sim.info['strokes']} strokes", fontsize=9)
for ax in axes:
    ax.set_axis_off()
fig.tight_layout()
show(fig, "02_medial_axis")

# %% [markdown]
# The package does the same on a grid of every second pixel for VOC-sized images (the strokes are drawn
# at full resolution), then adds further strokes: skeleton branches far from the main path (legs, the
# far side of a background wrapped around an object), and, only when the budget asks for more, contours
# at fixed depths inside wide regions. Paths are smoothed and wobble sideways within the free space
# (reproducible noise from `seed` and the image id), and the painted pixels are cut to the stroke's class,
# so no scribble pixel ever lies on another class or on void.
#
# ## The budget, checked
#
# The allocation $\ell_{r,k}(e)$ above, written out, must give the drawn lengths the simulator reports at
# the effort it solved for (`steps=True` keeps them); and $\hat N(e)$ should be close to the target $N$:

# %%
opts = SimulatorOptions()
cands = st["candidates"]
region = np.array([c["region"] for c in cands])
rank = np.array([c["rank"] for c in cands])
full = np.array([length(c["path"]) if len(c["path"]) > 1 else 0.0 for c in cands])
weight = regions.area[region].astype(float) ** opts.area_exponent
before = np.array([full[:i][region[:i] == region[i]].sum() for i in range(len(cands))])  # earlier strokes
shortest = opts.min_length * min(mask.shape)


def lengths(e):
    room = e * weight - before
    out = np.clip(room, 0.0, full)
    first = rank == 0
    out[first] = np.maximum(out[first], np.minimum(shortest, full[first]))
    out[~first & (room < shortest)] = 0.0
    return out


def n_hat(e, pen):
    ell = lengths(e)
    drawn = (rank == 0) | (ell > 0)
    return pen * ell[drawn].sum() + pen ** 2 * drawn.sum()


np.testing.assert_allclose(lengths(st["effort"]), st["lengths"], rtol=1e-9, atol=1e-9)
pen, target = sim.info["width"], DEFAULT_BUDGET * mask.size
lo, hi = 0.0, float(((before + full) / weight).max())
for _ in range(40):  # bisection on the estimate
    mid = (lo + hi) / 2
    lo, hi = (mid, hi) if n_hat(mid, pen) < target else (lo, mid)
print(f"options: area_exponent (gamma) {opts.area_exponent}, margin (m) {opts.margin}, shortest stroke "
      f"{opts.min_length} of the shorter side = {shortest:.0f} px, pen {sim.info['width']:g} px")
print(f"{len(cands)} candidate strokes in {len(set(region))} regions; drawn lengths by hand = the package's "
      f"(max difference {np.abs(lengths(st['effort']) - st['lengths']).max():.1e} px)")
print(f"target N = {target:.0f} px; estimate N_hat at the package's effort {n_hat(st['effort'], pen):.0f} px; "
      f"pixels actually labelled {sim.info['labelled_pixels']} ({100 * sim.info['labelled_pixels'] / mask.size:.2f}%)")
print(f"effort by bisection on N_hat alone {hi:.4f}; after the correction with real pixel counts {st['effort']:.4f}")

# %% [markdown]
# ## The simulator on one image, step by step
#
# `simulate_image(..., steps=True)` keeps the intermediate results: the distance map on the tracing grid,
# the core of every region, the candidate paths of each phase, and the strokes drawn.

# %%
step, cand_list = st["grid_step"], st["candidates"]
fig, axes = plt.subplots(1, 4, figsize=(11, 2.6), dpi=75)
axes[0].imshow(np.where(st["ids"] > 0, st["dist"], np.nan), cmap="viridis")
axes[0].set_title("distance to the boundary (grid)", fontsize=9)
core_view = (0.5 * colorize(mask)[::step, ::step]).astype(np.uint8)
on_background = mask[::step, ::step] == 0
core_view[st["core"] & on_background] = (120, 200, 255)
core_view[st["core"] & ~on_background] = (255, 210, 0)
axes[1].imshow(core_view)
axes[1].set_title("cores: background blue, objects yellow", fontsize=9)
for ax, phases, title in ((axes[2], {0}, "medial-axis paths"),
                          (axes[3], set(range(1, len(st["phases"]))), "contour paths")):
    ax.imshow(colorize(mask)[::step, ::step], alpha=0.5)
    for c in cand_list:
        if c["phase"] in phases:
            p = c["path"] / step
            ax.plot(p[:, 1], p[:, 0], "-", linewidth=2 if c["rank"] == 0 else 1)
    ax.set_title(title, fontsize=9)
for ax in axes:
    ax.set_axis_off()
fig.tight_layout()
show(fig, "02_steps")
print("phases asked for at this budget:", st["phases"])

# %% [markdown]
# ## Budgets from 0.5% to 10%
#
# The same images at four budgets. More budget first lengthens the strokes (the low-budget strokes lie
# inside the high-budget ones), then adds strokes, and above the default budget widens the pen.

# %%
keys = [train.ids[i] for i in (0, 4)]
fig, axes = plt.subplots(len(keys), len(BUDGETS), figsize=(2.1 * len(BUDGETS), 2.05 * len(keys)), dpi=75)
for row, k in zip(axes, keys):
    im, m = train.image(k), train.mask(k)
    for ax, budget in zip(row, BUDGETS):
        s = simulate_image(m, labels, budget, key=k)
        ax.imshow(strokes_on(im, m, s.labels))
        ax.set_title(f"{k}, {100 * budget:g}%: got {100 * (s.labels != 255).mean():.2f}%\n"
                     f"{s.info['strokes']} strokes, pen {s.info['width']:.1f} px", fontsize=7)
        ax.set_axis_off()
fig.tight_layout()
show(fig, "02_budgets")

# %% [markdown]
# ## Does the budget hold? Achieved vs asked
#
# The asked budget is the mean labelled share over a data set. First on a few of this notebook's images:

# %%
rows = []
for ds in (train, val):
    for budget in BUDGETS:
        recs = []
        for k in ds.ids[: (8 if SMOKE else 60)]:
            m = ds.mask(k)
            recs.append(image_record(simulate_image(m, ds.labels, budget, key=k).labels, m, ds.labels))
        s = summarize(merge_records(recs), ds.labels)
        achieved = s["labelled_fraction"]["mean_per_image"]
        dis = s["disagreement"]
        rows.append({"split": ds.split, "target": budget, "achieved": achieved})
        print(f"{ds.split:5} {s['images']:3d} images, asked {100 * budget:5.2f}%: achieved {100 * achieved:.3f}% "
              f"({100 * (achieved / budget - 1):+.1f}%), pixels off their class or on void "
              f"{dis['pixels_on_other_class'] + dis['pixels_on_void']}, objects > 1% touched "
              f"{s['objects_touched']['larger_than_1_percent']['objects']}" + (f"  [{SMOKE_NOTE}]" if SMOKE else ""))

# %% [markdown]
# And on every image of VOC12-mini, recorded by `OMP_NUM_THREADS=1 python scripts/bench_simulator.py` in
# `results/voc12-mini/simulator.json` (the figure plots the recorded rows when the file is there):

# %%
bench = json.loads(RECORDED.read_text()) if RECORDED.is_file() else None
if bench is None:
    print("not recorded yet: run `OMP_NUM_THREADS=1 python scripts/bench_simulator.py`; "
          "the figure shows this notebook's images instead")
    curve_rows, curve_title = rows, f"budget vs achieved ({SMOKE_NOTE or 'this notebook'})"
else:
    curve_rows, curve_title = bench["budgets"], "VOC12-mini, all images (recorded)"
    lines = ["| split | images | asked | achieved | relative error | pen (px) | strokes per image | "
             "pixels off their class or on void | objects > 1% touched |", "|---" * 9 + "|"]
    for r in bench["budgets"]:
        lines.append(f"| {r['split']} | {r['images']} | {100 * r['target']:g}% | {100 * r['achieved']:.3f}% | "
                     f"{100 * r['relative_error']:+.1f}% | {r['effective_width']:.2f} | "
                     f"{r['scribbles_per_image']:.1f} | {r['disagreeing_pixels']} | "
                     f"{r['objects_larger_than_1pct_touched']['objects']:.3f} |")
    tp = bench["throughput"]
    lines += ["", f"Speed at the default budget ({tp['images']} train images, one process): "
                  f"{tp['simulate_images_per_cpu_second']:.1f} images per CPU-second; with reading the mask and "
                  f"writing the PNG {tp['read_simulate_write_images_per_cpu_second']:.1f}."]
    display(Markdown("\n".join(lines)))
fig = plot_budget_curve(curve_rows, title=curve_title)
fig.set_size_inches(4.6, 3.6)
fig.tight_layout()
show(fig, "02_budget_curve")

# %% [markdown]
# Read the *relative error* column for how closely the mean labelled share follows the budget at each
# asked value, and the pixels off their class: the rasteriser cuts every stroke to its own class, so this
# column can only be zero.
#
# ## Simulated scribbles vs human labels
#
# The human labels are points, not strokes, so we compare *where* they fall: the normalised distance to
# the boundary $\nu$ (notebook 01; 0 at the edge, 1 at the object's deepest point), background and objects
# apart, with the two-sample Kolmogorov-Smirnov statistic (the largest gap between the two cumulative
# distributions), and the per-class coverage. For the simulated scribbles we sample 50 labelled pixels per
# image and group.

# %%
pts = WeakLabels("points", clip=True)
h_recs, s_recs = [], []
for k in train.ids[: (20 if SMOKE else 300)]:
    m = train.mask(k)
    h_recs.append(image_record(pts(train, k), m, labels, samples=10 ** 6, key=k))
    s_recs.append(image_record(simulate_image(m, labels, key=k).labels, m, labels, samples=50, key=k))
h_tot, s_tot = merge_records(h_recs), merge_records(s_recs)
samples = {"human": {g: h_tot[f"samples_{g}"] for g in GROUPS},
           f"simulated {100 * DEFAULT_BUDGET:g}%": {g: s_tot[f"samples_{g}"] for g in GROUPS}}
human_name, sim_name = samples
tests = {}
for g in GROUPS:
    t = ks_test(samples[human_name][g], samples[sim_name][g])
    tests[g] = f"KS {t['statistic']:.3f} (p={t['pvalue']:.2g})"
    print(f"{g}: {tests[g]}, medians human {np.median(samples[human_name][g]):.2f}, simulated "
          f"{np.median(samples[sim_name][g]):.2f}" + (f"  [{SMOKE_NOTE}]" if SMOKE else ""))
note = f" ({SMOKE_NOTE})" if SMOKE else ""
fig = plot_distance_comparison(samples, tests=tests, title=f"train, {len(h_recs)} images{note}")
fig.set_size_inches(14, 3.4)
fig.set_dpi(70)
fig.tight_layout()
show(fig, "02_distance_vs_human")
fig = plot_coverage_comparison({"human clicks": summarize(h_tot, labels),
                                f"simulated {100 * DEFAULT_BUDGET:g}%": summarize(s_tot, labels)},
                               title=f"coverage, train, {len(h_recs)} images{note}")
fig.set_size_inches(12, 3.4)
fig.set_dpi(70)
fig.tight_layout()
show(fig, "02_coverage_vs_human")

# %% [markdown]
# The same comparison on every image of VOC12-mini, from the recorded benchmark; the last column of the
# first table says, from the medians, on which side the simulated strokes lie:

# %%
if bench is None:
    print("not recorded yet: run `OMP_NUM_THREADS=1 python scripts/bench_simulator.py`")
else:
    lines = ["| split | group | KS statistic | n human / simulated | median nu: human | simulated | quartiles: human "
             "| simulated | simulated strokes lie |", "|---" * 9 + "|"]
    for split, comp in bench["human_comparison"].items():
        for g, d in comp["distance"].items():
            side = ("deeper" if d["simulated_median"] > d["human_median"] else
                    "shallower" if d["simulated_median"] < d["human_median"] else "as deep")
            lines.append(f"| {split} | {g} | {d['ks']['statistic']:.3f} | {d['ks']['n1']} / {d['ks']['n2']} | "
                         f"{d['human_median']:.2f} | {d['simulated_median']:.2f} | "
                         f"{', '.join(f'{v:.2f}' for v in d['human_quartiles'])} | "
                         f"{', '.join(f'{v:.2f}' for v in d['simulated_quartiles'])} | {side} |")
    cov = bench["human_comparison"]["train"]["coverage"]
    lines += ["", "| class (train) | objects touched: human | simulated | images labelled: human | simulated |",
              "|---|---|---|---|---|"]
    for name in labels.kept_names:
        h, s = cov["human"][name], cov["simulated"][name]
        lines.append(f"| {name} | {h['objects_touched_fraction'] or 0:.3f} | {s['objects_touched_fraction'] or 0:.3f} "
                     f"| {h['images_labelled_fraction'] or 0:.3f} | {s['images_labelled_fraction'] or 0:.3f} |")
    a_h, a_s = cov["human"]["_all"], cov["simulated"]["_all"]
    lines += ["", f"Objects larger than 1% of the image touched: human "
                  f"{a_h['objects_larger_than_1pct_touched']['objects']:.3f}, simulated "
                  f"{a_s['objects_larger_than_1pct_touched']['objects']:.3f}."]
    display(Markdown("\n".join(lines)))

# %% [markdown]
# **How to read the comparison.**
#
# * *Coverage*: the simulator gives every region large enough a stroke, in every class; the clicks name one
#   instance per class, so compare the "objects touched" columns for the classes that often appear several
#   times in an image.
# * *Background depth* compares like with like (points sampled from real scribbles vs simulated strokes).
#   The simulator keeps a margin $m$ from every boundary and follows medial axes, while people may draw
#   right up to the objects; the KS statistic measures the difference, and the `margin` and
#   `contour_levels` options move the simulated distribution (exercise 2).
# * *Object depth* compares a click (one deliberate point) with a stroke (a line from the middle towards
#   the ends of the object and along its parts): a stroke must pass through shallower depths than its
#   deepest point, so a difference here says little about either.
# * Not measurable here: stroke length, count and width of human scribbles (the ScribbleSup files are
#   not on these machines).
#
# ## The embedded scenes
#
# The procedural scenes (128 px) have objects with short parts (spikes, legs, teeth) a few pixels wide:
# a part too narrow for a pen of 3 px with a margin, and an object too small to hold a stroke, stays
# unlabelled. `info` says how many regions and pixels that leaves out.

# %%
scenes = load_dataset("default", "train", limit=3)
fig, axes = plt.subplots(1, 3, figsize=(6.6, 2.5), dpi=72)
for ax, k in zip(axes, scenes.ids):
    m = scenes.mask(k)
    s = simulate_image(m, scenes.labels, DEFAULT_BUDGET, key=k)
    ax.imshow(strokes_on(scenes.image(k), m, s.labels))
    ax.set_title(f"{k}: {100 * (s.labels != 255).mean():.2f}%\nskipped {s.info['skipped_regions']} regions "
                 f"({s.info['skipped_pixels']} px)", fontsize=8)
    ax.set_axis_off()
fig.tight_layout()
show(fig, "02_default_scenes")

# %% [markdown]
# ## Summary
#
# * The budget: $N = \beta H W$ labelled pixels per image; one effort $e$ per image, found by bisection on
#   $\hat N(e) = w \sum \ell_{r,k}(e) + w^2 \#\text{strokes}$, with each region's ink growing as
#   $A_r^{0.6}$. Written out above, the allocation reproduces the simulator's drawn lengths.
# * The stroke: the longest path through the skeleton of a region's core (the pixels a pen of width $w$
#   can reach with a margin from the boundary); ours and the package's lie along each other.
# * The recorded benchmark gives the achieved share at every asked budget, the pixels off their class
#   (none, by construction) and the comparison with the human labels' depth and coverage.
# * Same seed, same files: an image's scribbles depend only on its mask, the settings and its id.
#
# ## Exercises
#
# 1. Set `area_exponent=1` (`simulate_image(..., area_exponent=1.0)`): every region then gets the same
#    share of its area. How do the strokes of small objects change at 0.5%?
# 2. Move the background depth towards the human one: try `margin=0.05` and other `contour_levels`, and
#    watch the KS statistic of the background group.
# 3. In `medial_path`, replace the longest path by the whole skeleton: how many pixels would a 3 px pen
#    paint, and what budget would that be?
# 4. Draw the strokes of `simulate_scribbles` yourself with `rasterize_scribbles(strokes, shape, width)`
#    and cut them to the mask's class: do you get the label map back?
