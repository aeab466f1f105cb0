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
# # 05 · Fusion and regularisation: why averaging a local and a global annotator helps
#
# **The question.** The local annotator (notebook 03) has seen one image and its scribbles; the global
# annotator (notebook 04) has seen every scribble of the training set but is vague about this image's
# boundaries. Why should the *average* of their probabilities, regularised by a dense CRF, make better
# training labels than either alone, and does it?
#
# Where it sits: data → scribbles → annotators → **fusion + CRF** → training → evaluation → report.
# Notation: the table of notebook 00. Everything below runs on the VOC12-mini sample shipped in
# `results/voc12-mini/sample` (a few training images through the whole chain), so it works from a fresh
# clone; the scores of all training images are in the results block at the end.

# %%
from scribblegap.report.course import setup; SMOKE = setup()

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

from scribblegap.annotators.crf import DenseCRF
from scribblegap.core.metrics import ConfusionMatrix
from scribblegap.data import load_dataset
from scribblegap.data.plots import colorize, legend_handles, overlay, show, thicken
from scribblegap.pseudolabels.fusion import MODES, fuse
from scribblegap.report.blocks import results_block
from scribblegap.pipeline import example_chain
from scribblegap.report.course import sample_layers
from scribblegap.report.inspector import inspect, static_view

tiny_sample = lambda: example_chain(True, stages=("chain", "pseudo", "sample"), log=lambda *a: None)
layers = sample_layers("voc12-mini", stand_in=tiny_sample)  # the tiny chain stands in where results/voc12-mini/sample is missing
train, labels, keys = layers.dataset, layers.labels, layers.keys
SOURCE = layers.note or "the VOC12-mini sample"
START = layers.most_different()       # the image whose layers score most differently
show(static_view(layers, START), "05_layers")
rng = np.random.default_rng(0)


def class_legend(fig, labels, *extra, ncol=None):
    """One legend for a figure: every kept class in its VOC colour, void (not scored) in grey, and ``extra``."""
    from matplotlib.patches import Patch

    handles = legend_handles(labels) + [Patch(facecolor=np.array([224, 224, 224]) / 255, edgecolor="k",
                                              label="void / unlabelled")] + list(extra)
    fig.legend(handles=handles, loc="lower center", ncol=ncol or len(handles), fontsize=8, frameon=False)

# %% [markdown]
# One training image through the chain: its scribbles, the local annotator, the global one, their mean, the
# mean after the dense CRF, and the mask, each titled with its per-image mIoU. This is the image of the
# sample whose layers disagree most: look where the local and the global annotator make different mistakes,
# and what the mean and the CRF make of them.
#
# ## The fusion rules
#
# At pixel $i$ the local annotator gives $p^{\mathrm{loc}}_i(c)$ and the global one $p^{\mathrm{glob}}_i(c)$.
# `scribblegap.pseudolabels.fusion.fuse` combines them with one of three rules, $\omega \in [0, 1]$ being the
# local annotator's share:
#
# * **mean** (the paper's, $\omega = \tfrac12$): $\;\tilde p_i(c) = \omega\,p^{\mathrm{loc}}_i(c) + (1-\omega)\,p^{\mathrm{glob}}_i(c)$;
# * **product** ($\epsilon = 10^{-4}$): $\;\tilde p_i(c) \propto \big(p^{\mathrm{loc}}_i(c)+\epsilon\big)^{\omega}\,\big(p^{\mathrm{glob}}_i(c)+\epsilon\big)^{1-\omega}$;
# * **max-confidence**: the annotator whose top probability is higher.
#
# Each is normalised, then **clamped to the scribbles**: on $i \in \Lambda$, $\tilde p_i(c) = [c = y_i]$. The
# pseudo-label is $\hat y_i = \arg\max_c \tilde p_i(c)$. *Why the mean helps*: where the annotators
# disagree, its argmax goes to the one that is surer of its class. If they fail on different pixels, and each
# is less confident where it fails than the other is where it is right, the mean is right more often than
# either. The rules in numpy, checked against the package on random probabilities:

# %%
def fuse_ours(loc, glob, omega=0.5, mode="mean", weak=None, eps=1e-4):
    """(K, H, W) fused probabilities; ``weak``: (H, W) class indices, 255 unlabelled."""
    if mode == "mean":
        p = omega * loc + (1 - omega) * glob
    elif mode == "product":
        p = (loc + eps) ** omega * (glob + eps) ** (1 - omega)
    else:  # max-confidence
        p = np.where(loc.max(0) >= glob.max(0), loc, glob)
    p = p / p.sum(0, keepdims=True)
    if weak is not None:  # clamp to the scribbles: one-hot on labelled pixels
        on = weak != 255
        p[:, on] = np.eye(len(p))[weak[on]].T
    return p


