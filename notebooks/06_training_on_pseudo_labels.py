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
# # 06 · Training on pseudo-labels: W, the peer's loss R, and the gap
#
# **The question.** Does retraining the network on the fused + CRF pseudo-labels of notebook 05 (**W**)
# close the gap between full masks (**F**) and scribbles (**B**), and does it close more of it than the best
# peer, Tang et al.'s DenseCRF loss (**R**), which trains on the scribbles alone?
#
# Where it sits: data → scribbles → annotators → fusion + CRF → **training** → evaluation → report.
# Notation: the table of notebook 00. The plan: the training objectives, each written out and checked
# against `scribblegap.network.losses`; what the DenseCRF energy prefers; the targets W learns from; then the
# recorded results.

# %%
from scribblegap.report.course import setup; SMOKE = setup()

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from IPython.display import Markdown, display

from scribblegap.data.plots import colorize, overlay, show, thicken
from scribblegap.experiment.configs import load_config
from scribblegap.report.blocks import results_block
from scribblegap.pipeline import example_chain
from scribblegap.report.course import sample_layers

HEADLINE = "voc12-mini"  # the benchmark: ImageNet-initialised trunk
T_CONF = load_config(HEADLINE).confident_thresholds[0]  # W_confident's threshold t on the fused confidence
tiny_sample = lambda: example_chain(True, stages=("chain", "pseudo", "sample"), log=lambda *a: None)
layers = sample_layers(HEADLINE, stand_in=tiny_sample)  # the tiny chain stands in where results/voc12-mini/sample is missing
key = layers.most_different()
image, truth, weak = layers.image(key), layers.truth(key), layers.weak(key)
confidence = layers.probs(key, "fused").max(0)  # before the CRF: what W_confident thresholds
panels = [(overlay(image, thicken(weak, 2), 0.9), "B, R: the scribbles"),
          (colorize(layers.get(key, "fused_crf")), "W: fused + CRF pseudo-label"),
          (np.where(confidence[..., None] >= T_CONF, colorize(layers.get(key, "fused")), [255, 40, 40]).astype(np.uint8),
           f"W_confident: fused, red below t = {T_CONF:g}"),
          (confidence, "W_soft: fused confidence"), (colorize(truth), "F: the dense mask")]
fig, axes = plt.subplots(1, len(panels), figsize=(13, 2.9), dpi=72)
for ax, (panel, title) in zip(axes, panels):
    ax.imshow(panel, cmap="viridis" if panel.ndim == 2 else None, vmin=0 if panel.ndim == 2 else None, vmax=1 if panel.ndim == 2 else None)
    ax.set_title(title, fontsize=8)
    ax.set_axis_off()
fig.suptitle(f"{key}: the targets of each network ({layers.note or 'the VOC12-mini sample'})", fontsize=9)
fig.tight_layout()
show(fig, "06_targets")

# %% [markdown]
# The same training image as each network sees it. B and R learn from the scribbles, W from the dense
# pseudo-label, W_confident from the fused labels where the fused confidence (before the CRF) reaches $t$,
# W_soft from the fused probabilities themselves, F from the mask. Compare the red pixels with the places
# where the pseudo-label differs from the mask.
#
# ## 1. Three ways to learn from pseudo-labels
#
# With $p_i(c)$ the network's softmax, $\tilde p_i(c)$ the fused probabilities (scribble pixels clamped to
# their label) and $\hat y_i$ the pseudo-label (the argmax after the CRF):
#
# $$\mathcal{L}_{\text{hard}} = -\frac{1}{|\Omega|}\sum_{i\in\Omega} \log p_i(\hat y_i), \qquad
# \mathcal{L}_{t} = -\frac{1}{|\Omega_t|}\sum_{i\in\Omega_t} \log p_i(\hat y_i), \qquad
# \mathcal{L}_{\text{soft}} = -\frac{1}{|\Omega|}\sum_{i\in\Omega}\sum_{c} \tilde p_i(c)\,\log p_i(c).$$
#
# **W** uses $\mathcal{L}_{\text{hard}}$ (the paper's retraining). **W_confident** keeps
# $\Omega_t = \{i : \max_c \tilde p_i(c) \ge t\}$ and writes the other pixels as unlabelled; scribble pixels
# always stay. **W_soft**'s gradient is $p_i - \tilde p_i$: where the annotators disagree the network is
# pulled towards their uncertainty, not towards a hard guess. **B**'s pCE is $\mathcal{L}_{\text{hard}}$ on
# $\Lambda$ with the labels $y_i$. **W_round2** repeats W's recipe with W as the global annotator, and
# **W_rloss** adds R's loss to W. The three losses in torch, against the package:

# %%
from scribblegap.pseudolabels.fusion import to_labels
from scribblegap.network.losses import partial_cross_entropy, soft_cross_entropy

K, H, W = 4, 9, 11
logits = torch.randn(2, K, H, W)
fused = torch.softmax(3 * torch.randn(2, K, H, W), 1)  # stands in for the fused + CRF probabilities
stored = torch.round(fused * 255).to(torch.uint8)      # how the pipeline stores soft targets
stored[0, :, :2, :3] = 0                               # a few pixels without a target (crop padding)

log_p = F.log_softmax(logits, 1)
t = stored.float() / 255
valid = t.sum(1) > 0
t = t / t.sum(1, keepdim=True).clamp_min(1e-6)
soft_mine = -(t * log_p).sum(1)[valid].mean()
soft_pkg = soft_cross_entropy(logits, stored)
print(f"soft CE: mine {soft_mine:.6f}, package {soft_pkg:.6f}, |difference| {abs(soft_mine - soft_pkg):.1e}")
assert torch.allclose(soft_mine, soft_pkg, atol=1e-6)

t_conf = load_config(HEADLINE).confident_thresholds[0]
for threshold in (None, t_conf):
    labels = torch.from_numpy(np.stack([to_labels(p.numpy(), threshold) for p in fused]).astype(np.int64))
    keep = labels != 255
    hard_mine = -log_p.gather(1, labels.clamp_max(K - 1)[:, None])[:, 0][keep].mean()
    hard_pkg = partial_cross_entropy(logits, labels)
    name = "hard CE on the argmax" if threshold is None else f"confident CE (t = {t_conf:g}, {keep.float().mean():.0%} of pixels kept)"
    print(f"{name}: mine {hard_mine:.6f}, package {hard_pkg:.6f}, |difference| {abs(hard_mine - hard_pkg):.1e}")
    assert torch.allclose(hard_mine, hard_pkg, atol=1e-6)

# %% [markdown]
# ## 2. The peer: Tang et al.'s DenseCRF loss (R)
#
# R trains on the scribbles only and adds to the pCE a relaxation of the dense CRF's energy of the network's
# own soft segmentation,
#
# $$\mathcal{L}_R = \mathcal{L}_{\text{pCE}} + \lambda_R \sum_{c=1}^{K} S_c^\top A\,(1 - S_c), \qquad
# A_{ij} = \exp\!\Big(-\frac{\lVert \mathbf{q}_i - \mathbf{q}_j\rVert^2}{2\sigma_{xy}^2} - \frac{\lVert I_i - I_j\rVert^2}{2\sigma_{rgb}^2}\Big),$$
#
# where $S_c \in [0,1]^N$ holds the probabilities $p_i(c)$ of class $c$ over the $N$ pixels and $A$ is the
# $N \times N$ affinity of position $\mathbf{q}_i$ and colour $I_i$. For a hard segmentation, $S_c^\top A
# (1-S_c)$ is the affinity the boundary of class $c$ cuts: the loss is small when label boundaries fall
# where the colour changes. `scribblegap.network.losses.densecrf_loss` computes the kernel **exactly** on
# the inputs downscaled by `scale`, and **normalises** it ($A_{ii} = 0$, rows divided by their degree
# $d_i$, averaged over the pixels), $E = \frac{1}{N}\sum_{i,c} S_{ic} \sum_{j} \frac{A_{ij}}{d_i}(1 - S_{jc}) \in [0, 1]$,
# so $\lambda_R$ is of order 1. R's settings in the benchmark's preset:

# %%
from scribblegap.network.presets import preset

r_cfg = preset(load_config(HEADLINE).preset)
print(f"R in {HEADLINE} (preset {load_config(HEADLINE).preset}): lambda = rloss_weight = {r_cfg.rloss_weight}, "
      f"sigma_rgb = {r_cfg.rloss_sigma_rgb}, sigma_xy = {r_cfg.rloss_sigma_xy} px of the grid downscaled by "
      f"scale = {r_cfg.rloss_scale}")

# %% [markdown]
# The loss written naively on a 12x12 image of two colour regions, the dense affinity built pixel pair by
# pixel pair, checked against `densecrf_loss` (value and gradient) at full resolution and at half:

# %%
from scribblegap.network.losses import densecrf_loss


def densecrf_naive(probs, image, sigma_rgb, sigma_xy):
    """(Tang et al.'s unnormalised sum, the package's normalised E) for one image: probs (K, h, w), image (3, h, w)."""
    k, h, w = probs.shape
    yy, xx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    pos = torch.stack([yy.ravel(), xx.ravel()], 1).float()  # (N, 2)
    rgb = image.reshape(3, -1).T                            # (N, 3)
    affinity = torch.exp(-((pos[:, None] - pos[None]) ** 2).sum(-1) / (2 * sigma_xy ** 2)
                         - ((rgb[:, None] - rgb[None]) ** 2).sum(-1) / (2 * sigma_rgb ** 2))
    affinity.fill_diagonal_(0)
    s = probs.reshape(k, -1)                                # S_c as rows
    tang = sum(s[c] @ affinity @ (1 - s[c]) for c in range(k))
    normalised = sum((s[c] / affinity.sum(1)) @ affinity @ (1 - s[c]) for c in range(k)) / (h * w)
    return tang, normalised


image = torch.zeros(1, 3, 12, 12)
image[:, 0, :, :7], image[:, 2, :, 7:] = 200.0, 180.0   # a red region and a blue one
image = image + 8 * torch.randn_like(image)
logits = torch.randn(1, 3, 12, 12, requires_grad=True)
probs = torch.softmax(logits, 1)
sigma_rgb, sigma_xy = r_cfg.rloss_sigma_rgb, 3.0

for scale in (1.0, 0.5):
    small_p, small_i = (probs, image) if scale == 1 else (
        F.interpolate(t_, scale_factor=scale, mode="bilinear", align_corners=False) for t_ in (probs, image))
    tang, mine = densecrf_naive(small_p[0], small_i[0], sigma_rgb, sigma_xy)
    pkg = densecrf_loss(probs, image, sigma_rgb=sigma_rgb, sigma_xy=sigma_xy, scale=scale)
    g_mine, = torch.autograd.grad(mine, logits, retain_graph=True)
    g_pkg, = torch.autograd.grad(pkg, logits, retain_graph=True)
    print(f"scale {scale:g}: Tang's sum {tang.item():.2f}; normalised E: mine {mine.item():.6f}, package "
          f"{pkg.item():.6f}; max |gradient difference| {(g_mine - g_pkg).abs().max():.1e}")
    np.testing.assert_allclose(mine.item(), pkg.item(), rtol=1e-5)
    np.testing.assert_allclose(g_mine.numpy(), g_pkg.numpy(), atol=1e-7)

