"""The results blocks a notebook shows: each one markdown text computed from a results folder alone, so that
a test can compute it again and compare it with the notebook's stored output (a stale cell fails).

A notebook cell shows one with ``display(Markdown(results_block("claims", "voc12-mini")))`` and carries the
cell tag ``results-block``; ``tests/test_notebook_results.py`` checks every such cell.
"""
from __future__ import annotations

from pathlib import Path

from scribblegap.core.layout import CONFIG, SUMMARY
from scribblegap.core.settings import REPO_ROOT
from scribblegap.experiment.results import load_summary
from scribblegap.report import markdown, tables
from scribblegap.report.claims import load_results

KINDS = ("claims", "gap", "budget", "pseudo", "points", "boundary", "regimes")


def results_block(kind: str, name: str = "voc12-mini", results_root=None) -> str:
    """The markdown of one results block of ``results/<name>/``."""
    root = Path(results_root) if results_root is not None else REPO_ROOT / "results"
    folder = root / name
    summary = load_summary(folder / SUMMARY)
    if kind == "claims":
        return markdown.claims_section(root, (name,))
    if kind == "gap":
        return tables.gap_table(summary, results=load_results(folder))
    if kind == "budget":
        return tables.budget_table(summary, load_summary(folder / CONFIG), load_results(folder))
    if kind == "pseudo":
        return tables.pseudo_label_table(summary)
    if kind == "points":
        return tables.points_table(summary)
    if kind == "boundary":
        return tables.boundary_table(folder / "boundary.json")
    if kind == "regimes":
        summaries = {n: load_summary(root / n / SUMMARY) for n in markdown.REGIMES}
        return tables.regimes_table({n: s for n, s in summaries.items() if s}, markdown.REGIMES)
    raise ValueError(f"unknown results block {kind!r}; choose from {', '.join(KINDS)}")
