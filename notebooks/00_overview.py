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
# **The question of the whole project.** In the paper, a segmentation network trained on scribbles (a few
# strokes per image) is clearly worse than the same network trained on full masks. How much of that loss
# can be won back by
# turning the scribbles into dense *pseudo-labels* before training, and how many annotated pixels does
# it take before the loss disappears?
#
# This is the question of Mayer, Timofte & Paul (2018), *Towards Closing the Gap in Weakly Supervised
# Semantic Segmentation with DCNNs: Combining Local and Global Models*. This notebook states it as an
# equation, introduces the two data sets and the weak labels, maps the chain of stages onto the
# notebooks 00-07, and shows what the recorded runs say so far.
#
# Where it sits: everywhere. The chain is
# **data** → **scribbles** → **annotators** (local, global) → **fusion + CRF** → **training** →
# **evaluation** → **report**; this notebook is its map.

# %%
import os
import tempfile

SMOKE = "CI" in os.environ  # CI runs every notebook small; unset CI for the full statistics
if SMOKE:  # figures of a CI run go to a temporary folder, never over the recorded ones in figures/
    os.environ["SCRIBBLEGAP_FIGURES"] = tempfile.mkdtemp(prefix="scribblegap_figures_")

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

from scribblegap.data import load_dataset
from scribblegap.scribbles import WeakLabels, read_points
from scribblegap.core.settings import REPO_ROOT, voc12_mini_dir
from scribblegap.data.plots import class_pixel_fractions, colorize, draw_points, legend_handles, show

STATS_IMAGES = 60 if SMOKE else None  # images per split for the class statistics (None: all)
RESULTS = REPO_ROOT / "results"
root = voc12_mini_dir()  # $SCRIBBLEGAP_DATA/voc12-mini
print("VOC12-mini found:", "$SCRIBBLEGAP_DATA/voc12-mini" if os.environ.get("SCRIBBLEGAP_DATA") else "../shared/data/voc12-mini",
      f"({len(list((root / 'JPEGImages').glob('*.jpg')))} images)")

# %% [markdown]
# ## The gap and its reduction
#
# Train one network, DeepLabV2 in the paper, three times on the same images, changing only the labels:
#
# * **F**: on the full (dense) masks, the fully supervised reference;
# * **B**: on the scribbles alone, with the *partial cross-entropy*
#   $\mathcal{L}_\mathrm{pCE} = -\frac{1}{\lvert \Lambda \rvert} \sum_{p \in \Lambda} \log s_{p, y_p}$, the
#   mean over the labelled pixels $\Lambda$ of the log of the network's softmax score $s_{p, y_p}$ for the
#   scribble's class $y_p$ (unlabelled pixels are ignored): the baseline;
# * **W**: on dense pseudo-labels made from the same scribbles (the paper's method, notebooks 03-06).
#
# Each is scored by its mean intersection-over-union on the validation images. With $\mathrm{TP}_c$,
# $\mathrm{FP}_c$, $\mathrm{FN}_c$ the true-positive, false-positive and false-negative pixels of class
# $c$, counted over the whole split (pixels labelled 255 in the mask are skipped), and $K$ the number of
# classes (a class absent from both the masks and the predictions is left out of the mean),
#
# $$\mathrm{IoU}_c = \frac{\mathrm{TP}_c}{\mathrm{TP}_c + \mathrm{FP}_c + \mathrm{FN}_c}, \qquad
#   \mathrm{mIoU} = \frac{1}{K} \sum_{c=1}^{K} \mathrm{IoU}_c .$$
#
# The **gap** is what the scribbles cost, and the **gap reduction** the share of it a weakly supervised
# method wins back:
#
# $$\Delta = F - B, \qquad \rho = \frac{W - B}{F - B},$$
#
# with $F$, $B$, $W$ the mIoU of the three networks. $\rho = 0$: the pseudo-labels did not help;
# $\rho = 1$: they are as good as the full masks. The paper reports $\rho = 64.2\%$ for its method
# against $57.4\%$ for the best peer (Tang et al. 2018, a scribble loss regularised by a DenseCRF term,
# called **R** here), and that the gap closes at about $3.1\%$ annotated pixels.
#
# A ratio of two small differences is fragile. Every network is trained with several seeds; with
# $s_F$, $s_B$ the seed standard deviations of $F$ and $B$, the pooled noise is
# $s = \sqrt{(s_F^2 + s_B^2)/2}$, and the gap counts only when $\Delta > k\, s$ (the package's
# `MIN_SIGMAS`, $k = 2$). Below that, $\rho$ would be a ratio of noise and is not reported.
#
# The metric in a few lines of numpy, checked against the package's `ConfusionMatrix`, on one VOC12-mini
# mask and a crude "prediction" (the same mask shifted by 12 pixels):

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
print(f"an illustration on one image: mIoU by hand {miou_numpy:.6f}, package {cm.miou():.6f}, difference "
      f"{abs(miou_numpy - cm.miou()):.1e}")
