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
# # 07 · The annotation budget: how much annotation does the gap need?
#
# **Question.** Scribbles label a few percent of the pixels. How do the gaps F - B and F - W change when
# more or fewer pixels are annotated, and from which budget does W (the chain's retrained network) come
# within reach of F while B (scribbles alone) does not? The paper finds that the gap closes at about 3.1%
# annotated pixels.
#
# **Where this sits in the chain:** data → **scribbles (at a budget)** → annotators (local, global) →
# fusion + CRF → training → **evaluation** → report. The budget curve is the whole chain run once per budget:
# the scribble simulator of notebook 02 draws strokes at each budget, B is trained on them, fused with the
# local annotator into pseudo-labels, W is trained on those, and both are scored on val beside F.
#
# The plan: the budget and the closing rule written out, implemented and checked against the package; the
# scribbles at every budget of the benchmark; the recorded curves of VOC12-mini with an ImageNet-initialised
# trunk and from scratch, with their noise; and the human clicks, about one pixel per object.

# %%
import json
import os
import tempfile

SMOKE = "CI" in os.environ  # CI: the budget stage of a tiny chain; otherwise only recorded results are read
if SMOKE:  # smoke figures go to a temporary folder, never over the recorded ones in figures/
    os.environ["SCRIBBLEGAP_FIGURES"] = tempfile.mkdtemp(prefix="scribblegap_figures_")

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

from scribblegap.report.claims import (CLOSE_WITHIN, MIN_SIGMAS, PAPER, budget_f_std, budget_paired, budget_rows,
                                       budget_verdict)
from scribblegap.experiment.configs import load_config
from scribblegap.core.settings import REPO_ROOT
from scribblegap.report.tables import budget_table
from scribblegap.report.figures import budget_figure
from scribblegap.data.plots import show

RESULTS = REPO_ROOT / "results"
HEADLINE = "voc12-mini"                 # ImageNet-initialised trunk: F, B, W, R (seeds: `n`), the budget curve
SCRATCH = "voc12-mini-scratch-fast"     # the budget curve and the clicks from scratch
SMOKE_LABEL = "smoke run (CI: 24 embedded scenes, 30-step networks) - not a result"


def recorded(name: str, file: str = "summary.json") -> dict:
    """``results/<name>/<file>``, or {} after one line saying which command writes it."""
    path = RESULTS / name / file
    if path.is_file():
        return json.loads(path.read_text())
    print(f"not recorded yet: {path.relative_to(REPO_ROOT)}; run `scribblegap run --config {name}`")
    return {}


# %% [markdown]
# ## 1. The budget, the gaps and the closing budget
#
# For a training set of $M$ images, image $m$ with pixels $\Omega^m$ of which the scribbles label
# $\Omega_L^m$, the **budget** is the share of labelled pixels, averaged over the images:
# $$b = \frac{1}{M}\sum_{m=1}^{M} \frac{|\Omega_L^m|}{|\Omega^m|}.$$
# The simulator is asked for a target $b$ and records what it reached (`achieved_mean` in the scribbles'
# `stats.json`): it draws at least one stroke per region it can reach, so at the smallest targets the
# achieved budget can lie above the asked one, and the curve is drawn against the achieved value.
#
# At each budget $b$, with $F$ the val mIoU of the network trained on full masks (which needs no budget),
# $B(b)$ that of partial cross-entropy on the scribbles and $W(b)$ that of the network retrained on the
# pseudo-labels built from the same scribbles, the gaps are
# $$\Delta_B(b) = F - B(b), \qquad \Delta_W(b) = F - W(b).$$
# W **closes the gap** at $b$ when it comes within $\varepsilon$ of F while B leaves a gap there; the
# closing budget is the smallest such measured budget,
# $$b^\star = \min\{\, b : \Delta_W(b) \le \varepsilon \;\text{and}\; \Delta_B(b) > \tau(b) \,\},$$
# with $\varepsilon$ = `CLOSE_WITHIN` of `scribblegap.report.claims`. If $\Delta_B(b) \le \tau(b)$ at every
# measured budget there is no gap to close and $b^\star$ says nothing: the verdict is *not measurable*.
#
# **Noise.** Each point of the curve is B and W of every seed of the config (three for VOC12-mini), each W
# trained on the pseudo-labels built on the first seed's B (`global_seed`), as in the main chain; F is the
# band of the same seeds' F. A gap counts only above the seed noise: with $\sigma_F$ the seed standard
# deviation of F and $\sigma_B(b)$ that of B at $b$, and $k$ = `MIN_SIGMAS`,
# $$\tau(b) = \max\Bigl(\varepsilon,\; k\sqrt{\tfrac{1}{2}\bigl(\sigma_F^2 + \sigma_B(b)^2\bigr)}\Bigr).$$
# A curve of one seed per point (the from-scratch one) has no $\sigma_B(b)$ and keeps $\tau = \varepsilon$.

