# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
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
# # 08 · Appendix: the project's bookkeeping
#
# Not a lesson: the measurements that chose the project's settings, kept out of the course so that its
# notebooks stay about the method. Each section reads one results file and names the command that writes it:
# the training presets and how `cpu-pretrained` was chosen, the training speed of this kind of machine, the
# training curves of the recorded runs, the compact probability store, and the knobs of the embedded scenes.

# %%
from scribblegap.report.course import setup; SMOKE = setup()

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image, Markdown, display

from scribblegap.core.settings import REPO_ROOT, figures_dir
from scribblegap.data import load_dataset
from scribblegap.data.plots import colorize, show
from scribblegap.data.synthetic import SCENE_VARIANTS
from scribblegap.experiment.configs import load_config
from scribblegap.experiment.results import load_summary
from scribblegap.network.presets import PRESETS
from scribblegap.report import tables
from scribblegap.report.blocks import results_block
from scribblegap.report.figures import training_curves_figure

RESULTS = REPO_ROOT / "results"


def recorded(path: Path, make: str) -> dict:
    """A results file, or {} after one line saying which command writes it."""
    if path.is_file():
        return json.loads(path.read_text())
    print(f"not recorded yet: {path.relative_to(REPO_ROOT)}; run `{make}`")
    return {}


display(Markdown("\n".join(["| preset | why | changes to the defaults |", "| --- | --- | --- |"]
                           + [f"| `{name}` | {p.why} | {p.describe()} |" for name, p in PRESETS.items()])))

# %% [markdown]
# ## The training presets and the preset search
#
# Every network is trained from a *preset*: a few changes to `TrainConfig`'s defaults, each with the reason
# it exists (above). `cpu-pretrained` was chosen by training F on VOC12-mini (one seed each) for a few
# changes of a starting point, recorded in `results/voc12-mini/preset_search.json`:

# %%
search = RESULTS / "voc12-mini" / "preset_search.json"
display(Markdown(tables.preset_search_table(search) or "not recorded yet: `results/voc12-mini/preset_search.json`"))
if search.is_file():
    runs = json.loads(search.read_text())["runs"]
    fig = training_curves_figure({r["candidate"]: [(r["seed"], [{"train_seconds": s, "val_miou": m}
                                                                for _, s, m in r["curve"]])]
                                  for r in runs.values()})
    fig.axes[0].set_title("preset search: F on VOC12-mini (ImageNet-initialised EfficientNet-Lite0)", fontsize=9)
    show(fig, "08_preset_search_curves")

# %% [markdown]
# ## Training speed on this kind of machine
#
# `scripts/bench_train.py` times training steps of each architecture and preset on the CPU
# (`make bench`; `results/bench_train_cpu.json` and `results/bench_train_cpu_presets.json`):

# %%
for name in ("bench_train_cpu.json", "bench_train_cpu_presets.json"):
    bench = recorded(RESULTS / name, "make bench")
    rows = ["| run | architecture | crop | batch | threads | images / s |", "| --- | --- | --- | --- | --- | --- |"]
    rows += [f"| {r.get('label', '')} | {r['arch']} | {r['crop']} | {r['batch']} | {r.get('threads', bench.get('threads'))} "
             f"| {r['images_per_s']} |" for r in bench.get("results", [])]
    if bench:
        display(Markdown(f"`results/{name}` ({bench.get('device')}):\n\n" + "\n".join(rows)))

# %% [markdown]
# ## Training curves of the recorded runs
#
# Validation mIoU along training of the recorded F, B, W and R of `voc12-mini`, as `scribblegap report`
# draws them from the runs' records:

# %%
from scribblegap.report.markdown import figures as report_figures

for path, caption in report_figures(RESULTS / "voc12-mini", Path(figures_dir())):
    if path.name.endswith("_training_curves.png"):
        display(Image(filename=str(path), width=640))

# %% [markdown]
# ## The compact probability store
#
# The local annotators' runner stores each image's probabilities for the fusion stage: only the classes its
# weak labels name, quantised to uint8 and zlib-compressed (`scribblegap.data.store`). The measured size
# (`scribblegap measure local --config voc12-mini`, `results/voc12-mini/local_annotators.json`) against
# float32 tensors of all 7 classes, and the projection for the 10,582 images of VOC `train_aug`:

# %%
res = recorded(RESULTS / "voc12-mini" / "local_annotators.json", "scribblegap measure local --config voc12-mini")
if res:
    s = res["store_projection"]
    print(f"{s['method']}: {s['bytes_per_image'] / 1024:.1f} KiB per image -> {s['projected_gb']:.2f} GB for "
          f"{s['images']} images; largest of any model {s['largest_any_method_bytes_per_image'] / 1024:.1f} KiB")
    h, w = res["timing"]["mean_image_size_hw"]
    print(f"float32, 7 classes, {w}x{h} pixels: {7 * h * w * 4 / 1024:.0f} KiB per image")

# %% [markdown]
# ## The knobs of the embedded scenes
#
# The embedded data set (`scribblegap.data.synthetic`) is generated from the knobs of `SceneConfig`. The
# **hard** scenes (`SCENE_VARIANTS["hard"]`, config `hard-fast`) paint thin parts in the opposite hue of
# their body and put a body-coloured shadow around each body; `hard-variant` is the same scenes without the
# two traps, and `default` the main job. Candidate knob sets were measured for the default scenes
# (`results/scene_tuning.json`). The knobs in which these scene sets differ:

# %%
from scribblegap.data.registry import scene_config_from_spec
from scribblegap.data.synthetic import SceneConfig

tuning = recorded(RESULTS / "scene_tuning.json", "the scene search (results/scene_tuning.json)")


def data_spec(name: str) -> str:
    cfg = load_summary(RESULTS / name / "config.json").get("pipeline", {})
    return cfg.get("data") or load_config(name).data


scene_sets = {name: data_spec(name) for name in ("hard-fast", "hard-variant", "default")}
scene_sets.update({f"tuning: {name}": row["data"] for name, row in tuning.items()})
knobs = {name: (scene_config_from_spec(spec.split(":", 1)[1]) if ":" in spec else SceneConfig()).to_dict()
         for name, spec in scene_sets.items()}
differ = [k for k in SceneConfig().to_dict() if len({str(v[k]) for v in knobs.values()}) > 1]
rows = ["| knob | " + " | ".join(knobs) + " |", "| --- |" + " --- |" * len(knobs)]
rows += [f"| `{k}` | " + " | ".join(f"{v[k]:g}" for v in knobs.values()) + " |" for k in differ]
display(Markdown("\n".join(rows)) if differ else Markdown("*These scene sets share all their knobs.*"))
same = SceneConfig().to_dict() == SceneConfig(**SCENE_VARIANTS["hard"]).to_dict()
chosen = [name for name, spec in scene_sets.items() if name.startswith("tuning: ") and knobs[name] == SceneConfig().to_dict()]
print("the default knobs are " + ("the hard ones (no re-tuned set has replaced them yet)" if same
                                  else "not the hard ones: " + ", ".join(
                                      f"{k} {v} (hard {SCENE_VARIANTS['hard'][k]})"
                                      for k, v in SceneConfig().to_dict().items() if SCENE_VARIANTS["hard"][k] != v)))
if chosen:
    print("they are those of the candidate", chosen[0].removeprefix("tuning: "))

# %%
shown_sets = {"hard": "default:hard", "hard-variant": scene_sets["hard-variant"], "default": "default"}
idx = (1, 2)
fig, axes = plt.subplots(len(shown_sets), 2 * len(idx), figsize=(8.5, 2.2 * len(shown_sets) + 0.4), dpi=72)
masks = {}
for row, (name, spec) in enumerate(shown_sets.items()):
    ds = load_dataset(spec, "train", limit=max(idx) + 1)
    masks[name] = [ds.mask(i) for i in idx]
    for col, i in enumerate(idx):
        axes[row, 2 * col].imshow(ds.image(i))
        axes[row, 2 * col].set_title(f"{name}: {ds.ids[i]}", fontsize=8)
        axes[row, 2 * col + 1].imshow(colorize(ds.mask(i)))
        axes[row, 2 * col + 1].set_title("mask", fontsize=8)
for ax in axes.ravel():
    ax.set_axis_off()
fig.tight_layout()
show(fig, "06_scene_sets")
print("hard and hard-variant scenes have the same masks:",
      all(np.array_equal(a, b) for a, b in zip(masks["hard"], masks["hard-variant"])))

# %% [markdown]
# The same index gives the same geometry in the hard scenes and their variant: only the colours of the
# parts and of the shadow change. The recorded F, B, W and R of the two hard scene sets, and their
# pseudo-labels (those of the default scenes are in `results/default/report.md`, which every `make run`
# writes again):

# %% tags=["results-block"]
display(Markdown(results_block("gap", "hard-fast")))

# %% tags=["results-block"]
display(Markdown(results_block("gap", "hard-variant")))

# %% tags=["results-block"]
display(Markdown(results_block("pseudo", "hard-fast")))

# %% tags=["results-block"]
display(Markdown(results_block("pseudo", "hard-variant")))

# %% [markdown]
# And the candidates of the scene search, one seed each (compare W - B with the seed noise of the rows
# above before reading a ranking into it):

# %%
if tuning:
    rows = ["| candidate | knobs | F % | B % | W % | F - B | W - B | pseudo-labels (fused + CRF) % |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    def fmt(x):
        return f"{100 * x:.1f}" if x is not None else "–"

    for name, t in tuning.items():
        f, b, w = (t.get(k) for k in ("F", "B", "W"))
        rows.append(f"| {name} | `{t['data']}` | {fmt(f)} | {fmt(b)} | {fmt(w)} | "
                    f"{fmt(f - b) if None not in (f, b) else '–'} | {fmt(w - b) if None not in (w, b) else '–'} | "
                    f"{fmt(t.get('pseudo_labels', {}).get('fused_crf'))} |")
    steps = sorted({t["iters"] for t in tuning.values() if "iters" in t})
    display(Markdown("#### Candidate scene knobs (`results/scene_tuning.json`, one seed each"
                     + (f", {' or '.join(map(str, steps))} training steps" if steps else "") + ")\n\n"
                     + "\n".join(rows)))
    print("the main job trains for", load_summary(RESULTS / "default" / "config.json").get("training", {}).get("iters"),
          "steps")
