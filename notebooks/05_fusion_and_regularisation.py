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
# # 05 · Fusion and regularisation: why averaging two poor annotators helps
#
# The paper's pseudo-labels are the **average** of a local annotator's probabilities (fitted to one
# image's scribbles) and the global annotator's (a network trained on all scribbles), **regularised** by a
# dense CRF. Each annotator alone is poor; their errors differ, so their mean is better than either. This
# notebook measures that on the chain of the main job (`make run`: the embedded scenes) and shows the
# figures recorded for VOC12-mini.

# %%
import json
import os
from pathlib import Path

SMOKE = "CI" in os.environ
import matplotlib.pyplot as plt
import numpy as np

from scribblegap.fusion import fuse, regularise, to_labels
from scribblegap.pipeline import chain_folders, example_chain
from scribblegap.store import load_probs, stored_path

# CI: a 24-image chain with 30-step networks in a temporary folder; otherwise the main job's own outputs
pipe = example_chain(SMOKE, stages=("chain", "pseudo"), log=lambda *a: None)
folders = chain_folders(pipe)
train = pipe.dataset("train")
labels = train.labels
keys = train.ids[: (24 if SMOKE else 200)]
print(f"{len(keys)} training images of {pipe.config.data!r}; folders:", {k: str(v) for k, v in folders.items()})

# %% [markdown]
# ## Where do the annotators agree, and who is right when they do not?

# %%
stats = {"agree": 0, "agree_right": 0, "local_only": 0, "global_only": 0, "both_wrong": 0, "pixels": 0}
probs = {}
for key in keys:
    truth = labels.to_index(train.mask(key))
    valid = truth != 255
    loc = load_probs(stored_path(folders["local"], key), labels)
    glo = load_probs(stored_path(folders["global"], key), labels)
    probs[key] = (loc, glo, truth)
    lr, gr = loc.argmax(0)[valid] == truth[valid], glo.argmax(0)[valid] == truth[valid]
    agree = loc.argmax(0)[valid] == glo.argmax(0)[valid]
    stats["pixels"] += int(valid.sum())
    stats["agree"] += int(agree.sum())
    stats["agree_right"] += int((agree & lr).sum())
    stats["local_only"] += int((lr & ~gr).sum())
    stats["global_only"] += int((gr & ~lr).sum())
    stats["both_wrong"] += int((~lr & ~gr).sum())
n = stats["pixels"]
print(f"the two annotators agree on {stats['agree'] / n:.1%} of the pixels, and are right on "
      f"{stats['agree_right'] / max(stats['agree'], 1):.1%} of those")
print(f"only the local one is right: {stats['local_only'] / n:.1%}; only the global one: "
      f"{stats['global_only'] / n:.1%}; both wrong: {stats['both_wrong'] / n:.1%}")


# %% [markdown]
# Pixels where exactly one annotator is right are the fusion's opportunity: the mean takes the more
# confident one. That works only if confidence means something, which the reliability diagram checks
# (perfect calibration is the diagonal).

# %%
def reliability(pairs, bins=10):
    conf = np.concatenate([p.max(0)[t != 255] for p, t in pairs])
    right = np.concatenate([(p.argmax(0) == t)[t != 255] for p, t in pairs])
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(conf, edges) - 1, 0, bins - 1)
    acc = np.array([right[which == b].mean() if (which == b).any() else np.nan for b in range(bins)])
    mid = (edges[:-1] + edges[1:]) / 2
    weight = np.bincount(which, minlength=bins) / len(conf)
    return mid, acc, float(np.nansum(weight * np.abs(acc - mid)))

plt.figure(figsize=(5, 4))
for name, pick in [("local", lambda l, g: l), ("global", lambda l, g: g), ("mean", lambda l, g: fuse(l, g))]:
    mid, acc, ece = reliability([(pick(l, g), t) for l, g, t in probs.values()])
    plt.plot(mid, acc, "-o", label=f"{name} (ECE {ece:.3f})")
plt.plot([0, 1], [0, 1], "k:", lw=1)
plt.xlabel("confidence (top probability)"); plt.ylabel("accuracy"); plt.legend(); plt.title("calibration")
plt.savefig("../figures/05_calibration.png" if not SMOKE else os.devnull, dpi=70, bbox_inches="tight", format="png")

# %% [markdown]
# ## Fusion variants and the local weight
#
# The mean (the paper's), a weighted geometric mean (*product*) and *max*-confidence, scored against the
# dense masks of these training images (pseudo-label mIoU); then the dense CRF on the mean.

# %%
from scribblegap.metrics import ConfusionMatrix
from scribblegap.scribbles import WeakLabels

weak = WeakLabels(folders["scribbles"])

def score(fn):
    cm = ConfusionMatrix(labels.num_classes)
    for key, (l, g, t) in probs.items():
        cm.update(fn(key, l, g).argmax(0), t)
    return cm.miou()