# %%
print(f"CLOSE_WITHIN (epsilon) = {100 * CLOSE_WITHIN:g} point(s) of mIoU; the paper's closing budget: about "
      f"{100 * PAPER['closing_budget']:.1f}% of the pixels; budgets of {HEADLINE}: "
      + ", ".join(f"{100 * b:g}%" for b in load_config(HEADLINE).budgets))

# %% [markdown]
# ## 2. The two definitions in code, checked against the package
#
# The closing rule in a few lines, checked against `scribblegap.report.claims.budget_verdict` on three small
# made-up curves (one where B already reaches F, one where W closes the gap from 3%, one where it never
# does); the recorded curves are checked the same way in sections 5 and 6.

# %%
def tau(row, f_std, eps=CLOSE_WITHIN, k=MIN_SIGMAS):
    """The gap B must leave at a point to count: epsilon, or k pooled seed stds where the point has seeds."""
    if row.get("B_std") is None:
        return eps
    stds = [s for s in (f_std, row["B_std"]) if s is not None]
    return max(eps, k * np.sqrt(np.mean(np.square(stds))))


def closing_budget(f, rows, f_std=None, eps=CLOSE_WITHIN):
    """(b*, whether B leaves a gap anywhere): the definition above."""
    if all(f - r["B"] <= tau(r, f_std) for r in rows):
        return None, False
    closing = [r["budget"] for r in rows if f - r["W"] <= eps and f - r["B"] > tau(r, f_std)]
    return (min(closing) if closing else None), True


def agrees(f, rows, f_std=None) -> tuple[str, str]:
    """Mine against the package: the verdict, and the closing budget it names."""
    text, verdict = budget_verdict(f, rows, f_std)
    b_star, gap = closing_budget(f, rows, f_std)
    expected = "not measurable" if not gap else ("confirmed" if b_star is not None else verdict)
    assert verdict == expected, (verdict, expected)
    if b_star is not None:
        assert f"from {100 * b_star:g}% of the pixels" in text
    return text, verdict


def curve(bs, ws, budgets=(0.005, 0.01, 0.03, 0.1)):
    return [{"budget": b, "achieved": b, "B": x, "W": y} for b, x, y in zip(budgets, bs, ws)]


made_up = {"B reaches F": (0.60, curve([0.595, 0.60, 0.61, 0.60], [0.59, 0.60, 0.60, 0.61])),
           "W closes from 3%": (0.60, curve([0.50, 0.52, 0.55, 0.57], [0.54, 0.57, 0.595, 0.60])),
           "W never closes": (0.60, curve([0.50, 0.52, 0.55, 0.57], [0.51, 0.53, 0.56, 0.58]))}
for name, (f, rows) in made_up.items():
    text, verdict = agrees(f, rows)
    print(f"made-up curve '{name}': {verdict}: {text}")

# the same closing curve with three seeds per point and a noisy B at 3%: that point's gap no longer counts
seeded = [{**r, "n": 3, "B_std": 0.03 if r["budget"] == 0.03 else 0.005, "W_std": 0.01}
          for r in made_up["W closes from 3%"][1]]
text, verdict = agrees(0.60, seeded, f_std=0.01)
print(f"made-up curve 'W closes from 3%', three seeds, B's std 3 points at 3%: {verdict}: {text}")

# %% [markdown]
# ## 3. Scribbles at every budget of the benchmark
#
# One training image of VOC12-mini (an embedded scene where the data is not installed) with the simulator of
# the pipeline (`simulate_scribbles`, the same seed and pen width as the chain), at each budget of the
# `voc12-mini` config, next to its true mask and its human clicks (circles: object clicks, squares:
# background points). Titles give the asked budget and the share of this image's pixels actually labelled
# (the strokes are drawn thicker than they are, to be visible). Above the default budget the pen widens
# (notebook 02).

# %%
from scribblegap.data import load_dataset
from scribblegap.scribbles import read_points, simulate_scribbles
from scribblegap.core.settings import voc12_mini_dir
from scribblegap.data.plots import colorize, draw_points, overlay, thicken

