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
# **Question.** The local annotator (notebook 03) has seen one image and its scribbles; the global
# annotator (notebook 04) has seen every scribble of the training set but is vague about this image's
# boundaries. Why should the *average* of their probabilities, regularised by a dense CRF, make better
# training labels than either alone, and does it?
#
# In the chain data → scribbles → annotators (local, global) → **fusion + CRF** → training → evaluation →
# report, this is the step that turns two annotators' probabilities into the pseudo-labels W is trained on.
# The notebook writes the fusion rules and the dense CRF, implements both in a few lines and checks them
# against the package, then looks at pseudo-labels of real images and at the recorded pseudo-label scores.

# %%
import os
import tempfile

SMOKE = "CI" in os.environ  # CI: a tiny chain on 24 embedded scenes; unset it for the recorded VOC12-mini run
if SMOKE:  # CI figures go to a temporary folder and never replace the recorded ones in figures/
    os.environ["SCRIBBLEGAP_FIGURES"] = tempfile.mkdtemp(prefix="scribblegap_figures_")

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

from scribblegap.report import claims
from scribblegap.report import tables
from scribblegap.experiment.configs import load_config
from scribblegap.annotators.crf import DenseCRF
from scribblegap.data import load_dataset
from scribblegap.pseudolabels.fusion import MODES, fuse
from scribblegap.pipeline import Pipeline, chain_folders, example_chain
from scribblegap.experiment.results import load_summary
from scribblegap.scribbles import WeakLabels
from scribblegap.data.plots import colorize, legend_handles, overlay, show, thicken

rng = np.random.default_rng(0)


def class_legend(fig, labels, *extra, ncol=None):
    """One legend for a figure: every kept class in its VOC colour, void (not scored) in grey, and ``extra``."""
    from matplotlib.patches import Patch

    handles = legend_handles(labels) + [Patch(facecolor=np.array([224, 224, 224]) / 255, edgecolor="k",
                                              label="void / unlabelled")] + list(extra)
    fig.legend(handles=handles, loc="lower center", ncol=ncol or len(handles), fontsize=8, frameon=False)

# %% [markdown]
# ## The fusion rules
#
# At pixel $i$ the local annotator gives class probabilities $p^{loc}_i(k)$ and the global one
# $p^{glob}_i(k)$, $k = 1..K$. `scribblegap.pseudolabels.fusion.fuse` combines them with one of three rules, $w \in [0, 1]$
# being the local annotator's share:
#
# * **mean** (the paper's, with $w = \tfrac12$): $\;p_i(k) = w\,p^{loc}_i(k) + (1-w)\,p^{glob}_i(k)$;
# * **product** (a weighted geometric mean, $\epsilon = 10^{-4}$):
#   $\;p_i(k) \propto \big(p^{loc}_i(k)+\epsilon\big)^{w}\,\big(p^{glob}_i(k)+\epsilon\big)^{1-w}$;
# * **max-confidence**: $\;p_i = p^{loc}_i$ if $\max_k p^{loc}_i(k) \ge \max_k p^{glob}_i(k)$, else $p^{glob}_i$.
#
# Each is normalised to sum to one over $k$. Then **clamping to the scribbles**: on a scribbled pixel
# $i \in \Omega_s$ with label $y_i$, $p_i(k) = [k = y_i]$, since a scribble is ground truth. The
# pseudo-label is $\hat y_i = \arg\max_k p_i(k)$.
#
# *Why the mean helps.* Where the two annotators agree, the mean changes nothing. Where they disagree, the
# argmax of the mean goes to the annotator that is more sure of its class (for two classes exactly: class
# $a$ wins when $p^{loc}_i(a) + p^{glob}_i(a) > 1$). If the annotators fail on different pixels, and each is
# less confident where it fails than the other is where it is right, the mean is right more often than
# either. The product rewards agreement more strongly; max-confidence takes the surer annotator outright.
# Below: the three rules and the clamping in a few lines of numpy, checked against the package on random
# probabilities.

