"""The results figures: validation curves during training, the annotation-budget curve, the boundary profile."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

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


def budget_figure(rows: list[dict], f_mean: float | None, f_std: float | None = None, clicks: dict | None = None,
                  b_std: float | None = None):
    """B and W against the achieved labelled fraction; F as a line with its seed band; clicks as lines.
    Points of several seeds carry error bars of ± their seed std; for points of one seed, ``b_std`` (the seed
    std of B at the default budget) is drawn as a band around each curve instead."""

    def achieved(r):  # where the simulator could not go as low as asked, the point sits where it did go
        a = r.get("achieved", r["budget"])
        return a.get("mean") if isinstance(a, dict) else a

    x = [100 * achieved(r) for r in rows]
    counts = sorted({r.get("n", 1) for r in rows}) or [1]
    seeds, seeds_text = counts[-1], f"{counts[0]}-{counts[-1]}" if len(counts) > 1 else f"{counts[0]}"
    fig, ax = plt.subplots(figsize=(6, 4), dpi=90)
    for key, color, label in (("B", "tab:red", "B: scribbles, pCE"), ("W", "tab:blue", "W: pseudo-labels")):
        y = [100 * r[key] for r in rows]
        if seeds > 1:
            err = [100 * (r.get(f"{key}_std") or 0) for r in rows]
            ax.errorbar(x, y, yerr=err, fmt="-o", color=color, capsize=3,
                        label=f"{label} (mean ± seed std, {seeds_text} seeds)")
            continue
        ax.plot(x, y, "-o", color=color, label=label)
        if b_std:
            ax.fill_between(x, [v - 100 * b_std for v in y], [v + 100 * b_std for v in y], color=color, alpha=0.12,
                            label=f"{key} ± B's seed std" if key == "B" else None)
    if f_mean is not None:
        ax.axhline(100 * f_mean, color="tab:green", ls="--", label="F: full masks")
        if f_std:
            ax.axhspan(100 * (f_mean - f_std), 100 * (f_mean + f_std), color="tab:green", alpha=0.15,
                       label="F ± seed std")
    for key, color in (("B", "tab:red"), ("W", "tab:blue")):  # about one click per object: drawn as lines
        if (clicks or {}).get(key, {}).get("miou") is not None:
            ax.axhline(100 * clicks[key]["miou"], color=color, ls=":", label=f"{key}: human clicks")
    ax.set_xscale("log")
    ax.set_xticks(x, [f"{v:.2g}" for v in x])  # the measured budgets, not powers of ten
    ax.minorticks_off()
    ax.set_xlabel("annotated pixels (%, as achieved by the simulator)")
    ax.set_ylabel("val mIoU (%)")
    ax.legend(fontsize=8)
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