voc = voc12_mini_dir(required=False)
ds = load_dataset("voc12-mini" if voc else "default", "train", limit=8)
key = next((k for k in ds.ids if ds.image_shape(k)[1] > ds.image_shape(k)[0]), ds.ids[0])  # a landscape image
image, mask = ds.image(key), ds.mask(key)
cfg = load_config(HEADLINE)
clicks = [p for p in read_points(Path(ds.root) / "points.json").get(key, []) if p.cls in ds.labels.keep] if voc else []

fig, axes = plt.subplots(2, 5, figsize=(12, 4.8), dpi=80)
axes = axes.ravel()
axes[0].imshow(image)
draw_points(axes[0], clicks, size=30)  # the clicks of the 7 classes
axes[0].set_title(f"{key}: {len(clicks)} human clicks" if voc else key, fontsize=8)
axes[1].imshow(colorize(mask))
axes[1].set_title("true mask", fontsize=8)
for ax, budget in zip(axes[2:], cfg.budgets):
    weak, _ = simulate_scribbles(mask, ds.labels, budget=budget, width=cfg.width, seed=cfg.budget_seed, key=key)
    ax.imshow(overlay(image, thicken(weak, 2), 0.9))  # strokes drawn 2 px thicker, to be visible
    ax.set_title(f"asked {100 * budget:g}%, labelled {100 * (weak != 255).mean():.2f}%", fontsize=8)
for ax in axes:
    ax.set_axis_off()
fig.tight_layout()
show(fig, "07_budgets")

# %% [markdown]
# ## 4. The budget stage, run small (CI) or inspected
#
# In CI mode the budget stage of a tiny chain runs here (24 embedded scenes, two budgets, 30-step networks:
# `example_chain(True, stages=("budget",))`, the code path of `scribblegap run --stages budget`); its numbers
# only show the mechanics. Otherwise the repository's chain of the benchmark is *inspected*:
# `Pipeline(load_config("voc12-mini"))` says where its scribbles are and nothing is trained. Either way the
# budget $b$ is recomputed from the scribble files, the naive way, and checked against what the simulator
# recorded.

# %%
from scribblegap.core.io import read_label_png
from scribblegap.pipeline import Pipeline, example_chain
from scribblegap.experiment.results import load_summary

if SMOKE:
    pipe = example_chain(True, stages=("budget",), log=lambda *a: None)
else:
    pipe = Pipeline(load_config(HEADLINE), log=print)  # where its files are; pipe.run() is NOT called

found = 0
for budget in pipe.config.budgets:
    folder = pipe.layout.scribbles(f"budget-{budget:g}")
    if not (folder / "stats.json").is_file():
        continue
    found += 1
    train = pipe.dataset("train")
    fractions = [(read_label_png(folder / f"{k}.png") != 255).mean() for k in train.ids]
    mine = float(np.mean(fractions))
    theirs = json.loads((folder / "stats.json").read_text())["budget"]["achieved_mean"]
    print(f"{'smoke: ' if SMOKE else ''}asked {100 * budget:g}%: b from the {len(fractions)} PNGs "
          f"{100 * mine:.3f}%, recorded by the simulator {100 * theirs:.3f}% (|difference| {abs(mine - theirs):.1e})")
    np.testing.assert_allclose(mine, theirs, rtol=1e-9)
if not found:
    print(f"not made yet: the budget scribbles of {pipe.config.name}; run `scribblegap run --config {pipe.config.name}`")

if SMOKE:
    small = load_summary(pipe.layout.summary)
    display(Markdown(budget_table(small).replace("#### Annotation budget", f"#### {SMOKE_LABEL}: annotation budget")))
    f_small, rows_small = budget_rows(small)
    print(f"{SMOKE_LABEL}: verdict {agrees(f_small, rows_small)[1]!r}")
    fig = budget_figure(rows_small, f_small)
    fig.axes[0].set_title(SMOKE_LABEL, fontsize=9)
    show(fig, "07_budget_curve_smoke")

# %% [markdown]
# ## 5. The recorded curve of the benchmark (ImageNet-initialised trunk)
#
# VOC12-mini with the `cpu-pretrained` preset. Each point of the curve is the mean over the seeds of the
# config with an error bar of ± its seed standard deviation; F is drawn as a line (the mean of the same
# seeds' F) with a band of ± its seed standard deviation. The table's W - B is taken seed by seed: B and W of
# one seed share its head initialisation and batch order. The dotted lines are B and W trained on the human
# clicks instead of strokes (their mean over the seeds of the config; the table in section 7 gives the
# spread). A curve of one seed per point gets a band of ± B's seed std at the default budget instead.