K, H, W_ = 5, 24, 32
loc, glob = (rng.dirichlet(np.ones(K), size=(H, W_)).transpose(2, 0, 1).astype(np.float32) for _ in range(2))
weak = np.where(rng.random((H, W_)) < 0.05, rng.integers(0, K, (H, W_)), 255).astype(np.uint8)  # scattered labels
weak[3, 4:20] = 2  # and a scribble
for mode in MODES:
    for omega in (0.25, 0.5, 0.75):
        ours, theirs = fuse_ours(loc, glob, omega, mode, weak), fuse(loc, glob, omega, mode, weak)
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    print(f"{mode:8s}: ours = scribblegap.pseudolabels.fusion.fuse for omega in (0.25, 0.5, 0.75); max |difference| "
          f"{np.abs(ours - theirs).max():.1e}; clamped pixels one-hot: "
          f"{bool((theirs[:, weak != 255].max(0) == 1).all())}")

# %% [markdown]
# ## Where the annotators agree, who is right where they do not
#
# One pass over the sample: the share of pixels where local and global agree and where only one of them is
# right (the pixels fusion can win), how well each one's confidence predicts its accuracy (a *reliability
# diagram*: perfect calibration is the diagonal; ECE is the mean gap between confidence and accuracy), and
# the pseudo-label mIoU of every rule at five local weights $\omega$ (no CRF).

# %%
WEIGHTS = [0.0, 0.25, 0.5, 0.75, 1.0]
BINS = np.linspace(0, 1, 11)
counts = dict.fromkeys(("pixels", "agree", "agree_right", "local_only", "global_only", "both_wrong"), 0)
calib = {name: np.zeros((2, len(BINS) - 1)) for name in ("local", "global", "mean")}  # (pixels, right) per bin
sweep = {(mode, w): ConfusionMatrix(labels.num_classes) for mode in MODES for w in WEIGHTS}
for key in keys:
    truth = labels.to_index(layers.truth(key))
    valid = truth != 255
    loc, glo = layers.probs(key, "local"), layers.probs(key, "global")
    w_index = labels.to_index(layers.weak(key))
    lr, gr = loc.argmax(0)[valid] == truth[valid], glo.argmax(0)[valid] == truth[valid]
    agree = loc.argmax(0)[valid] == glo.argmax(0)[valid]
    for name, n in (("pixels", valid.sum()), ("agree", agree.sum()), ("agree_right", (agree & lr).sum()),
                    ("local_only", (lr & ~gr).sum()), ("global_only", (gr & ~lr).sum()),
                    ("both_wrong", (~lr & ~gr).sum())):
        counts[name] += int(n)
    for name, p in (("local", loc), ("global", glo), ("mean", fuse(loc, glo))):
        conf, right = p.max(0)[valid], (p.argmax(0) == truth)[valid]
        b = np.clip(np.digitize(conf, BINS) - 1, 0, len(BINS) - 2)
        calib[name] += np.stack([np.bincount(b, minlength=len(BINS) - 1),
                                 np.bincount(b, weights=right, minlength=len(BINS) - 1)])
    for (mode, w), cm in sweep.items():
        if mode != "max" or w == 0.5:  # max-confidence has no weight
            cm.update(fuse(loc, glo, w, mode, w_index).argmax(0), truth)
n = counts["pixels"]
print(f"[{SOURCE}, {len(keys)} images chosen where the layers disagree - not a score of the chain]")
print(f"local and global agree on {counts['agree'] / n:.1%} of the pixels and are right on "
      f"{counts['agree_right'] / max(counts['agree'], 1):.1%} of those")
print(f"only the local one is right: {counts['local_only'] / n:.1%}; only the global one: "
      f"{counts['global_only'] / n:.1%}; both wrong: {counts['both_wrong'] / n:.1%}")
print("pseudo-label mIoU % (no CRF), by rule and local weight (0: global alone, 1: local alone, scribbles clamped):")
for mode in MODES:
    row = [f"omega={w:.2f}: {100 * sweep[mode, w].miou():5.1f}" for w in WEIGHTS if mode != "max" or w == 0.5]
    print(f"  {mode:8s}" + "  ".join(row))