print("present classes:", {labels.kept_names[c]: round(float(iou[c]), 3) for c in range(K) if np.isfinite(iou[c])})
# the gap reduction of made-up scores, by hand and by the package
assert abs((0.66 - 0.60) / (0.70 - 0.60) - gap_reduction(0.66, 0.60, 0.70)) < 1e-12

# %% [markdown]
# ## VOC12-mini: real VOC 2012 images on a CPU budget
#
# The benchmark of this project is a subset of PASCAL VOC 2012 small enough to train on two CPU cores:
# images from VOC's `train_aug` for training and from VOC 2012 `val` for validation, at full resolution,
# with dense masks. The protocol keeps seven classes, frequent enough to measure:
# **background, cat, cow, dog, horse, person, sheep**. Every other VOC class, and VOC's uncertain band
# around object outlines, is *ignore* (255): it is neither trained on nor scored (drawn grey below).
#
# The split sizes and the classes, from the data set itself:

# %%
print(train, val, sep="\n")
counted = ("all images" if STATS_IMAGES is None
           else f"the first {STATS_IMAGES} images of each split (smoke run, CI: a sample - not a result)")
rows = {split: class_pixel_fractions(ds, STATS_IMAGES) for split, ds in [("train", train), ("val", val)]}
lines = [f"Class statistics over {counted}: the share of the kept pixels of each class and the number "
         "of images that contain it.", "", "| class | train: pixel share | train: images | val: pixel share | "
         "val: images |", "|---|---|---|---|---|"]
for name in labels.kept_names:
    tr, va = rows["train"][name], rows["val"][name]
    lines.append(f"| {name} | {tr['pixels']:.3f} | {tr['images']} | {va['pixels']:.3f} | {va['images']} |")
display(Markdown("\n".join(lines)))

# %% [markdown]
# Look for how much of the labelled area is background, and how unevenly the object classes are
# spread: a class with few pixels gets few labelled pixels, and its IoU is the noisiest.
#
# ## The weak labels we have: human clicks
#
# `points.json` holds real human weak labels for every image: clicks on objects from *What's the Point*
# (Bearman et al. 2016; each object click carries a `rank`) and a few background points taken from the
# human ScribbleSup scribbles. The ScribbleSup scribbles themselves are not on these machines; notebook 02
# simulates scribbles from the dense masks at a chosen budget. The figure shows images, their masks and
# the clicks (circles: object clicks, squares: background points, in their class colours).

# %%
points = read_points(root / "points.json")
weak = WeakLabels("points", clip=True)  # a few clicks lie just past the image border: moved onto it
per_image = np.array([len(points[k]) for k in train.ids])
objects = np.array([sum(p.rank is not None for p in points[k]) for k in train.ids])
sample = train.ids if not SMOKE else train.ids[:STATS_IMAGES]
labelled = np.mean([(weak(train, k) != 255).mean() for k in sample])
print(f"clicks per training image ({len(train)} images): mean {per_image.mean():.1f} "
      f"(object clicks {objects.mean():.1f}, background points {(per_image - objects).mean():.1f}), "
      f"min {per_image.min()}, max {per_image.max()}")
print(f"share of the pixels the clicks label (mean over {len(sample)} images): {labelled:.4%}"
      + ("  [smoke run (CI: a sample of the images) - not a result]" if SMOKE else ""))


def clicks_figure(ds, picks):
    fig, axes = plt.subplots(2, len(picks), figsize=(2.6 * len(picks), 4.6), dpi=80, squeeze=False)
    for col, key in enumerate(picks):
        for row, panel in enumerate([ds.image(key), colorize(ds.mask(key))]):
            ax = axes[row, col]
            ax.imshow(panel)
            draw_points(ax, [p for p in points[key] if p.cls in ds.labels.keep], size=40)
            ax.set_axis_off()
        axes[0, col].set_title(key, fontsize=8)
    fig.legend(handles=legend_handles(ds.labels), loc="lower center", ncol=len(ds.labels.keep), fontsize=8,
               frameon=False)
    fig.suptitle("VOC12-mini train: images (top), masks (bottom, grey = ignored) and the human clicks",
                 fontsize=9)
    fig.tight_layout(rect=(0, 0.06, 1, 0.96))
    return fig