# %%
def curve_with_noise(name: str, title: str, figure: str) -> dict:
    summary = recorded(name)
    if "budget_curve" not in summary:
        if summary:
            print(f"{name}: no budget curve recorded yet; run `scribblegap run --config {name}`")
        return summary
    config = recorded(name, "config.json")
    f, rows = budget_rows(summary)
    f_std, b_std = budget_f_std(summary), summary.get("B", {}).get("miou_std")
    display(Markdown(budget_table(summary, config)))
    text, verdict = agrees(f, rows, f_std)
    print(f"verdict on the paper's claim: {verdict}")
    seeds = max(r.get("n", 1) for r in rows)
    if seeds > 1:
        paired = [(r, budget_paired(r)) for r in rows]
        print("W - B seed by seed: " + ", ".join(
            f"{100 * r['budget']:g}%: {100 * p['mean']:+.1f} ± {100 * p['std']:.1f}"
            + (f" ({p['mean'] / p['std']:.1f}x its std)" if p["std"] else "") for r, p in paired if p))
        print("the gap a point must leave (tau): " + ", ".join(
            f"{100 * r['budget']:g}%: F - B {100 * (f - r['B']):.1f} vs {100 * tau(r, f_std):.1f}" for r in rows))
    else:
        n = summary.get("B", {}).get("n", 0)
        print(f"noise: every budget point is one seed; B's seed std at the default budget "
              + (f"{100 * b_std:.1f} points (n={n})" if b_std is not None else f"unknown (n={n})"))
        if b_std:
            print("W - B at each budget, in B's seed std: " + ", ".join(
                f"{100 * r['budget']:g}%: {100 * (r['W'] - r['B']):+.1f} ({(r['W'] - r['B']) / b_std:+.1f} sigma_B)"
                for r in rows))
    fig = budget_figure(rows, f, f_std, summary.get("points"), b_std)
    per_point = "one seed" if seeds == 1 else f"{seeds} seeds"
    fig.axes[0].set_title(f"{title}, {per_point} per point", fontsize=9)
    show(fig, figure)
    return summary


pretrained = curve_with_noise(HEADLINE, f"{HEADLINE} (ImageNet-initialised)",
                              "07_budget_curve_voc12_mini")

# %% [markdown]
# How to read it: follow the gap between the green band and the red curve from right to left. The paper's
# mechanism needs that gap to *exist* and to *widen* as the budget shrinks; where it does, the blue curve's
# distance to the red one, in units of the red band, is what the pseudo-labels add. The verdict line applies
# the closing rule of section 1 to the recorded points.
#
# ## 6. The contrast: the same curve from scratch
#
# `voc12-mini-scratch-fast`: the same data and chain with a network trained from scratch (fast CPU preset,
# one seed everywhere). Beside it, the gap F - B of the main chains with and without the ImageNet
# initialisation (`voc12-mini` and `voc12-mini-scratch`, three seeds in their configs; `n` in the table
# says how many runs are recorded).

# %%
from scribblegap.report.tables import regimes_table

scratch = curve_with_noise(SCRATCH, f"{SCRATCH} (from scratch)",
                           "07_budget_curve_voc12_mini_scratch_fast")
regimes = {name: s for name, s in (("voc12-mini", pretrained), ("voc12-mini-scratch", recorded("voc12-mini-scratch")))
           if "F" in s}
if regimes:
    display(Markdown(regimes_table(regimes, {"voc12-mini": "ImageNet-initialised trunk",
                                             "voc12-mini-scratch": "from scratch (long preset)"})))

# %% [markdown]
# Compare F in the rows of the regimes table and the two verdict lines. A network trained from scratch on
# 1200 images is limited by what it can learn at all rather than by its labels: where F itself is low, masks
# have little more to teach than strokes, and if B comes within `CLOSE_WITHIN` of F at every budget the
# curve cannot show where W closes a gap (the verdict is then *not measurable*). A gap needs a network that
# *can* use dense labels, which is why the benchmark's headline runs start from ImageNet weights, as the
# paper's DeepLabV2 does.
#
# ## 7. Human clicks: about one pixel per object
#
# VOC12-mini comes with real human clicks (`points.json`). Their budget, computed from the file over the
# training set, and what B and W trained on them reach, with the pseudo-labels built from clicks (local
# annotator `pixel-classifier-crf`, the best from clicks in notebook 03):

