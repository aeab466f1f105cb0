"""Drawing images and label maps: colours, overlays, legends, the data set overview, saving and showing figures.

Library code never switches matplotlib's backend: a notebook keeps its inline figures, a terminal without a
display gets matplotlib's non-interactive default. :func:`show` saves a figure under ``figures/`` and shows it
inline in a notebook; :func:`save_figure` only saves it.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch
from scipy import ndimage

from scribblegap.core.io import atomic_path
from scribblegap.core.settings import figures_dir
from scribblegap.data.labels import IGNORE, voc_palette

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
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip(".") or "png", dpi=fig.dpi, bbox_inches="tight")
    if close:

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
    """Save ``fig`` as ``<folder>/<name>.png`` (default :func:`~scribblegap.core.settings.figures_dir`), show it
    inline in a notebook, close it."""
    path = Path(folder or figures_dir()) / (name if name.endswith(".png") else f"{name}.png")
    save_figure(fig, path, close=False)
    if in_notebook():
        from IPython.display import display

        display(fig)

    plt.close(fig)
    return path


def dataset_overview(dataset, path, n: int = 8, weak=None, stats_images: int | None = 400) -> Path:
    """A grid of images over masks (and weak labels when given) plus per-class pixel statistics, in the data
    set's own class names and colours."""
    n = min(n, len(dataset))
    rows = 3 if weak is not None else 2
    fig = plt.figure(figsize=(2.0 * n, 2.0 * rows + 2.6), dpi=80)
    grid = fig.add_gridspec(rows + 1, n, height_ratios=[1] * rows + [1.3])
    for i in range(n):
        image, mask = dataset[i] if dataset.transform is None else (dataset.image(i), dataset.mask(i))
        panels = [image, colorize(mask, dataset.palette)]
        if weak is not None:
            panels.append(overlay(image, thicken(weak(dataset, i)), 0.9, dataset.palette))
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
           color=[dataset.palette[c] / 255 for c in dataset.labels.keep], edgecolor="k")
    for x, k in enumerate(names):
        ax.text(x, stats[k]["pixels"], f"{stats[k]['images']} img", ha="center", va="bottom", fontsize=7)
    ax.set_ylabel("fraction of labelled pixels")
    counted = len(dataset) if stats_images is None else min(stats_images, len(dataset))
    ax.set_title(f"{dataset.name} / {dataset.split}: {len(dataset)} images "
                 f"(class statistics over {counted})", fontsize=9)
    return save_figure(fig, path)