# A labelling that follows the colour edge has a lower energy than one shifted off it
edge = torch.zeros(1, 3, 12, 12)
edge[:, 0, :, :7], edge[:, 1, :, 7:] = 1, 1
shifted = torch.roll(edge, 3, dims=-1)
print(f"E of the labelling along the colour edge {densecrf_loss(edge, image, sigma_xy=sigma_xy, scale=1):.3f}, "
      f"shifted by 3 px {densecrf_loss(shifted, image, sigma_xy=sigma_xy, scale=1):.3f}")

# %% [markdown]
# ## 3. What the DenseCRF energy prefers on a scene
#
# R can only move a network towards segmentations of lower energy $E$. The embedded "hard" scenes paint thin
# parts in another hue than their body and put a shadow of the body's colour around it, which belongs to
# the background. Take the true mask and a colour-driven alternative (the thin parts dropped, each body
# grown by the shadow's width), and compute $E$ of both on the hard scenes and on the same scenes without
# the two traps (`halo=0, part_hue_shift=0`: the same masks, other colours):

# %%
from scipy import ndimage

from scribblegap.data import load_dataset
from scribblegap.data.synthetic import SCENE_VARIANTS

SCENES = {"hard": "default:hard", "hard, no traps": "default:hard,halo=0,part_hue_shift=0"}
HALO = int(SCENE_VARIANTS["hard"]["halo"])


def colour_driven(mask):
    """The thin parts dropped, each body grown by the shadow's width: what colour alone suggests."""
    out = np.zeros_like(mask)
    for c in np.unique(mask[(mask > 0) & (mask != 255)]):
        body = ndimage.binary_opening(mask == c, iterations=3)
        out[ndimage.binary_dilation(body, iterations=HALO) & (out == 0)] = c
    return out


def one_hot(mask, k):
    return F.one_hot(torch.from_numpy(mask.astype(np.int64)), k).permute(2, 0, 1)[None].float()


def energy_map(mask, image, k):
    """Each pixel's term of E (on the package's downscaled grid) and E itself."""
    s = F.interpolate(one_hot(mask, k), scale_factor=r_cfg.rloss_scale, mode="bilinear", align_corners=False)
    x = F.interpolate(torch.from_numpy(image).permute(2, 0, 1)[None].float(), scale_factor=r_cfg.rloss_scale,
                      mode="bilinear", align_corners=False)
    k_, h, w = s.shape[1:]
    yy, xx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    feats = torch.cat([torch.stack([yy, xx], -1).reshape(-1, 2).float() / r_cfg.rloss_sigma_xy,
                       x[0].reshape(3, -1).T / r_cfg.rloss_sigma_rgb], 1)
    a = torch.cdist(feats, feats).square().mul(-0.5).exp().fill_diagonal_(0)
    a = a / a.sum(1, keepdim=True)
    sn = s[0].reshape(k_, -1).T
    per_pixel = (sn * (a @ (1 - sn))).sum(1)
    return per_pixel.reshape(h, w).numpy(), per_pixel.mean().item()


n_scenes, prefers = 12, {}
for name, spec in SCENES.items():
    ds = load_dataset(spec, "train", limit=n_scenes)
    k = ds.labels.num_classes
    prefers[name] = []
    for i in range(n_scenes):
        img, mask = ds.image(i), ds.mask(i)
        x = torch.from_numpy(img).permute(2, 0, 1)[None].float()
        e_true = densecrf_loss(one_hot(mask, k), x, r_cfg.rloss_sigma_rgb, r_cfg.rloss_sigma_xy, r_cfg.rloss_scale)
        e_alt = densecrf_loss(one_hot(colour_driven(mask), k), x, r_cfg.rloss_sigma_rgb, r_cfg.rloss_sigma_xy,
                              r_cfg.rloss_scale)
        if i == 0:  # the package's E and the per-pixel map agree
            assert abs(energy_map(mask, img, k)[1] - e_true.item()) < 1e-5
        prefers[name].append((e_true - e_alt).item())  # > 0: the colour-driven labelling has the lower energy
    print(f"{name} ({spec}): the colour-driven labelling has the lower DenseCRF energy in "
          f"{sum(d > 0 for d in prefers[name])} of {n_scenes} scenes")