# %%
from scribblegap.scribbles import WeakLabels
from scribblegap.report.tables import points_table, pseudo_label_table

click_budget = None
if voc:
    train_all = load_dataset("voc12-mini", "train")
    weak = WeakLabels("points", clip=True)
    click_budget = float(np.mean([(weak(train_all, k) != 255).mean() for k in train_all.ids]))
    print(f"human clicks: b = {100 * click_budget:.4f}% of the pixels ({len(train_all)} training images), "
          f"{load_config(HEADLINE).budgets[0] / click_budget:.0f}x fewer than the smallest simulated budget")
else:
    print("VOC12-mini is not installed here (set SCRIBBLEGAP_DATA): the click budget is not computed")

def seeds_text(entry: dict) -> str:
    n = entry.get("n", 1)
    return "one seed" if n == 1 else f"mean of {n} seeds"


for name, s in ((HEADLINE, pretrained), (SCRATCH, scratch)):
    if "points" not in s:
        if s:
            print(f"{name}: no clicks recorded yet; run `scribblegap run --config {name}`")
        continue
    display(Markdown(f"**{name}**\n\n" + points_table(s)))
    display(Markdown(pseudo_label_table(s, "points_pseudo_labels", f"{name}: pseudo-labels from clicks, on train")))
    f, rows = budget_rows(s)
    w_clicks, b_clicks = s["points"].get("W", {}).get("miou"), s["points"].get("B", {}).get("miou")
    if rows and w_clicks is not None and f is not None:
        reached = [f"{100 * r['budget']:g}%" for r in rows if r["B"] <= w_clicks]
        print(f"{name}: F - W on clicks = {100 * (f - w_clicks):+.1f} points; "
              + (f"B on strokes is at or below W on clicks at {', '.join(reached)} of the pixels"
                 if reached else "B on strokes is above W on clicks at every measured budget")
              + (f"; W - B on clicks = {100 * (w_clicks - b_clicks):+.1f} points ({seeds_text(s['points']['W'])})"
                 if b_clicks is not None else ""))

# %% [markdown]
# What the clicks mean for the claim. The paper's closing budget (printed in section 1) is a statement about
# strokes: at about that share of the pixels, and with a network that can use dense labels, the pseudo-labels
# bring W to F. Clicks sit far below every simulated budget (the factor is printed above). Where W on clicks is above B
# on clicks, the per-image annotator has turned single pixels into regions, which is the mechanism at its
# most useful; comparing W on clicks with the red curve says how many percent of pixels in strokes the
# clicks plus the chain are worth. Whether either comes near F, the tables and lines above say.
#
# ## Summary
#
# * The budget $b$ is the per-image share of labelled pixels, averaged over the training set; the simulator
#   records what it achieved, and the curve is drawn against that.
# * The budget curve is the chain run once per budget; W closes the gap at $b$ when it comes within
#   `CLOSE_WITHIN` of F while B does not, and the rule is only meaningful where B leaves a gap at all.
# * A point counts as a gap only where F - B exceeds the seed noise of F and B there (three seeds per point
#   on VOC12-mini); W - B is read seed by seed, where a seed's luck shared by B and W cancels.
# * From scratch the network, not the labels, limits what is learnt; a closing budget can only be measured
#   where B leaves a gap, which is what the ImageNet-initialised runs are for, and the verdict lines say
#   whether they do.
# * Human clicks are a budget far below any stroke budget; W on clicks against B on clicks shows what the
#   per-image annotator adds when the labels are single pixels.
#
# ## Exercises
#
# 1. From the table of section 5: at which budget does B alone come within `CLOSE_WITHIN` of F? Is the step
#    from there to the next smaller budget larger than $2\sigma_B$?
# 2. Add a budget of 20% (`scribblegap run --config voc12-mini --stages budget --budgets 0.2`): does W
#    ever exceed F, and what would that say about the pseudo-labels?
# 3. Where would the clicks sit on the x-axis of the curve? Extend the x-axis of the figure of section 5 to
#    the click budget computed in section 7 and draw B and W on clicks as points there.
# 4. At which budgets of the VOC12-mini table is W - B (seed by seed) more than twice its own std, and at
#    which is F - B below $\tau(b)$? Which point would a fourth seed (`--seeds 0 1 2 3`) most likely move
#    across the rule, and why that one?
