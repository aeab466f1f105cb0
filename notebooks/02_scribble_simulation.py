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
# share $\beta$ of the pixels, the *budget*? The paper simulates scribbles "respecting scribble human
# annotation statistics", up to about 3% of the pixels; every later stage trains on such scribbles, and
# notebook 07 sweeps $\beta$.
#
# Where it sits: data → **scribbles** → annotators → fusion + CRF → training → evaluation → report.
# Notation: the table of notebook 00. The simulator is
# `scribblegap.scribbles.simulate_scribbles(mask, labels, budget)`; on the command line:
# `python -m scribblegap simulate --data voc12-mini --split train --budget 0.03 --seed 0 --out DIR`.

# %%
from scribblegap.report.course import setup; SMOKE = setup()

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
N_IMAGES = 30 if SMOKE else None  # images per split (None: all of them)
SMOKE_NOTE = "CI mode (a handful of images) - not a result" if SMOKE else ""


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
# The same two images at four budgets. More budget first lengthens the strokes (the low-budget strokes lie
# inside the high-budget ones), then adds strokes, and above the default budget widens the pen. The titles
# give the share each image actually got: the rest of the notebook explains how the simulator hits it.
#
# ## The budget equation
#
# An image of $N$ pixels at budget $\beta$ should get $\beta N$ labelled pixels (the default
# $\beta_0 = 3\%$ at a pen of $w_0 = 3$ px follows the published ScribbleSup figure). Each *region* $R$
# of the mask (a connected component of one class, background included; $n_R$ pixels) offers candidate
# strokes $k = 1, 2, \dots$ of full length $L_{R,k}$ (its medial axis first, then branches and contours).
# One number $e$, the *effort*, sets how much of them is drawn:
#
# $$\ell_{R,k}(e) = \operatorname{clip}\Big(e\, n_R^{\gamma} - \sum_{j<k} L_{R,j},\ 0,\ L_{R,k}\Big),
#   \qquad \hat N(e) = w \sum_{R,k} \ell_{R,k}(e) + w^2\, \#\{\text{strokes drawn}\}.$$
#
# $\gamma = 0.6$ (`area_exponent`) makes the ink grow slower than the area: a small object gets a larger
# share, as a person draws one stroke per object whatever its size. Later strokes start only when the
# earlier ones are full; a first stroke is never shorter than a minimum length, later ones shorter than it
# are dropped. $\hat N(e)$ estimates the pixels a pen of width $w$ paints (the $w^2$ term: the round
# ends); $e$ is found by bisection on $\hat N(e) = \beta N$, then corrected with the real pixel count.
# Above the default budget the pen widens, $w(\beta) = w_0 \max\left(1, \beta / \beta_0\right)^{1/3}$.
#
# ## The stroke: the medial axis of a region's core
#
# A stroke should run through the middle of its region and keep away from its boundary. With $d(i)$ the
# distance to the boundary and $d_{\max}$ the inradius (notebook 01), the *core* is
#
# $$\mathcal{C} = \{i : d(i) \ge \delta\}, \qquad
#   \delta = \tfrac{w-1}{2} + 1 + m\,\big(d_{\max} - \tfrac{w-1}{2} - 1\big),$$
#
# the pixels where a pen of width $w$ stays inside with a margin $m = 0.15$ of the free depth. The core is
# thinned to its skeleton, and the longest path through it (two sweeps of Dijkstra) is the region's main
# stroke. The idea in a few lines, on the largest object of one validation image, against the package:

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
# The package traces on a grid of every second pixel for VOC-sized images, then adds skeleton branches
# far from the main path (legs) and, when the budget asks for more, contours inside wide regions. Paths
# wobble within the free space (reproducible noise from `seed` and the image id), and the painted pixels
# are cut to the stroke's class: no scribble pixel lies on another class or on void.
#
# ## The budget, checked
#
# The allocation $\ell_{R,k}(e)$, written out, must give the drawn lengths the simulator reports
# (`steps=True` keeps them), and $\hat N(e)$ should be close to $\beta N$:

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
# `steps=True` keeps the distance map on the tracing grid, the cores, and the candidate paths of each
# phase.

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
# ## Does the budget hold? Achieved vs asked
#
# The asked budget is the mean labelled share over a data set; first on a few images:

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
# On every image, recorded by `scripts/bench_simulator.py` in `results/voc12-mini/simulator.json`:

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
# Read the *relative error* column for how closely the labelled share follows the budget, and the pixels
# off their class: every stroke is cut to its own class, so that column can only be zero.
#
# ## Simulated scribbles vs human labels
#
# The human labels are points, so we compare *where* they fall: $\nu$ (notebook 01), background and
# objects apart, with the Kolmogorov-Smirnov statistic, and the per-class coverage (50 sampled labelled
# pixels per image and group for the simulated scribbles).

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
# The same comparison on every image, from the recorded benchmark:

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
# **How to read the comparison.** *Coverage*: the simulator gives every large enough region a stroke; the
# clicks name one instance per class, so compare "objects touched" for classes that often appear several
# times. *Background depth* compares like with like (points sampled from real scribbles vs strokes): the
# simulator keeps a margin $m$ from every boundary, people may draw up to the objects (exercise 2).
# *Object depth* compares a click with a stroke, which must pass through shallower depths than its deepest
# point, so a difference there says little. Stroke length, count and width of human scribbles are not
# measurable here (the ScribbleSup files are not on these machines).
#
# ## The embedded scenes
#
# The procedural scenes have parts (spikes, legs, teeth) a few pixels wide: a part too narrow for the pen
# and its margin stays unlabelled; `info` says how many regions and pixels that leaves out.

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
# * The budget: $\beta N$ labelled pixels per image; one effort $e$ per image, found by bisection on
#   $\hat N(e)$, each region's ink growing as $n_R^{0.6}$. Written out, the allocation reproduces the
#   simulator's drawn lengths.
# * The stroke: the longest path through the skeleton of a region's core $\{d(i) \ge \delta\}$.
# * The recorded benchmark gives the achieved share at every asked budget and the comparison with the
#   human labels' depth and coverage. Same seed, same files: an image's scribbles depend only on its mask,
#   the settings and its id.
#
# ## Exercises
#
# 1. Set `area_exponent=1.0` in `simulate_image`: every region gets the same share of its area. How do the
#    strokes of small objects change at 0.5%?
#
# <details><summary>Hint</summary>Draw <code>simulate_image(m, labels, 0.005, key=k, area_exponent=1.0)</code>
# beside the default for the two images of the first figure.</details>
# <details><summary>Solution</summary>With $\gamma = 1$ the ink follows the area, so small objects get
# shorter strokes, and at a small budget some only the minimum first stroke; the large background regions
# get more of the ink.</details>
#
# 2. Move the simulated background depth towards the human one: try `margin=0.05` and other
#    `contour_levels`, and watch the KS statistic of the background group.
#
# <details><summary>Hint</summary>Pass the options to <code>simulate_image</code> in the cell that builds
# <code>s_recs</code> and run it and the next cell again.</details>
# <details><summary>Solution</summary>A smaller margin lets strokes run closer to the boundaries, which
# shifts the simulated $\nu$ towards 0; the KS statistic printed for "background" says whether that
# brings the two distributions together.</details>
#
# 3. In `medial_path`, take the whole skeleton instead of the longest path: how many pixels would a 3 px
#    pen paint, and what budget would that be?
#
# <details><summary>Hint</summary><code>len(skeleton) * 3 / mask.size</code> is a first estimate.</details>
# <details><summary>Solution</summary>Compute it for the region of the medial-axis figure; the whole
# skeleton includes every branch, so the budget it implies is a multiple of the main path's share, which
# is why the simulator adds branches only far from the main path.</details>