# five images showing different classes: for each object class, the first image where it covers 15%
shares = {}
for k in train.ids[:80]:
    m = train.mask(k)
    shares[k] = np.bincount(m.ravel(), minlength=256) / m.size
picks = []
for c in labels.keep[1:]:
    key = next((k for k, share in shares.items() if share[c] > 0.15 and k not in picks), None)
    if key is not None and len(picks) < 5:
        picks.append(key)
show(clicks_figure(train, picks), "00_human_clicks")

# %% [markdown]
# Clicks label a tiny share of the pixels (printed above), far fewer than scribbles; notebook 01 measures
# where they fall inside the objects, and which objects they miss.
#
# ## The embedded scenes
#
# For machines without any data, `load_dataset("default")` generates procedural scenes, deterministically
# from a seed: textured objects of five classes with short parts (spikes, legs, teeth) that a scribble
# through the interior rarely touches, background clutter made of strokes and blobs, occlusion and
# varied sizes. Nothing is stored: a `SceneConfig` defines them. A scribble says where an object is, not
# where it ends, so the gap F - B lies in the objects' extents and boundaries, which colour and a CRF can
# recover, as on VOC. The main job (`make run`) runs the whole chain on them in minutes; the *hard*
# variant (many thin parts in another hue and a body-coloured shadow around each object: a gap no
# per-image annotator closes) is compared with them in notebook 06. The measurements that answer the
# question are made on VOC12-mini.

# %%
from scribblegap.data import SceneConfig

scenes = load_dataset("default", "train", limit=6)
print(SceneConfig())
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
# ## The chain, and where each stage is taught
#
# | stage | what it does | package | notebook |
# |---|---|---|---|
# | data | images, dense masks, the 7-class protocol, the embedded scenes | `scribblegap.data` | **00** (this one) |
# | scribbles | human clicks measured against the masks | `scribblegap.scribbles.statistics` | **01** |
# | scribbles | budgeted scribbles simulated from the masks | `scribblegap.scribbles.simulate` | **02** |
# | local annotators | one small model per image, fitted to that image's scribbles | `scribblegap.annotators` | **03** |
# | global annotator | a network trained on all scribbles (this is **B**), and **F** | `scribblegap.network.models`, `scribblegap.network.train` | **04** |
# | fusion + CRF | local and global probabilities averaged, regularised by a dense CRF into pseudo-labels | `scribblegap.pseudolabels.fusion`, `scribblegap.annotators.crf` | **05** |
# | training | the network retrained on the pseudo-labels (**W**) and with the DenseCRF loss (**R**) | `scribblegap.network.train`, `scribblegap.network.losses` | **06** |
# | evaluation, report | mIoU on val, the gap, its reduction and the budget curve | `scribblegap.core.metrics`, `scribblegap.report.claims`, `scribblegap.report.tables` | **06**, **07** |
#
# One command runs the whole chain for a configuration (`scribblegap run --config voc12-mini`), and
# writes every score to `results/<name>/summary.json`. Everything below is read from those files.
#
# ## The headline: what the recorded runs show
#
# First the gap statistics by hand, checked against `scribblegap.report.claims.gap_analysis`, for every results
# folder that has F and B recorded:

# %%
from scribblegap.report.claims import MIN_SIGMAS, PAPER, gap_analysis, judge
from scribblegap.experiment.results import load_summary
from scribblegap.report.tables import regimes_table

REGIMES = {"voc12-mini": "ImageNet-initialised EfficientNet-Lite0",
           "voc12-mini-scratch": "from scratch (MobileNetV3-small)"}
summaries = {name: load_summary(RESULTS / name / "summary.json") for name in REGIMES}
for name, s in summaries.items():
    if not s.get("F") or not s.get("B"):
        print(f"{name}: not recorded yet: run `scribblegap run --config {name}`")
        continue
    f, b = s["F"], s["B"]
    gap = f["miou"] - b["miou"]
    stds = [e["miou_std"] for e in (f, b) if e.get("miou_std") is not None]
    pooled = np.sqrt(np.mean(np.square(stds))) if stds else None
    g = gap_analysis(s)
    assert abs(gap - g["gap"]) < 1e-12 and (pooled is None or abs(pooled - g["pooled_std"]) < 1e-12)
    noise = f"pooled seed std {100 * pooled:.1f}, so the gap is {gap / pooled:.1f}x the noise" if pooled \
        else "one seed: noise unknown"
    print(f"{name}: F - B = {100 * gap:+.1f} points ({noise}); counts as a gap: "
          f"{bool(pooled and gap > MIN_SIGMAS * pooled)} (package: {g['measurable']})")