shown_scene = int(np.argmax(prefers["hard"]))  # the scene where the energy prefers colour most clearly
fig, axes = plt.subplots(2, 5, figsize=(12, 5.8), dpi=72)
for row, (name, spec) in enumerate(SCENES.items()):
    ds = load_dataset(spec, "train", limit=shown_scene + 1)
    img, mask = ds.image(shown_scene), ds.mask(shown_scene)
    alt = colour_driven(mask)
    (m_true, e_true), (m_alt, e_alt) = energy_map(mask, img, ds.labels.num_classes), \
        energy_map(alt, img, ds.labels.num_classes)
    vmax = max(m_true.max(), m_alt.max())
    panels = [(img, f"{name}: {ds.ids[shown_scene]}", None), (colorize(mask), "true mask", None),
              (colorize(alt), "colour-driven labelling", None),
              (m_true, f"per pixel, true mask: E = {e_true:.3f}", vmax),
              (m_alt, f"per pixel, colour-driven: E = {e_alt:.3f}", vmax)]
    for ax, (panel, title, vm) in zip(axes[row], panels):
        ax.imshow(panel, cmap="magma" if vm else None, vmin=0 if vm else None, vmax=vm)
        ax.set_title(title, fontsize=8)
        ax.set_axis_off()
fig.suptitle("DenseCRF energy (package kernel and scale) of the true mask and of a colour-driven labelling",
             fontsize=10)
fig.tight_layout(rect=(0, 0, 1, 0.95))
show(fig, "06_densecrf_energy")

# %% [markdown]
# Where the colour-driven labelling has the lower energy, the DenseCRF loss pulls a network *away* from the
# true mask: it cannot teach thin parts of another colour, and it pushes labels into the shadow. The same
# holds for the dense CRF of the pseudo-labels and for any per-image colour model: what they recover is what
# colour reveals. How the scene sets and their knobs compare in full runs is in the appendix (08).
#
# ## 4. The pseudo-labels W is trained on
#
# On the sample: the pseudo-label, the fused confidence before the CRF (pixels below $t$, red, are those
# W_confident ignores) and the mask, and how often the kept and the dropped pixels are right.

# %%
shown = layers.keys[:4]
fig, axes = plt.subplots(4, len(shown), figsize=(2.7 * len(shown), 8.4), dpi=72, squeeze=False)
kept = right_kept = right_dropped = n_scored = 0
for key in layers.keys:
    truth, pseudo, fused = layers.truth(key), layers.get(key, "fused_crf"), layers.get(key, "fused")
    sure, scored = layers.probs(key, "fused").max(0) >= T_CONF, truth != 255
    kept += (sure & scored).sum()
    n_scored += scored.sum()
    right_kept += ((fused == truth) & sure & scored).sum()
    right_dropped += ((fused == truth) & ~sure & scored).sum()
    if key in shown:
        j = shown.index(key)
        confidence = layers.probs(key, "fused").max(0)
        panels = [(overlay(layers.image(key), thicken(layers.weak(key), 2), 0.9), key),
                  (colorize(pseudo), "pseudo-label (fused + CRF)"),
                  (confidence, f"fused confidence; red: below {T_CONF:g}"), (colorize(truth), "true mask")]
        for row, (panel, title) in enumerate(panels):
            ax = axes[row, j]
            if row == 2:
                ax.imshow(panel, cmap="viridis", vmin=0, vmax=1)
                ax.imshow(np.ma.masked_where(panel >= T_CONF, np.zeros_like(panel)), cmap="autumn", vmin=0, vmax=1)
            else:
                ax.imshow(panel)
            ax.set_title(title, fontsize=8)
            ax.set_axis_off()