# %%
def fuse_ours(loc, glob, w=0.5, mode="mean", weak=None, eps=1e-4):
    """(K, H, W) fused probabilities; ``weak``: (H, W) class indices, 255 unlabelled."""
    if mode == "mean":
        p = w * loc + (1 - w) * glob
    elif mode == "product":
        p = (loc + eps) ** w * (glob + eps) ** (1 - w)
    else:  # max-confidence
        p = np.where(loc.max(0) >= glob.max(0), loc, glob)
    p = p / p.sum(0, keepdims=True)
    if weak is not None:  # clamp to the scribbles: one-hot on labelled pixels
        on = weak != 255
        p[:, on] = np.eye(len(p))[weak[on]].T
    return p


K, H, W = 5, 24, 32
loc, glob = (rng.dirichlet(np.ones(K), size=(H, W)).transpose(2, 0, 1).astype(np.float32) for _ in range(2))
weak = np.where(rng.random((H, W)) < 0.05, rng.integers(0, K, (H, W)), 255).astype(np.uint8)  # scattered labels
weak[3, 4:20] = 2  # and a scribble
for mode in MODES:
    for w in (0.25, 0.5, 0.75):
        ours, theirs = fuse_ours(loc, glob, w, mode, weak), fuse(loc, glob, w, mode, weak)
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    print(f"{mode:8s}: ours = scribblegap.pseudolabels.fusion.fuse for w in (0.25, 0.5, 0.75); max |difference| "
          f"{np.abs(ours - theirs).max():.1e}; clamped pixels one-hot: "
          f"{bool((theirs[:, weak != 255].max(0) == 1).all())}")

# %% [markdown]
# ## The chain the rest of the notebook reads
#
# In the full notebook: the repository's own VOC12-mini run (`scribblegap run --config voc12-mini`; the
# notebook only reads its folders, it runs nothing). In CI: `example_chain(True)`, a tiny chain on 24 of
# the embedded scenes with 30-step networks in a temporary folder, whose numbers are a smoke test, not a
# result.

# %%
def recorded_chain(name):
    """(pipeline, folders) of the repository's run of config ``name``; folders None when not complete."""
    pipe = Pipeline(load_config(name), log=lambda *a: None)  # the layout only: pipe.run() is never called
    n = len(pipe.dataset("train"))
    if not (pipe.layout.scribbles(pipe.main_tag) / "stats.json").is_file():  # else chain_folders would simulate them
        return pipe, None
    folders = chain_folders(pipe)
    complete = all(f.is_dir() and sum(1 for _ in f.glob("*.png")) >= n for f in folders.values())
    return pipe, folders if complete else None


if SMOKE:
    pipe = example_chain(True, stages=("chain", "pseudo"), log=lambda *a: None)
    folders = chain_folders(pipe)
    SOURCE = "smoke chain (CI: 24 embedded scenes, 30-step networks) - not a result"
else:
    pipe, folders = recorded_chain("voc12-mini")
    SOURCE = "the recorded voc12-mini run"
    if folders is None:
        print("the voc12-mini chain's folders are not complete yet: run `scribblegap run --config voc12-mini`; "
              "the sections that read them are skipped")
train = pipe.dataset("train")
labels = train.labels
keys = list(train.ids[: (24 if SMOKE else 120)])
weak_labels = WeakLabels(folders["scribbles"], clip=True) if folders else None  # the chain's scribbles
print(f"{SOURCE}: {pipe.config.data!r}, {len(keys)} of {len(train)} training images, "
      f"classes {', '.join(labels.kept_names)}")
if folders:
    for name, folder in folders.items():
        print(f"  {name:10s} {pipe.layout.relative(folder)}")

# %% [markdown]
# ## Where the annotators agree, who is right where they do not, and what fusion makes of it
#
# One pass over the images: the share of pixels where local and global agree and where only one of them
# is right (the pixels fusion can win), how well each one's confidence predicts its accuracy (a
# *reliability diagram*: perfect calibration is the diagonal; ECE is the expected gap between confidence
# and accuracy), and the pseudo-label mIoU of every fusion rule at five local weights (no CRF).

# %%
from scribblegap.core.metrics import ConfusionMatrix
from scribblegap.data.store import load_probs, stored_path