# %% [markdown]
# The paper's claims, each judged from `results/voc12-mini/summary.json` (the ImageNet-initialised
# network, preset `cpu-pretrained`; its config asks for three seeds of F, B, W and R, and `n` says how many
# are recorded). The verdicts are computed by
# `scribblegap.report.claims.judge`: *confirmed*, *not seen*, *within noise*, *not measurable* (no gap above
# the noise to take a ratio of), *open* (runs missing).

# %%
headline = summaries["voc12-mini"]
if not headline:
    print("not recorded yet: run `scribblegap run --config voc12-mini` (the claims below stay open until then)")
print(f"paper: gap reduction {100 * PAPER['gap_reduction']:.1f}%, best peer {100 * PAPER['peer_gap_reduction']:.1f}%, "
      f"gap closed at about {100 * PAPER['closing_budget']:.1f}% annotated pixels")
rows = judge(headline)
display(Markdown("\n".join(["| claim | what the runs show | verdict |", "|---|---|---|"]
                           + [f"| {c} | {seen} | **{verdict}** |" for c, seen, verdict in rows])))

# %% [markdown]
# ### Two regimes: a gap exists only where the network is limited by its labels
#
# The same chain, the same images and scribbles, with two networks: one whose trunk starts from ImageNet
# weights, one trained from scratch. Compare the **F - B** column of the two rows, and its size against
# the seed noise (in brackets). A network that is limited by what it can learn from about a thousand
# images, rather than by how its labels were drawn, gains nothing from full masks over scribbles: then
# $F \approx B$ and there is no gap to reduce. A gap, and so a gap reduction, can only be measured in a
# regime where better labels make a better network; the lines under the table say which regime each
# recorded run is in.

# %%
display(Markdown(regimes_table(summaries, REGIMES)))
for name, s in summaries.items():
    g = gap_analysis(s)
    if not g["available"]:
        print(f"{REGIMES[name]}: not recorded yet: run `scribblegap run --config {name}`")
    elif g["pooled_std"] is None:
        print(f"{REGIMES[name]}: one seed of F or B, the noise is unknown")
    else:
        print(f"{REGIMES[name]}: F - B is {'a measurable gap' if g['measurable'] else 'no gap above the noise'} "
              f"({g['sigmas']:.1f}x the pooled seed std; a gap needs more than {MIN_SIGMAS:g}x)")

# %% [markdown]
# ## Summary
#
# * The question: how much of the gap $\Delta = F - B$ between a network trained on full masks and one
#   trained on scribbles do pseudo-labels win back, $\rho = (W - B)/(F - B)$, and at what annotation
#   budget does the gap vanish? The paper: $\rho = 64.2\%$ (best peer $57.4\%$), closed at about $3.1\%$
#   annotated pixels.
# * A gap is reported only when it exceeds twice the pooled seed noise; otherwise its ratio is noise.
# * VOC12-mini gives real VOC 2012 images and masks on a CPU budget (7-class protocol) and real human
#   clicks; the embedded scenes run anywhere, in seconds.
# * The claims table above is computed from the recorded results; the regimes table shows where a gap can
#   exist at all.
# * Next: **01** measures the human clicks, **02** simulates scribbles, **03** fits local annotators,
#   **04** trains the global annotator with F and B, **05** fuses and regularises, **06** retrains and
#   measures the gap, **07** the annotation budget.
#
# ## Exercises
#
# 1. If $B = 0.60$ and $F = 0.70$, what mIoU must $W$ reach to match the paper's $\rho = 64.2\%$? And if
#    the seed noise of $F$ and $B$ is $0.02$ each, is that gap measurable?
# 2. From the class statistics above: which class has the fewest pixels per image containing it? What
#    does that predict for its IoU, and for the noise of the mean?
# 3. Show that $\rho$ is undefined when $F = B$, and explain why the claims table says *not measurable*
#    rather than reporting a number in the from-scratch regime.
# 4. Change `SceneConfig(thin_width=...)` in `load_dataset("default", scene_config=...)` and look at the
#    scenes: which structures would a scribble through the interior of an object never touch?
