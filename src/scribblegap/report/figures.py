"""The results figures: validation curves during training, the annotation-budget curve, the boundary profile."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from scribblegap.report.stats import paired_t

RUN_COLOURS = {"F": "tab:green", "B": "tab:red", "W": "tab:blue", "R": "tab:purple"}


def training_curves_figure(curves: dict[str, list[tuple[int, list[dict]]]]):
    """Validation mIoU against training minutes; ``curves``: {key: [(seed, [{train_seconds, val_miou}])]}."""
    fig, ax = plt.subplots(figsize=(7, 4), dpi=90)
    for key, runs in curves.items():
        for seed, pts in runs:
            ax.plot([e["train_seconds"] / 60 for e in pts], [100 * e["val_miou"] for e in pts], "-o", ms=3,
                    color=RUN_COLOURS.get(key), alpha=0.8, label=f"{key} seed {seed}")
    ax.set_xlabel("training time (minutes, CPU)")
    ax.set_ylabel("val mIoU (%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    return fig


def budget_figure(rows: list[dict], f_scores: list[float], clicks: dict | None = None,
                  human: tuple[float, float] | None = None):
    """B, W and R against the achieved labelled fraction, each point the mean over its seeds with the 95% t
    interval of that mean; F (which sees no scribbles) as a line with its interval as a band; human clicks as
    dotted lines; ``human``, the share of pixels human scribbles cover (low, high), as a shaded span."""

    def achieved(r):  # where the simulator could not go as low as asked, the point sits where it did go
        a = r.get("achieved", r["budget"])
        return a.get("mean") if isinstance(a, dict) else a

    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=90)
    if human:
        ax.axvspan(100 * human[0], 100 * human[1], color="0.85", alpha=0.6, lw=0,
                   label=f"human scribbles in the paper ({100 * human[0]:g}-{100 * human[1]:g}%)")
    x_all = [100 * achieved(r) for r in rows]
    labels = {"B": "B: scribbles, pCE", "W": "W: pseudo-labels", "R": "R: pCE + DenseCRF loss"}
    for key, label in labels.items():
        points = [(100 * achieved(r), paired_t([s[key] for s in r.get("runs", []) if s.get(key) is not None]))
                  for r in rows]
        points = [(x, t) for x, t in points if t["n"]]
        if not points:
            continue
        x = [p for p, _ in points]
        y = [100 * t["mean"] for _, t in points]
        err = [100 * (t["high"] - t["mean"]) if t["n"] > 1 else 0 for _, t in points]
        seeds = sorted({t["n"] for _, t in points})
        ax.errorbar(x, y, yerr=err, fmt="-o", color=RUN_COLOURS[key], capsize=3,
                    label=f"{label} ({'-'.join(map(str, seeds))} seeds)")
    f = paired_t(f_scores) if f_scores else None
    if f is not None and f["n"]:
        ax.axhline(100 * f["mean"], color=RUN_COLOURS["F"], ls="--", label=f"F: full masks ({f['n']} seeds)")
        if f["n"] > 1:
            ax.axhspan(100 * f["low"], 100 * f["high"], color=RUN_COLOURS["F"], alpha=0.15)
    for key in ("B", "W"):  # about one click per object: drawn as lines
        if (clicks or {}).get(key, {}).get("miou") is not None:
            n = clicks[key].get("n", 1)
            ax.axhline(100 * clicks[key]["miou"], color=RUN_COLOURS[key], ls=":",
                       label=f"{key}: human clicks ({n} seed{'s' * (n > 1)})")
    ax.set_xscale("log")
    ax.set_xticks(x_all, [f"{v:.2g}" for v in x_all])  # the measured budgets, not powers of ten
    ax.minorticks_off()
    ax.set_xlabel("annotated pixels (%, as achieved by the simulator)")
    ax.set_ylabel("val mIoU (%), mean and 95% interval over seeds")
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(alpha=0.3)
    return fig


def boundary_figure(profile: dict):
    """Share of val pixels the reference labels right and another network wrong, by boundary distance."""
    ref = profile["reference"]
    labels = [f"{a:g}-{b:g}" if b is not None else f">={a:g}" for a, b in profile["bands"]]
    x = np.arange(len(labels))
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), dpi=90)
    for m in profile["models"]:
        if m == ref:
            continue
        s = profile["shares"]
        ax.plot(x, [100 * v for v in s[f"only_{ref}_{m}"]], "-o", color=RUN_COLOURS.get(m), label=f"{ref} right, {m} wrong")
        ax.plot(x, [100 * v for v in s[f"only_{m}_{ref}"]], "--o", color=RUN_COLOURS.get(m), alpha=0.6,
                label=f"{m} right, {ref} wrong")
        net = [100 * (a - b) * w for a, b, w in zip(s[f"only_{ref}_{m}"], s[f"only_{m}_{ref}"], profile["pixel_share"])]
        ax2.bar(x + (0.2 if m == "W" else -0.2), net, width=0.4, color=RUN_COLOURS.get(m), label=f"{ref} - {m}")
    for a in (ax, ax2):
        a.set_xticks(x, labels)
        a.set_xlabel("distance to the nearest boundary (px)")
        a.grid(alpha=0.3)
        a.legend(fontsize=8)
    ax.set_ylabel("share of the band's pixels (%)")
    ax2.set_ylabel("points of pixel accuracy")
    ax.set_title("where the networks disagree", fontsize=9)
    ax2.set_title("what each band adds to the accuracy gap", fontsize=9)
    fig.tight_layout()
    return fig