fig, ax = plt.subplots(figsize=(4.8, 4), dpi=90)
mid = (BINS[:-1] + BINS[1:]) / 2
for name, (pix, right) in calib.items():
    acc = np.where(pix > 0, right / np.maximum(pix, 1), np.nan)
    ece = float(np.nansum(pix / pix.sum() * np.abs(acc - mid)))
    ax.plot(mid, acc, "-o", ms=4, label=f"{name} (ECE {ece:.3f})")
ax.plot([0, 1], [0, 1], "k:", lw=1)
ax.set_xlabel("confidence (top probability)")
ax.set_ylabel("accuracy")
ax.legend(fontsize=8)
ax.set_title(f"calibration on the sample ({len(keys)} images)", fontsize=9)
show(fig, "05_calibration")

# %% [markdown]
# Read the agreement lines first: fusion can only win where exactly one annotator is right, and only if
# that one is the more confident there, which is what the reliability diagram shows. Then compare each rule
# at $\omega = 0$ and $\omega = 1$ (one annotator alone) with the weights in between. The sample was chosen
# where the layers disagree, so these are illustrations; the scores of all training images are at the end.
#
# ## The dense CRF
#
# The fused labels can still cross colour edges that neither annotator placed right. The paper regularises
# them with the fully connected CRF of Krähenbühl & Koltun (2011), over a labelling $\mathbf{x}$ of all pixels:
#
# $$E(\mathbf{x}) = \sum_i \psi_u(x_i) + \sum_{i<j} \mu(x_i, x_j)\, \kappa(f_i, f_j), \qquad \psi_u(x_i) = -\log \tilde p_i(x_i),$$
#
# $$\kappa(f_i, f_j) = w^{(1)} \exp\Big(-\frac{|\mathbf{q}_i - \mathbf{q}_j|^2}{2\sigma_{xy}^2}
#   - \frac{|I_i - I_j|^2}{2\sigma_{rgb}^2}\Big) + w^{(2)} \exp\Big(-\frac{|\mathbf{q}_i - \mathbf{q}_j|^2}{2\sigma_{s}^2}\Big),$$
#
# with $\mathbf{q}_i$ a pixel's position, $I_i$ its RGB colour and $\mu(l, l') = [l \ne l']$ (Potts). The
# first kernel ties pixels that are near **and** alike in colour, the second removes isolated pixels.
# Mean-field inference iterates $Q_i(l) \propto \exp\{-\psi_u(l) + \sum_{j \ne i} \kappa(f_i, f_j)\, Q_j(l)\}$
# (with Potts): a pixel is pulled towards the labels of the pixels it resembles. The package's `DenseCRF`
# calls pydensecrf, which normalises each kernel, $\kappa_{ij} / \sqrt{d_i d_j}$ with
# $d_i = \sum_j \kappa_{ij}$, and filters on a permutohedral lattice in $O(N)$.
#
# Below, one naive mean-field step with the exact $N^2$ kernels on a 32x32 crop against the package's one
# iteration: the lattice is an approximation, so the check is how close they come.

# %%
from scipy import ndimage

from scribblegap.annotators import predict_local
from scribblegap.scribbles.simulate import simulate_scribbles

crf = DenseCRF()
print("DenseCRF parameters:", crf.to_dict(),
      "(appearance: bi_w = w1, bi_xy_std = sigma_xy, bi_rgb_std = sigma_rgb; smoothness: pos_w = w2, "
      "pos_xy_std = sigma_s)")


def mean_field(image, probs, crf, steps=1, self_term=True):
    """Mean-field updates with exact Gaussian kernels, each normalised symmetrically as pydensecrf does."""
    k, h, w = probs.shape
    unary = -np.log(np.clip(probs, 1e-5, 1)).reshape(k, -1)            # psi_u, as pydensecrf's unary_from_softmax
    yy, xx = np.mgrid[:h, :w]
    pos, rgb = np.stack([xx.ravel(), yy.ravel()], 1).astype(float), image.reshape(-1, 3).astype(float)
    kernels = []
    for weight, feats in ((crf.bi_w, np.hstack([pos / crf.bi_xy_std, rgb / crf.bi_rgb_std])),  # appearance
                          (crf.pos_w, pos / crf.pos_xy_std)):                                  # smoothness
        kern = np.exp(-0.5 * ((feats[:, None] - feats[None]) ** 2).sum(-1))  # k(f_i, f_j), N x N
        if not self_term:
            np.fill_diagonal(kern, 0)
        d = kern.sum(1)
        kernels.append(weight * kern / np.sqrt(np.outer(d, d)))
    q = np.exp(-unary) / np.exp(-unary).sum(0)                            # Q^0
    for _ in range(steps):
        logit = -unary + sum(q @ kern for kern in kernels)                 # Potts: + sum_j w k~_ij Q_j(l)
        q = np.exp(logit - logit.max(0))
        q /= q.sum(0)
    return q.reshape(k, h, w)