WEIGHTS = [0.0, 0.25, 0.5, 0.75, 1.0]
BINS = np.linspace(0, 1, 11)
if folders:
    counts = dict.fromkeys(("pixels", "agree", "agree_right", "local_only", "global_only", "both_wrong"), 0)
    calib = {name: np.zeros((2, len(BINS) - 1)) for name in ("local", "global", "mean")}  # (pixels, right) per bin
    sweep = {(mode, w): ConfusionMatrix(labels.num_classes) for mode in MODES for w in WEIGHTS}
    for key in keys:
        truth = labels.to_index(train.mask(key))
        valid = truth != 255
        loc = load_probs(stored_path(folders["local"], key), labels)
        glo = load_probs(stored_path(folders["global"], key), labels)
        w_index = labels.to_index(weak_labels(train, key))
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
    print(f"[{SOURCE}, {len(keys)} images]")
    print(f"local and global agree on {counts['agree'] / n:.1%} of the pixels and are right on "
          f"{counts['agree_right'] / max(counts['agree'], 1):.1%} of those")
    print(f"only the local one is right: {counts['local_only'] / n:.1%}; only the global one: "
          f"{counts['global_only'] / n:.1%}; both wrong: {counts['both_wrong'] / n:.1%}")
    print("pseudo-label mIoU % (no CRF), by rule and local weight w (w=0: global alone, w=1: local alone, "
          "scribbles clamped):")
    for mode in MODES:
        row = [f"w={w:.2f}: {100 * sweep[mode, w].miou():5.1f}" for w in WEIGHTS if mode != "max" or w == 0.5]
        print(f"  {mode:8s}" + "  ".join(row) + ("  (no weight)" if mode == "max" else ""))

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
    ax.set_title(f"calibration, {len(keys)} images" + (" (smoke chain)" if SMOKE else ""), fontsize=9)
    show(fig, "05_calibration")

# %% [markdown]
# Read the agreement lines first: fusion can only win on the pixels where exactly one annotator is right,
# and only if that one is the more confident there, which is what the reliability diagram is about. Then
# compare each rule's column at $w = 0$ and $w = 1$ (one annotator alone) with the columns in between.
#
# ## The dense CRF
#
# The fused labels can still cross colour edges that neither annotator placed right. The paper
# regularises them with the fully connected CRF of Krähenbühl & Koltun (2011), over a labelling
# $\mathbf{x}$ of all $N$ pixels:
#
# $$E(\mathbf{x}) = \sum_i \psi_u(x_i) + \sum_{i<j} \psi_p(x_i, x_j), \qquad \psi_u(x_i) = -\log p_i(x_i),$$
#
# $$\psi_p(x_i, x_j) = \mu(x_i, x_j)\Big[\,w^{(1)} \exp\Big(-\frac{|q_i - q_j|^2}{2\theta_\alpha^2}
#   - \frac{|I_i - I_j|^2}{2\theta_\beta^2}\Big) + w^{(2)} \exp\Big(-\frac{|q_i - q_j|^2}{2\theta_\gamma^2}\Big)\Big].$$
#
# $p_i$ are the fused probabilities, $q_i$ a pixel's position and $I_i$ its RGB colour; $\mu(l, l') = [l \ne l']$
# (Potts) charges every pair of pixels that take different labels. The first kernel (*appearance*, weight
# $w^{(1)}$) ties pixels that are near ($\theta_\alpha$) **and** alike in colour ($\theta_\beta$); the second
# (*smoothness*, $w^{(2)}$, $\theta_\gamma$) removes isolated pixels. Write $k(f_i, f_j)$ for the weighted sum of
# the two kernels on the features $f_i = (q_i, I_i)$. Minimising $E$ exactly is intractable; mean-field
# inference approximates the distribution by independent $Q_i$ and iterates
#
# $$Q_i(l) \propto \exp\Big\{-\psi_u(l) - \sum_{l'} \mu(l, l') \sum_{j \ne i} k(f_i, f_j)\, Q_j(l')\Big\},$$
#
# starting from $Q_i \propto \exp\{-\psi_u\}$. With Potts, $\sum_{l'} \mu(l,l') Q_j(l') = 1 - Q_j(l)$, so the
# update adds $+\sum_j k(f_i,f_j) Q_j(l)$ to the log-probability of label $l$: a pixel is pulled towards the
# labels of the pixels it resembles. The package's `DenseCRF` (DeepLab's settings for VOC) calls
# pydensecrf, which differs from the formula in two ways: each kernel is normalised symmetrically,
# $\tilde k_{ij} = k_{ij} / \sqrt{d_i d_j}$ with $d_i = \sum_j k_{ij}$, the sum including $j = i$; and the sum
# over $j$ is computed approximately by Gaussian filtering on a permutohedral lattice (Adams et al. 2010)
# in $O(N)$ instead of $O(N^2)$. Below, one naive mean-field step with the exact dense kernels
# ($N^2$ of them, so on a 32x32 crop), the package's normalisation and self term, against the package's
# CRF run for one iteration. They cannot agree exactly (the lattice is an approximation); the check is how
# close they come.