weights = [0.0, 0.25, 0.5, 0.75, 1.0]
for mode in ("mean", "product", "max"):
    row = [score(lambda k, l, g: fuse(l, g, w, mode, labels.to_index(weak(train, k)))) for w in weights]
    print(f"{mode:8s}" + "  ".join(f"w={w:.2f}: {100 * v:5.1f}" for w, v in zip(weights, row)))
crf_keys = list(probs)[: (8 if SMOKE else 60)]
sub = {k: probs[k] for k in crf_keys}
plain = ConfusionMatrix(labels.num_classes); crf = ConfusionMatrix(labels.num_classes)
for key, (l, g, t) in sub.items():
    w = labels.to_index(weak(train, key))
    f = fuse(l, g, 0.5, "mean", w)
    plain.update(f.argmax(0), t)
    crf.update(regularise(train.image(key), f, "crf", weak_index=w).argmax(0), t)
print(f"on {len(sub)} images: mean {100 * plain.miou():.1f} -> mean + dense CRF {100 * crf.miou():.1f}")

# %% [markdown]
# ## Inspector
#
# Pick an image and a layer; the opacity slider blends it over the photo. Per-image IoU of every layer is
# printed under the picture. (In JupyterLab the controls are live; in CI the view is drawn once.)

# %%
import ipywidgets as widgets

from scribblegap.evaluate import score_label_maps
from scribblegap.io import read_label_png
from scribblegap.viz import colorize, overlay

layers = {"scribbles": lambda k: weak(train, k), "local": lambda k: read(folders["local"], k),
          "global": lambda k: read(folders["global"], k), "fused": lambda k: read(folders["fused"], k),
          "fused + CRF": lambda k: read(folders["fused_crf"], k), "ground truth": lambda k: train.mask(k)}

def read(folder, key):
    return read_label_png(folder / f"{key}.png", train.image_shape(key), labels.valid_values())

image_pick = widgets.Dropdown(options=list(keys), description="image")
layer_pick = widgets.ToggleButtons(options=list(layers), value="fused + CRF", description="layer")
opacity = widgets.FloatSlider(value=0.6, min=0, max=1, step=0.05, description="opacity")
out = widgets.Output()

def show(*_):
    key = image_pick.value
    with out:
        out.clear_output(wait=True)
        image, layer = train.image(key), layers[layer_pick.value](key)
        fig, ax = plt.subplots(1, 2, figsize=(9, 4))
        ax[0].imshow(overlay(image, layer, opacity.value)); ax[0].set_title(f"{key}: {layer_pick.value}")
        ax[1].imshow(colorize(train.mask(key))); ax[1].set_title("ground truth")
        for a in ax:
            a.set_axis_off()
        plt.show()
        ious = {name: score_label_maps(train.with_ids([key]), lambda k, f=f: f(k)).miou()
                for name, f in layers.items() if name not in ("scribbles", "ground truth")}
        print("per-image mIoU: " + ", ".join(f"{n} {100 * v:.1f}" for n, v in ious.items()))

for w in (image_pick, layer_pick, opacity):
    w.observe(show, names="value")
display(widgets.VBox([image_pick, layer_pick, opacity, out]))
show()

# %% [markdown]
# ## Recorded pseudo-label quality
#
# From `results/default/summary.json` (the main job) and `results/voc12-mini/summary.json`
# (`python -m scribblegap run --config voc12-mini`), whole training splits against the dense masks.

# %%
from IPython.display import Markdown

from scribblegap.tables import fusion_table, pseudo_label_table

for name in ("default", "voc12-mini"):
    path = Path(f"../results/{name}/summary.json")
    summary = json.loads(path.read_text()) if path.is_file() else {}
    display(Markdown(pseudo_label_table(summary, title=f"{name}: pseudo-labels on train") or f"*{name}: not run yet*"))
# the fusion options on all 1200 VOC12-mini train images (python scripts/measure_fusion.py)
display(Markdown(fusion_table(Path("../results/voc12-mini/fusion_variants.json")) or "*fusion options: not measured yet*"))

# %% [markdown]
# On VOC12-mini the local annotator (random walker) is far better than the global one (a network trained
# from scratch on 1200 images): the equal-weight mean gains little over the local annotator alone, and a
# global weight above one half pulls the labels towards the weaker annotator. The product rewards
# agreement and degrades more gracefully; the confidence threshold trades coverage for precision.

# %% [markdown]
# ## Summary
#
# * Local and global annotators are right on different pixels; where they disagree the mean follows the
#   more confident one, and both are usefully (if imperfectly) calibrated.
# * The weighted mean is the paper's fusion; the weight, product and max variants are options of
#   `fuse` (`python -m scribblegap fuse --mode ... --weight ...`).
# * The dense CRF then snaps the fused labels to colour edges, the part of the gap that neither annotator
#   closes.
#
# ## Exercises
#
# 1. Fuse with `--threshold 0.7`: how many pixels become *ignore*, and does retraining on them help (notebook 06)?
# 2. Which weight is best on VOC12-mini? Is it the same as on the embedded scenes? Why might it differ?
# 3. Replace the CRF by `--superpixels`: what is lost?