fig.tight_layout()
show(fig, "06_pseudo_labels")
print(f"[{layers.note or 'the VOC12-mini sample'}, {len(layers.keys)} images chosen where the layers disagree] "
      f"{kept / n_scored:.1%} of the scored pixels reach t = {T_CONF:g}; the fused label is right on "
      f"{right_kept / max(kept, 1):.1%} of those and on {right_dropped / max(n_scored - kept, 1):.1%} of the rest")

# %% [markdown]
# W_confident trades labels for cleanliness: the trade pays only where the dropped pixels are wrong much
# more often than the kept ones (the line above). The share kept and its accuracy on all training images
# are recorded in `summary["confidence"]`.
#
# ## 5. The gap on the benchmark
#
# VOC12-mini (`scribblegap run --config voc12-mini`), scored on the validation images, without and with the
# test-time dense CRF; `n` says how many seeds are recorded for each network:

# %% tags=["results-block"]
display(Markdown(results_block("gap", "voc12-mini")))

# %% [markdown]
# The paper's claims, judged from these runs by `scribblegap.report.claims`. A seed gives all its networks
# the same scribbles, head initialisation and batch order, so each difference is paired by seed; its 95%
# interval adds the paired t interval over seeds to the val images' shared error (a bootstrap over images).
# *Confirmed*: the interval excludes no effect; *refuted*: it excludes the paper's value; *undecided*:
# neither, with the seeds a decision would need:

# %% tags=["results-block"]
display(Markdown(results_block("claims", "voc12-mini")))

# %% [markdown]
# ## 6. Where F beats B and W: distance to the object boundary
#
# For every val pixel, its distance to the nearest pixel of another label (`scribblegap.experiment.boundary`);
# in each distance band, the share of pixels F labels right and B (or W) wrong, and what the band adds to the
# pixel-accuracy gap:

# %% tags=["results-block"]
display(Markdown(results_block("boundary", "voc12-mini")))

# %% [markdown]
# A gap that lives in the first few pixels around the objects is a gap of boundaries: where scribbles, kept
# away from edges, never give a label. The local annotators and the CRF aim at exactly these pixels, so
# compare the "F right, W wrong" column with "F right, B wrong" band by band.
#
# ## Summary
#
# * W retrains on the fused + CRF pseudo-labels with hard cross-entropy; W_confident ignores pixels whose
#   fused confidence is below $t$, W_soft learns the fused probabilities, W_round2 fuses once more with W.
# * R adds Tang et al.'s relaxed dense-CRF energy $\sum_c S_c^\top A (1-S_c)$ to the pCE; `densecrf_loss`
#   computes it exactly on a downscaled grid, normalised per pixel, and matches the naive version.
# * What the DenseCRF energy, the CRF and the colour models recover is what colour reveals; the blocks above
#   say what the recorded runs show.
#
# ## Exercises
#
# 1. The soft cross-entropy's gradient is $p_i - \tilde p_i$. For a uniform network output, which pixels of
#    the sample pull hardest: those above or below $t$?
#
# <details><summary>Hint</summary>With $p_i = 1/K$, $\lVert p_i - \tilde p_i \rVert$ grows with how peaked
# $\tilde p_i$ is; use <code>layers.probs(key, "fused")</code>.</details>
# <details><summary>Solution</summary>Compute the mean norm over pixels with confidence above and below $t$:
# the confident pixels pull harder, so W_soft listens least to exactly the pixels W_confident drops, but
# still hears them.</details>
#
# 2. In section 3, drop only the thin parts (no growth into the shadow). Which trap, `halo` or
#    `part_hue_shift`, costs the true mask more energy?
#
# <details><summary>Hint</summary>Change <code>colour_driven</code> to skip the dilation, then compare both
# alternatives with the true mask.</details>
# <details><summary>Solution</summary>Count, as in section 3, the scenes where each alternative has the lower
# energy; the trap whose removal lowers $E$ in more scenes is the one the energy punishes the true mask
# for.</details>