# %%
from scipy import ndimage

from scribblegap.annotators import predict_local
from scribblegap.scribbles.simulate import simulate_scribbles

crf = DenseCRF()
print("DenseCRF parameters:", crf.to_dict(),
      "(appearance kernel: bi_w = w1, bi_xy_std = theta_alpha, bi_rgb_std = theta_beta; "
      "smoothness kernel: pos_w = w2, pos_xy_std = theta_gamma)")


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
# Every layer of the chain for a few training images: the scribbles, the local annotator, the global one,
# their mean, the mean after the dense CRF, and the dense mask the numbers are scored against. The title
# of each panel gives that image's mIoU (over the classes present in the mask or the prediction). Rows:
# the two images where fused + CRF gains most over the better single annotator, one in the middle, and the
# two where it loses most.

# %%
from scribblegap.core.metrics import score_label_maps
from scribblegap.core.io import read_label_png

LAYERS = ("local", "global", "fused", "fused_crf")
NAMES = {"local": "local", "global": "global", "fused": "fused", "fused_crf": "fused + CRF"}


def read_layer(layer, key):
    if layer == "scribbles":
        return weak_labels(train, key)
    return read_label_png(folders[layer] / f"{key}.png", train.image_shape(key), labels.valid_values())


_scores = {}


def image_scores(key):
    """Per-image mIoU of each layer (cached)."""
    if key not in _scores:
        one = train.with_ids([key])
        _scores[key] = {layer: score_label_maps(one, lambda k, layer=layer: read_layer(layer, k)).miou()
                        for layer in LAYERS}
    return _scores[key]