voc = load_dataset("voc12-mini", "train", limit=4)
key = voc.ids[1]
image, mask = voc.image(key), voc.mask(key)
scribbles, _ = simulate_scribbles(mask, voc.labels, seed=0, key=key)
local = predict_local("random-walker", image, scribbles, voc.labels)  # the voc12-mini chain's local annotator
S = 32  # the crop where the package's CRF, run on the whole image, changes most labelled pixels
changed = (crf(image, local).argmax(0) != local.argmax(0)) & (mask != 255)
where = ndimage.uniform_filter(changed.astype(float), S)[S // 2: -S // 2, S // 2: -S // 2]
y0, x0 = np.unravel_index(where.argmax(), where.shape)
crop, p_crop = np.ascontiguousarray(image[y0:y0 + S, x0:x0 + S]), local[:, y0:y0 + S, x0:x0 + S].copy()

naive = mean_field(crop, p_crop, crf, steps=1)
naive_no_self = mean_field(crop, p_crop, crf, steps=1, self_term=False)
package = DenseCRF(iter_max=1)(crop, p_crop)
converged = crf(crop, p_crop)  # the package's 10 iterations
agree = (naive.argmax(0) == package.argmax(0)).mean()
corr = np.corrcoef(naive.ravel(), package.ravel())[0, 1]
print(f"{key}, {S}x{S} crop at ({y0}, {x0}): one mean-field step, exact kernels vs pydensecrf's lattice: "
      f"argmax agrees on {agree:.1%} of the pixels, correlation of Q {corr:.4f}, max |difference| "
      f"{np.abs(naive - package).max():.3f}")
print(f"  the same step without the j = i term: argmax agreement "
      f"{(naive_no_self.argmax(0) == package.argmax(0)).mean():.1%}, "
      f"correlation {np.corrcoef(naive_no_self.ravel(), package.ravel())[0, 1]:.4f} (the package includes it)")
print(f"  pixels whose label changes: {(package.argmax(0) != p_crop.argmax(0)).mean():.1%} after one step, "
      f"{(converged.argmax(0) != p_crop.argmax(0)).mean():.1%} after {crf.iter_max}")
assert agree > 0.9 and corr > 0.95, "the naive step and pydensecrf should agree closely"

# %%
centre = (S // 2) * S + S // 2
feats = np.hstack([np.stack(np.meshgrid(np.arange(S), np.arange(S)), -1).reshape(-1, 2) / crf.bi_xy_std,
                   crop.reshape(-1, 3) / crf.bi_rgb_std])
appearance = np.exp(-0.5 * ((feats - feats[centre]) ** 2).sum(-1)).reshape(S, S)
ids = lambda q: voc.labels.to_ids(q.argmax(0).astype(np.uint8))
fig, axes = plt.subplots(1, 7, figsize=(14, 2.6), dpi=80)
panels = [(crop, f"{key} crop"), (np.log10(appearance + 1e-6), "log10 appearance kernel of +"),
          (colorize(ids(p_crop)), "unary (local annotator)"), (colorize(ids(naive)), "1 step, exact kernels"),
          (colorize(ids(package)), "1 step, pydensecrf"),
          (colorize(ids(converged)), f"{crf.iter_max} steps, pydensecrf"),
          (colorize(mask[y0:y0 + S, x0:x0 + S]), "ground truth")]
for ax, (panel, title) in zip(axes, panels):
    ax.imshow(panel, cmap="magma" if panel.ndim == 2 else None, vmin=-6 if panel.ndim == 2 else None)
    ax.set_title(title, fontsize=8)
    ax.set_axis_off()
axes[1].plot(S // 2, S // 2, "c+", ms=10)
class_legend(fig, voc.labels)
fig.tight_layout(rect=(0, 0.08, 1, 1))
show(fig, "05_mean_field")

# %% [markdown]
# ## Pseudo-labels, image by image
#
# Every layer for a few sample images, each panel titled with that image's mIoU. Rows: the two images where
# fused + CRF gains most over the better single annotator, one in the middle, and the two where it loses
# most.

# %%
NAMES = {name: layers.title(name) for name in layers.names}
gain = sorted(keys, key=lambda k: layers.score(k, "fused_crf") - max(layers.score(k, "local"), layers.score(k, "global")))
rows = list(dict.fromkeys(gain[::-1][:2] + [gain[len(gain) // 2]] + gain[1::-1]))
fig, axes = plt.subplots(len(rows), 7, figsize=(13, 1.8 * len(rows) + 0.7), dpi=72, squeeze=False)
for r, key in enumerate(rows):
    image, truth, weak = layers.image(key), layers.truth(key), layers.weak(key)
    panels = [(image, key), (overlay(image, thicken(weak, 2), 0.9), f"scribbles {(weak != 255).mean():.1%}")]
    panels += [(colorize(layers.get(key, n)), f"{NAMES[n]} {100 * layers.score(key, n):.1f}") for n in layers.names]
    panels += [(colorize(truth), "ground truth")]
    for ax, (panel, title) in zip(axes[r], panels):
        ax.imshow(panel)
        ax.set_title(title, fontsize=8)
        ax.set_axis_off()
class_legend(fig, labels)
fig.suptitle(f"pseudo-labels on train, per-image mIoU % ({SOURCE})", fontsize=9)
fig.tight_layout(rect=(0, 0.03, 1, 0.98))
show(fig, "05_pseudo_labels")

# %% [markdown]
# ## Inspector
#
# Pick an image (the list, or *previous* / *next*) and a layer; the slider sets how strongly the layer is
# blended over the photo. The middle panel is the mask, the right one marks the layer's wrong pixels in red,
# and the line under the figure gives the image's mIoU for every layer. Keyboard: Tab moves between the
# controls, the arrow keys change the image and the slider. Without a kernel (GitHub, nbviewer) the picture
# shows every layer of the start image, the one whose layers differ most.

# %%
display(inspect(layers, key=START, layer="fused_crf", name="05_inspector"))

# %% [markdown]
# ## The recorded pseudo-labels
#
# Over all training images of VOC12-mini, against the dense masks, from `results/voc12-mini/summary.json`.
# Compare the fused row with the better of the local and global rows (fusion's contribution), and the fused +
# CRF row with the fused row (the CRF's):

# %% tags=["results-block"]
display(Markdown(results_block("pseudo", "voc12-mini")))

# %% [markdown]
# ## Summary
#
# * Fusion is one line per rule: the weighted mean (the paper's), the weighted geometric mean and
#   max-confidence, each normalised and clamped to the scribbles; `fuse` computes exactly these.
# * The mean can only gain where exactly one annotator is right, and only where that one is the more
#   confident: the agreement counts and the reliability diagram measure both.
# * One naive mean-field step with exact kernels reproduces pydensecrf's lattice-filtered step closely, not
#   exactly. Whether fusion and the CRF improve the pseudo-labels is read off the results block.
#
# ## Exercises
#
# 1. Which local weight $\omega$ is best for the mean on the sample? Why could it differ between the
#    ImageNet-initialised chain and the one from scratch?
#
# <details><summary>Hint</summary>The sweep printed above has the mean at five weights; the global
# annotator is B of each chain (notebook 04).</details>
# <details><summary>Solution</summary>Read the best column of the "mean" row. A from-scratch B is a much
# weaker global annotator, so its chain should put more weight on the local annotator; on all training
# images `scribblegap measure fusion --config voc12-mini` records the sweep in
# `results/voc12-mini/fusion_variants.json`.</details>
#
# 2. Run `mean_field(crop, p_crop, crf, steps=10)` and compare it with the package's ten iterations
#    (`converged`). Does the agreement stay as high as after one step?
#
# <details><summary>Hint</summary>Compare <code>(mean_field(...).argmax(0) == converged.argmax(0)).mean()</code>
# with the one-step agreement printed above.</details>
# <details><summary>Solution</summary>Each step feeds the previous $Q$ into the next, so the lattice's
# approximation errors compound and the agreement usually drops with the number of steps, while both still
# move the labels towards the same colour edges.</details>
#
# 3. Replace the CRF by superpixel averaging, `fusion.regularise(image, probs, "superpixels")`, on the images
#    of the figure: which boundaries does it get right that the CRF does not?
#
# <details><summary>Hint</summary>Take <code>probs = fuse(layers.probs(k, "local"), layers.probs(k, "global"))</code>
# and score <code>labels.to_ids(...argmax(0))</code> with <code>ConfusionMatrix</code>.</details>
# <details><summary>Solution</summary>Superpixels snap labels to the SLIC boundaries: good on strong colour
# edges, but a superpixel that straddles two objects takes one label for both, which the pixel-level CRF
# avoids.</details>
