"""Figures of weak-annotation statistics (from :func:`~scribblegap.scribbles.statistics.summarize`)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from scribblegap.data.plots import save_figure
from scribblegap.scribbles.statistics import GROUPS

_COLOURS = {"background": "#4c9be8", "objects": "#e8704c"}
_SOURCE_COLOURS = ["#333333", "#e8704c", "#4c9be8", "#6abf69", "#a05fc4"]


def _plt():
    return plt


def _bars(ax, edges, counts, **kw):
    edges = np.asarray(edges, float)
    counts = np.asarray(counts, float)
    total = counts.sum()
    ax.stairs(counts / total if total else counts, edges, **kw)


def plot_statistics(summary: dict, path=None, title: str = ""):
    """All statistics of one weak-label source on one page (10 panels). Saved when ``path`` is given."""
    plt = _plt()
    fig, axes = plt.subplots(2, 5, figsize=(21, 8.5), dpi=80, layout="constrained")
    ax = axes.ravel()

    lf = summary["labelled_fraction"]
    _bars(ax[0], np.asarray(lf["hist_edges"]) * 100, lf["hist"], fill=True, alpha=0.7)
    ax[0].set(title=f"labelled pixels per image\n(mean {100 * lf['mean_per_image']:.2f}%)",
              xlabel="% of the image", ylabel="fraction of images")

    names = list(summary["per_class"])
    frac = [summary["per_class"][n]["labelled_fraction_of_class_pixels"] or 0 for n in names]
    ax[1].bar(names, np.asarray(frac) * 100, color="#888")
    ax[1].set(title="labelled share of\neach class's pixels", ylabel="%")
    plt.setp(ax[1].get_xticklabels(), rotation=40, ha="right", rotation_mode="anchor")

    sc = summary["scribbles"]
    counts = np.asarray(sc["per_image_hist"], float)
    ax[2].bar(np.arange(len(counts)), counts / max(counts.sum(), 1), color="#888")
    ax[2].set(title=f"scribbles per image\n(mean {sc['per_image_mean'] or 0:.1f}; last bar: more)",
              xlabel="scribbles (connected labelled parts)", ylabel="fraction of images")

    _bars(ax[3], sc["length_edges"], sc["length_hist"], fill=True, alpha=0.7)
    ax[3].set_xscale("log")
    ax[3].set(title=f"scribble length\n(median {sc['length_px_median'] or 0:.0f} px)", xlabel="px",
              ylabel="fraction of scribbles")

    _bars(ax[4], sc["width_edges"], sc["width_hist"], fill=True, alpha=0.7)
    ax[4].set(title=f"scribble width\n(mean {sc['width_px_mean'] or 0:.1f} px)", xlabel="px",
              ylabel="fraction of scribbles")

    touched = summary["objects_touched"]
    buckets = touched["size_buckets"]
    x = np.arange(len(buckets))
    for k, g in enumerate(GROUPS):
        vals = [touched["by_size"][g][b]["fraction"] for b in buckets]
        ax[5].bar(x + (k - 0.5) * 0.4, [np.nan if v is None else v for v in vals], 0.4, label=g,
                  color=_COLOURS[g])
    ax[5].set_xticks(x, buckets, rotation=30, ha="right", rotation_mode="anchor")
    ax[5].set(title="objects touched, by size\n(share of the image)", ylabel="fraction touched",
              ylim=(0, 1.05))
    ax[5].legend(fontsize=8)

    bd = summary["boundary_distance"]
    for g in GROUPS:
        _bars(ax[6], bd["abs_edges"], bd[g]["abs_counts"],
              label=f"{g} (median {bd[g]['median_px'] or 0:.0f})",
              color=_COLOURS[g], linewidth=1.5)
        _bars(ax[7], bd["normalised_edges"], bd[g]["normalised_counts"],
              label=f"{g} (median {bd[g]['median_normalised'] or 0:.2f})", color=_COLOURS[g], linewidth=1.5)
    ax[6].set(title="distance of labelled pixels\nto the boundary", xlabel="px (last bin: farther)",
              ylabel="fraction of labelled pixels")
    ax[7].set(title="... normalised by\nthe object's inradius", xlabel="distance / inradius (1 = deepest)",
              ylabel="fraction of labelled pixels")
    ax[6].legend(fontsize=8)
    ax[7].legend(fontsize=8)

    pos = np.asarray(summary["position"]["object_box_hist"], float)
    im = ax[8].imshow(pos / max(pos.sum(), 1), cmap="magma", extent=(0, 1, 1, 0))
    fig.colorbar(im, ax=ax[8], fraction=0.046)
    ax[8].set(title="position inside\nthe object's box (objects)", xlabel="x / box width",
              ylabel="y / box height")

    cd = summary["position"]
    _bars(ax[9], cd["centroid_distance_edges"], cd["centroid_distance_hist"], fill=True, alpha=0.7)
    dis = summary["disagreement"]
    ax[9].set(title="distance to the\nobject's centroid (objects)", xlabel="distance / sqrt(area / pi)",
              ylabel="fraction of labelled pixels")
    ax[9].text(0.98, 0.95, f"labelled pixels on another class: {dis['pixels_on_other_class']}\n"
                           f"labelled pixels on void: {dis['pixels_on_void']}",
               transform=ax[9].transAxes, ha="right", va="top", fontsize=8)
    if title:
        fig.suptitle(f"{title} ({summary['images']} images)")
    if path is not None:
        return save_figure(fig, path)
    return fig


def plot_distance_comparison(samples: dict, path=None, tests: dict | None = None, title: str = ""):
    """Normalised boundary-distance distributions of several sources, background and objects side by side.

    ``samples``: ``{source name: {"background": values, "objects": values}}``; ``tests``: optional
    ``{group: text}`` (e.g. a KS statistic) added to each panel's title.
    """
    plt = _plt()
    fig, axes = plt.subplots(1, 4, figsize=(19, 4.2), dpi=80)
    edges = np.linspace(0, 1, 26)
    for k, g in enumerate(GROUPS):
        hist_ax, cdf_ax = axes[2 * k], axes[2 * k + 1]
        for i, (name, groups) in enumerate(samples.items()):
            v = np.asarray(groups.get(g, []), float)
            if not len(v):
                continue
            colour = _SOURCE_COLOURS[i % len(_SOURCE_COLOURS)]
            counts, _ = np.histogram(np.clip(v, 0, 1), edges)
            hist_ax.stairs(counts / counts.sum(), edges,
                           label=f"{name} (n={len(v)}, median {np.median(v):.2f})",
                           color=colour, linewidth=1.6)
            xs = np.sort(v)
            cdf_ax.plot(xs, np.arange(1, len(xs) + 1) / len(xs), color=colour, label=name)
        extra = f"\n{tests[g]}" if tests and g in tests else ""
        hist_ax.set(title=f"{g}: distance / inradius{extra}", xlabel="normalised distance to the boundary",
                    ylabel="fraction")
        cdf_ax.set(title=f"{g}: cumulative", xlabel="normalised distance to the boundary", ylabel="CDF")
        hist_ax.legend(fontsize=7)
        cdf_ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    if path is not None:
        return save_figure(fig, path)
    return fig


def plot_coverage_comparison(summaries: dict, path=None, title: str = ""):
    """Per class: share of objects touched and share of images whose class got any label, per source."""
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(18, 4.2), dpi=80)
    first = next(iter(summaries.values()))
    names = list(first["per_class"])
    x = np.arange(len(names))
    width = 0.8 / len(summaries)
    keys = (("objects_touched_fraction", "objects touched (all sizes)"),
            ("large_objects_touched_fraction", "objects > 1% of the image touched"),
            (None, "images with the class that label it"))
    for ax, (key, label) in zip(axes, keys):
        for i, (source, summary) in enumerate(summaries.items()):
            pc = summary["per_class"]
            if key is None:
                vals = [pc[n]["images_with_class_labelled"] / pc[n]["images_with_class"]
                        if pc[n]["images_with_class"] else np.nan for n in names]
            else:
                vals = [np.nan if pc[n][key] is None else pc[n][key] for n in names]
            ax.bar(x + (i - (len(summaries) - 1) / 2) * width, vals, width, label=source,
                   color=_SOURCE_COLOURS[i % len(_SOURCE_COLOURS)])
        ax.set_xticks(x, names, rotation=45)
        ax.set(title=label, ylim=(0, 1.05), ylabel="fraction")
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    if path is not None:
        return save_figure(fig, path)
    return fig


def plot_budget_curve(rows: list[dict], path=None, title: str = "", tolerance: float = 0.1):
    """Achieved vs target labelled fraction (``rows``: dicts with ``split``, ``target``, ``achieved``)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 4.5), dpi=80)
    targets = np.array(sorted({r["target"] for r in rows}))
    span = np.geomspace(targets.min() * 0.8, targets.max() * 1.25, 50)
    ax.fill_between(span, span * (1 - tolerance), span * (1 + tolerance), color="#ddd",
                    label=f"asked budget ± {100 * tolerance:.0f}%")
    ax.plot(span, span, color="#999", linewidth=1)
    for i, split in enumerate(sorted({r["split"] for r in rows})):
        pts = sorted((r["target"], r["achieved"]) for r in rows if r["split"] == split)
        ax.plot(*zip(*pts), "o-", label=split, color=_SOURCE_COLOURS[(i + 1) % len(_SOURCE_COLOURS)])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set(xlabel="budget (target fraction of labelled pixels)", ylabel="achieved mean fraction",
           title=title or "budget vs achieved")
    ax.legend(fontsize=8)
    if path is not None:
        return save_figure(fig, path)
    return fig