if folders:
    gain = sorted(keys, key=lambda k: image_scores(k)["fused_crf"]
                  - max(image_scores(k)["local"], image_scores(k)["global"]))
    rows = list(dict.fromkeys(gain[::-1][:2] + [gain[len(gain) // 2]] + gain[1::-1]))
    fig, axes = plt.subplots(len(rows), 7, figsize=(13, 1.8 * len(rows) + 0.7), dpi=72, squeeze=False)
    for r, key in enumerate(rows):
        image, truth, s = train.image(key), train.mask(key), image_scores(key)
        weak = read_layer("scribbles", key)
        panels = [(image, key), (overlay(image, thicken(weak, 2), 0.9), f"scribbles {(weak != 255).mean():.1%}")]
        panels += [(colorize(read_layer(layer, key)), f"{NAMES[layer]} {100 * s[layer]:.1f}") for layer in LAYERS]
        panels += [(colorize(truth), "ground truth")]
        for ax, (panel, title) in zip(axes[r], panels):
            ax.imshow(panel)
            ax.set_title(title, fontsize=8)
            ax.set_axis_off()
    class_legend(fig, labels)
    fig.suptitle(f"pseudo-labels on train, per-image mIoU % ({SOURCE})", fontsize=9)
    fig.tight_layout(rect=(0, 0.03, 1, 0.98))
    show(fig, "05_pseudo_labels")
    scored = {layer: score_label_maps(train, lambda k, layer=layer: read_layer(layer, k), keys).miou()
              for layer in LAYERS}
    print(f"[{SOURCE}, {len(keys)} images] pseudo-label mIoU %: "
          + ", ".join(f"{NAMES[layer]} {100 * v:.1f}" for layer, v in scored.items())
          + f"; the dense CRF changes the fused labels by {100 * (scored['fused_crf'] - scored['fused']):+.1f} points")

# %% [markdown]
# ## Inspector
#
# Pick an image (the list, or *previous* / *next*) and a layer; the slider sets how strongly the layer is
# blended over the photo. The middle panel is the dense mask, the right one marks in red the pixels where
# the layer's label is wrong. The line under the figure gives the image's mIoU for every layer. Keyboard:
# Tab moves between the controls, the arrow keys change the image in the list and move the slider, Enter
# or Space presses a button. The picture right below is a static copy of the inspector's first view, for
# readers of the notebook on GitHub, where widgets do not run.

# %%
import ipywidgets as widgets
from matplotlib.patches import Patch

WRONG = np.array([230, 20, 20])
INSPECTED = ("scribbles",) + LAYERS


def inspector_figure(key, layer, alpha):
    image, truth, pred = train.image(key), train.mask(key), read_layer(layer, key)
    shown = thicken(pred, 1) if layer == "scribbles" else pred
    wrong = (truth != 255) & (pred != 255) & (pred != truth)
    grey = np.repeat(image.mean(-1, keepdims=True), 3, -1).astype(np.uint8)
    errors = np.where(wrong[..., None], WRONG, grey).astype(np.uint8)
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.7), dpi=80)
    name, share = NAMES.get(layer, layer), wrong.sum() / max((truth != 255).sum(), 1)
    panels = [(overlay(image, shown, alpha), f"{key}: {name}"), (colorize(truth), "ground truth"),
              (errors, f"{name} wrong on {share:.1%} of the pixels")]
    for ax, (panel, title) in zip(axes, panels):
        ax.imshow(panel)
        ax.set_title(title, fontsize=9)
        ax.set_axis_off()
    class_legend(fig, labels, Patch(facecolor=WRONG / 255, edgecolor="k", label="wrong"))
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def iou_line(key):
    return "per-image mIoU: " + ", ".join(f"{NAMES[layer]} {100 * v:.1f}" for layer, v in image_scores(key).items())


if folders:
    show(inspector_figure(keys[0], "fused_crf", 0.6), "05_inspector")
    print(iou_line(keys[0]))

# %%
if folders:
    wide = widgets.Layout(width="100%")
    label_style = {"description_width": "70px"}
    image_pick = widgets.Dropdown(options=keys, value=keys[0], description="image", style=label_style,
                                  layout=widgets.Layout(flex="1 1 auto", width="auto"))
    previous = widgets.Button(description="previous", icon="arrow-left", tooltip="previous image",
                              layout=widgets.Layout(width="120px"))
    following = widgets.Button(description="next", icon="arrow-right", tooltip="next image",
                               layout=widgets.Layout(width="120px"))
    layer_pick = widgets.ToggleButtons(options=[(NAMES.get(x, x), x) for x in INSPECTED], value="fused_crf",
                                       description="layer", style={**label_style, "button_width": "auto"}, layout=wide)
    opacity = widgets.FloatSlider(value=0.6, min=0, max=1, step=0.05, description="opacity", readout_format=".2f",
                                  continuous_update=False, style=label_style, layout=wide)
    out = widgets.Output(layout=wide)

    def redraw(*_):
        with out:
            out.clear_output(wait=True)
            fig = inspector_figure(image_pick.value, layer_pick.value, opacity.value)
            display(fig)
            plt.close(fig)
            print(iou_line(image_pick.value))

    def step(by):
        image_pick.value = keys[(keys.index(image_pick.value) + by) % len(keys)]

    previous.on_click(lambda _: step(-1))
    following.on_click(lambda _: step(+1))
    for control in (image_pick, layer_pick, opacity):
        control.observe(redraw, names="value")
    display(widgets.VBox([widgets.HBox([previous, image_pick, following], layout=wide), layer_pick, opacity, out],
                         layout=wide))
    redraw()

# %% [markdown]
# ## The recorded pseudo-labels
#
# Over all training images of VOC12-mini, against the dense masks, from `results/<name>/summary.json`:
# the ImageNet-initialised run (`voc12-mini`) and the same chain from scratch (`voc12-mini-scratch`; the
# same local annotator and fusion, its global annotator the from-scratch B). The lines under each
# table are printed from it: what fusion and the CRF changed, and the verdict on the paper's claim
# (`claims.judge`; "confirmed" needs a margin of `claims.PSEUDO_LABEL_MARGIN`). Where
# `scripts/measure_fusion.py` measured the fusion options on all images, its table follows.

# %%
CLAIM = "Fused + CRF pseudo-labels beat the best single annotator"
for name in ("voc12-mini", "voc12-mini-scratch"):
    results = Pipeline(load_config(name), log=lambda *a: None).layout.results
    summary = load_summary(results / "summary.json")
    table = tables.pseudo_label_table(summary, title=f"{name}: pseudo-labels on train")
    if not table:
        print(f"{name}: pseudo-labels not recorded yet: run `scribblegap run --config {name}`")
        continue
    display(Markdown(table))
    p = {k: v["miou"] for k, v in summary["pseudo_labels"].items()}
    best = max(("local", "global"), key=p.get)
    if "fused" in p:
        print(f"{name}: fusion {best} {100 * p[best]:.1f} -> fused {100 * p['fused']:.1f} "
              f"({100 * (p['fused'] - p[best]):+.1f} points)")
    if {"fused", "fused_crf"} <= set(p):
        print(f"{name}: dense CRF fused {100 * p['fused']:.1f} -> fused + CRF {100 * p['fused_crf']:.1f} "
              f"({100 * (p['fused_crf'] - p['fused']):+.1f} points)")
    claim, seen, verdict = next(row for row in claims.judge(summary) if row[0] == CLAIM)
    print(f"{name}: {claim}? {seen} -> {verdict} (margin for 'confirmed': "
          f"{100 * claims.PSEUDO_LABEL_MARGIN:g} points)")
    variants = results / "fusion_variants.json"
    if variants.is_file():
        display(Markdown(tables.fusion_table(variants)))

# %% [markdown]
# Compare, in each table, the fused row with the better of the local and global rows (fusion's
# contribution) and the fused + CRF row with the fused row (the CRF's); the printed lines give both
# differences and the claim's verdict. In the fusion options table, the column at local weight 1 is the
# local annotator alone and the one at 0 the global one: where the best column lies says how much the
# global annotator adds to the local one.
#
# ## Summary
#
# * Fusion is one line per rule: the weighted mean (the paper's), the weighted geometric mean (product)
#   and max-confidence, each normalised and clamped to the scribbles; `scribblegap.pseudolabels.fusion.fuse` computes
#   exactly these (checked above).
# * The mean can only gain on pixels where exactly one annotator is right, and only where that one is the
#   more confident: the agreement counts and the reliability diagram measure both.
# * The dense CRF's mean-field step pulls each pixel towards the labels of nearby, similarly coloured
#   pixels; one naive step with exact kernels reproduces pydensecrf's lattice-filtered step closely, not
#   exactly (the numbers above).
# * Whether fusion and the CRF improve the pseudo-labels is read off the recorded tables and the printed
#   verdicts, not assumed.
#
# ## Exercises
#
# 1. Fuse with a confidence threshold, `scribblegap fuse --threshold 0.7 ...`: how many pixels become
#    unlabelled, how accurate are the rest (the fusion options table lists both), and does retraining on
#    them help (`W_confident`, notebook 06)?
# 2. Which local weight is best on VOC12-mini's recorded fusion options? Why could it differ between the
#    pretrained and the from-scratch chain?
# 3. Run `mean_field(crop, p_crop, crf, steps=10)` and compare it with the package's ten iterations
#    (`converged`). Does the agreement stay as high as after one step? Why might lattice errors add up?
# 4. Replace the CRF by superpixel averaging (`scribblegap fuse --superpixels ...`,
#    `fusion.regularise(image, probs, "superpixels")`) on the images of the figure: which boundaries does
#    it get right that the CRF does not, and which does it lose?
