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
# # 06 · Training on pseudo-labels: W, R and the gap table
#
# The fused and regularised pseudo-labels of notebook 05 label *every* training pixel. Retraining the
# network on them gives **W**. Beside it, the peer method **R** (Tang et al. 2018) trains on the scribbles
# alone with partial cross-entropy plus a relaxed dense-CRF energy of the softmax (a Gaussian kernel on RGB
# and XY). With **F** (full masks) and **B** (scribbles, partial cross-entropy) they give the gap table.
#
# All networks here train **from scratch on a CPU**; a gap reduction is printed only where `F - B` clearly
# exceeds the seed noise.

# %%
import json
import os
from pathlib import Path

SMOKE = "CI" in os.environ
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image, Markdown

from scribblegap.pipeline import chain_folders, example_chain
from scribblegap.tables import gap_table

# CI: a 24-image chain with 30-step networks; otherwise the main job's runs (trained if missing)
pipe = example_chain(SMOKE, stages=("chain", "F", "R", "evaluate", "pseudo"), log=lambda *a: None)
folders = chain_folders(pipe)
summary = json.loads(pipe.layout.summary.read_text())
train = pipe.dataset("train")

# %% [markdown]
# ## Pseudo-labels against the truth
#
# What W is trained on: the fused + CRF label maps (rows) next to the dense masks, for a few training images.

# %%
from scribblegap.io import read_label_png
from scribblegap.viz import colorize, overlay

fig, axes = plt.subplots(3, 4, figsize=(11, 8))
for col, key in enumerate(train.ids[:4]):
    pseudo = read_label_png(folders["fused_crf"] / f"{key}.png", train.image_shape(key), train.labels.valid_values())
    for row, (panel, title) in enumerate([(train.image(key), key[-8:]), (colorize(pseudo), "pseudo-label"),
                                          (colorize(train.mask(key)), "truth")]):
        axes[row, col].imshow(panel); axes[row, col].set_title(title, fontsize=9); axes[row, col].set_axis_off()

# %% [markdown]
# ## The gap table of this chain
#
# F, B, W and R scored on the validation split, without and with the test-time dense CRF.

# %%
display(Markdown(gap_table(summary, f"{pipe.config.name}: {pipe.config.preset}, seeds {list(pipe.config.seeds)}")))

# %% [markdown]
# ## Recorded results
#
# The embedded scenes (`python -m scribblegap run --config default-fast`, fast preset), their variant
# without shadows and with parts in their body's colour (`--config default-variant`) and VOC12-mini
# (`--config voc12-mini`, long preset, three seeds), read from `results/*/summary.json`; all trained from
# scratch on a CPU. Round 2 is on the first seed only. Training curves come from the runs' logs.

# %%
for name in ("default", "default-variant", "voc12-mini"):
    path = Path(f"../results/{name}/summary.json")
    recorded = json.loads(path.read_text()) if path.is_file() else {}
    display(Markdown(gap_table(recorded, name) if "F" in recorded else f"*{name}: no F/B/W recorded yet*"))
    if "W_round2" in recorded:
        w2 = recorded["W_round2"]
        display(Markdown(f"Round 2 (W retrained on pseudo-labels fused with W as the global annotator): "
                         f"{100 * w2['miou']:.1f}% against W {100 * recorded['W']['miou']:.1f}%."))
    curves = Path(f"../figures/results_{name}_training_curves.png")
    if curves.is_file():
        display(Image(str(curves)))

# %% [markdown]
# ## Why the embedded scenes have a gap
#
# On VOC12-mini, trained from scratch on 1200 images, the networks are limited by what they can learn at
# all, not by the labels: F and B end within noise of each other (notebook 04). The embedded scenes are
# built so that dense masks teach what scribbles cannot (`SceneConfig`):
#
# * `thin_width`, `thin_parts`, `thin_length`: spikes, handles, teeth and legs too thin for a 3-px stroke kept
#   away from boundaries; `part_hue_shift` paints them in another colour than their body, so colour alone
#   does not tell a network that they belong to it;
# * `halo`, `halo_shade`: a darker shadow of each body's colour around it that belongs to the background:
#   a network trained on interior strokes bleeds into it, one trained on masks learns the boundary;
# * `clutter`, `clutter_like_objects`: free strokes in object and part colours that are background;
# * `hue_spread`, `texture`, `noise`, `blur`: class confusability and boundary softness.

# %%
from dataclasses import replace

from scribblegap.data import SceneConfig, SyntheticScenes

variants = {"default": SceneConfig(), "no halo": replace(SceneConfig(), halo=0),
            "parts like body": replace(SceneConfig(), part_hue_shift=0.0), "no thin parts": replace(SceneConfig(), thin_parts=0)}
fig, axes = plt.subplots(2, 4, figsize=(12, 6))
for col, (name, cfg) in enumerate(variants.items()):
    scenes = SyntheticScenes("train", cfg, limit=2)
    axes[0, col].imshow(scenes.image(1)); axes[0, col].set_title(name)
    axes[1, col].imshow(colorize(scenes.mask(1)))
for ax in axes.ravel():
    ax.set_axis_off()

# %% [markdown]
# ## Summary
#
# * W is DeepLabV2 (here its CPU stand-in) retrained on fused + CRF pseudo-labels; R adds a dense-CRF energy
#   to the scribble loss instead. Both aim at the pixels B never sees a label for.
# * Whether a gap reduction means anything depends on `F - B` against the seed noise: the report prints the
#   ratio only when the gap exceeds twice the pooled seed standard deviation.
#
# ## Exercises
#
# 1. `W_soft` (the table above) retrains W on the fused probabilities instead of their argmax
#    (`python -m scribblegap train --soft --labels <fused folder>`). Do the same on VOC12-mini: better or
#    worse than on the argmax labels, and why might soft targets matter more where the annotators are unsure?
# 2. Raise `rloss_weight` for R (`--rloss-weight 3`): where does it help, where does it over-smooth?
# 3. Set `halo=0` in `SceneConfig` and rerun `make run`: how much of the gap was the halo?
