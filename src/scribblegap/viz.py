"""Drawing label maps, overlays, overview and results figures.

Library code never switches matplotlib's backend: a notebook keeps its inline figures, a terminal without a
display gets matplotlib's non-interactive default. :func:`show` saves a figure under ``figures/`` and shows it
inline in a notebook; :func:`save_figure` only saves it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .data.labels import IGNORE, voc_palette

PALETTE = voc_palette()


def colorize(labels: np.ndarray, palette: np.ndarray = PALETTE, ignore_color=(224, 224, 224)) -> np.ndarray:
    """Class-id map -> RGB; 255 drawn in ``ignore_color``."""
    rgb = palette[labels].copy()
    rgb[labels == IGNORE] = ignore_color
    return rgb


def overlay(image: np.ndarray, labels: np.ndarray, alpha: float = 0.55, palette: np.ndarray = PALETTE,
            skip_ignore: bool = True) -> np.ndarray:
    """Blend a label map over an image; unlabelled pixels (255) stay untouched when ``skip_ignore``."""
    out = image.astype(np.float32).copy()
    colours = palette[labels].astype(np.float32)
    where = labels != IGNORE if skip_ignore else np.ones(labels.shape, bool)
    out[where] = (1 - alpha) * out[where] + alpha * colours[where]
    return out.clip(0, 255).astype(np.uint8)


def thicken(labels: np.ndarray, radius: int = 2) -> np.ndarray:
    """Grow sparse labels (clicks) so they are visible in a small figure."""
    from scipy import ndimage

    out = labels.copy()
    for c in np.unique(labels[labels != IGNORE]):
        grown = ndimage.binary_dilation(labels == c, iterations=radius)
        out[grown & (out == IGNORE)] = c
    return out


def draw_points(ax, points, palette: np.ndarray = PALETTE, size: float = 60):
    """Scatter clicks in their class colours with a white rim (readable on any image)."""
    if not points:
        return
    xy = np.array([(p.x, p.y) for p in points])
    colours = [palette[p.cls] / 255 for p in points]
    markers = ["o" if p.rank is not None else "s" for p in points]
    for m in set(markers):
        sel = [i for i, k in enumerate(markers) if k == m]
        ax.scatter(xy[sel, 0], xy[sel, 1], c=[colours[i] for i in sel], s=size, marker=m, edgecolors="white",
                   linewidths=1.5)


def legend_handles(labels, palette: np.ndarray = PALETTE):
    """Patches for a class legend: one per kept class, in its palette colour."""
    from matplotlib.patches import Patch

    return [Patch(facecolor=palette[i] / 255, edgecolor="k", label=labels.names[i]) for i in labels.keep]


def class_pixel_fractions(dataset, n: int | None = None) -> dict[str, float]:
    """Fraction of labelled pixels per kept class, and of images containing each class."""
    counts = np.zeros(256, np.int64)
    present = np.zeros(256, np.int64)
    ids = dataset.ids if n is None else dataset.ids[:n]
    for key in ids:
        m = dataset.mask(key)
        c = np.bincount(m.ravel(), minlength=256)
        counts += c
        present += c > 0
    labelled = counts[list(dataset.labels.keep)].sum()
    return {dataset.labels.names[k]: {"pixels": float(counts[k] / max(labelled, 1)),
                                      "images": int(present[k])} for k in dataset.labels.keep}


def save_figure(fig, path, close: bool = True) -> Path:
    """Save atomically (a figure is replaced whole or not at all) and, by default, close it."""
    from .io import atomic_path

    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip(".") or "png", dpi=fig.dpi, bbox_inches="tight")
    if close:
        import matplotlib.pyplot as plt

        plt.close(fig)
    return path


def in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def show(fig, name: str, folder=None) -> Path:
    """Save ``fig`` as ``<folder>/<name>.png`` (default :func:`~scribblegap.settings.figures_dir`), show it
    inline in a notebook, close it."""
    from .settings import figures_dir

    path = Path(folder or figures_dir()) / (name if name.endswith(".png") else f"{name}.png")
    save_figure(fig, path, close=False)
    if in_notebook():
        from IPython.display import display

        display(fig)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


def dataset_overview(dataset, path, n: int = 8, weak=None, stats_images: int | None = 400) -> Path:
    """A grid of images over masks (and weak labels when given) plus per-class pixel statistics."""
    import matplotlib.pyplot as plt

    n = min(n, len(dataset))
    rows = 3 if weak is not None else 2
    fig = plt.figure(figsize=(2.0 * n, 2.0 * rows + 2.6), dpi=80)
    grid = fig.add_gridspec(rows + 1, n, height_ratios=[1] * rows + [1.3])
    for i in range(n):
        image, mask = dataset[i] if dataset.transform is None else (dataset.image(i), dataset.mask(i))
        panels = [image, colorize(mask)] + ([overlay(image, thicken(weak(dataset, i)), 0.9)]
                                            if weak is not None else [])
        for r, panel in enumerate(panels):
            ax = fig.add_subplot(grid[r, i])
            ax.imshow(panel)
            ax.set_axis_off()
            if r == 0:
                ax.set_title(dataset.ids[i], fontsize=6)
    stats = class_pixel_fractions(dataset, stats_images)
    ax = fig.add_subplot(grid[rows, :])
    names = list(stats)
    ax.bar(names, [stats[k]["pixels"] for k in names],
           color=[PALETTE[c] / 255 for c in dataset.labels.keep], edgecolor="k")
    for x, k in enumerate(names):
        ax.text(x, stats[k]["pixels"], f"{stats[k]['images']} img", ha="center", va="bottom", fontsize=7)
    ax.set_ylabel("fraction of labelled pixels")
    counted = len(dataset) if stats_images is None else min(stats_images, len(dataset))
    ax.set_title(f"{dataset.name} / {dataset.split}: {len(dataset)} images "
                 f"(class statistics over {counted})", fontsize=9)
    return save_figure(fig, path)


# ------------------------------------------------------------------------------------------ results
RUN_COLOURS = {"F": "tab:green", "B": "tab:red", "W": "tab:blue", "R": "tab:purple"}


def training_curves_figure(curves: dict[str, list[tuple[int, list[dict]]]]):
    """Validation mIoU against training minutes; ``curves``: {key: [(seed, [{train_seconds, val_miou}])]}."""
    import matplotlib.pyplot as plt

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
    import matplotlib.pyplot as plt

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
    import matplotlib.pyplot as plt

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
