"""The report: ``results/<name>/report.md``, its figures, and the README's results blocks, all regenerated
from the results files. Verdicts come from :mod:`scribblegap.report.claims`, tables from :mod:`scribblegap.report.tables`,
figures from :mod:`scribblegap.data.plots`; this module only puts them together.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from scribblegap.core.io import atomic_path
from scribblegap.core.layout import REPORT, SUMMARY
from scribblegap.data.plots import save_figure
from scribblegap.experiment.results import load_summary, recorded_curve
from scribblegap.report import tables
from scribblegap.report.claims import CLAIM_ORDER, PAPER, budget_rows, claims, load_results
from scribblegap.report.figures import boundary_figure, budget_figure, training_curves_figure
from scribblegap.report.tables import CLAIM_HEADER, claim_cells, regimes_table


def _training_curves(summary: dict) -> dict:
    out = {}
    for key in ("F", "B", "W", "R"):
        runs = []
        for run in summary.get(key, {}).get("runs", []):
            pts = recorded_curve(run)
            if pts:
                runs.append((run.get("seed"), pts))
        if runs:
            out[key] = runs
    return out


def figures(results_dir: Path, figures_dir: Path) -> list[tuple[Path, str]]:
    """Draw the figures of one results folder; returns (path, caption) of each drawn."""
    summary = load_summary(results_dir / "summary.json")
    name, drawn = results_dir.name, []
    curves = _training_curves(summary)
    if curves:
        path = figures_dir / f"results_{name}_training_curves.png"
        drawn.append((save_figure(training_curves_figure(curves), path), "validation mIoU during training"))
    f, rows = budget_rows(summary)
    if len(rows) >= 2:
        band = summary.get("budget_curve", {}).get("F", {}).get("runs") or summary.get("F", {}).get("runs", [])
        fig = budget_figure(rows, [r["miou"] for r in band], summary.get("points"), PAPER["human_budget"])
        drawn.append((save_figure(fig, figures_dir / f"results_{name}_budget_curve.png"), "annotation budget"))
    boundary = results_dir / "boundary.json"
    if boundary.is_file():
        fig = boundary_figure(json.loads(boundary.read_text()))
        drawn.append((save_figure(fig, figures_dir / f"results_{name}_boundary.png"),
                      "where F beats B and W, by distance to the boundary"))
    return drawn


def section(results_dir: Path, figures_dir: Path, title: str) -> str:
    summary = load_summary(results_dir / "summary.json")
    if not summary:
        return f"### {title}\n\nNo results yet (`{results_dir}/summary.json` is missing).\n"
    config = load_summary(results_dir / "config.json")
    results = load_results(results_dir)  # one cache of comparisons for every table
    parts = [f"### {title}\n", tables.gap_table(summary, results=results), tables.class_iou_table(summary),
             tables.gap_along_training(summary),
             tables.pseudo_label_table(summary), tables.fusion_table(results_dir / "fusion_variants.json"),
             tables.budget_table(summary, config, results), tables.points_table(summary),
             tables.pseudo_label_table(summary, "pseudo_labels@points", "Pseudo-labels from human clicks"),
             tables.boundary_table(results_dir / "boundary.json"),
             tables.preset_search_table(results_dir / "preset_search.json"), tables.claims_table(results)]
    parts += [f"![{caption}](figures/{path.name})\n" for path, caption in figures(results_dir, figures_dir)]
    return "\n".join(p for p in parts if p)


def write_report(results_dir, figures_dir="figures", readme=None) -> Path:
    """Write ``<results_dir>/report.md`` and its figures (and the README block, when given); return its path."""
    results_dir, figures_dir = Path(results_dir), Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    text = section(results_dir, figures_dir, results_dir.name)
    path = results_dir / "report.md"
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    if readme is not None:
        update_readme(readme, text, results_dir.name)
    return path


def update_readme(readme, text: str, name: str) -> bool:
    """Replace the block between ``<!-- results:<name>:start -->`` and ``...:end -->``; False if there is none."""
    readme = Path(readme)
    start, end = f"<!-- results:{name}:start -->", f"<!-- results:{name}:end -->"
    body = readme.read_text()
    if start not in body:
        return False
    new = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: f"{start}\n{text}\n{end}", body, flags=re.S)
    with atomic_path(readme) as tmp:
        tmp.write_text(new)
    return True


def benchmarks_section(results_root="results") -> str:
    """Speed and size figures from the benchmark scripts' JSON files (missing ones are skipped)."""
    root = Path(results_root)
    lines = []
    sim = root / "voc12-mini" / "simulator.json"
    if sim.is_file():
        d = json.loads(sim.read_text())
        t, dw = d["throughput"], d["done_when"]
        lines.append(f"- **Scribble simulator** (`python scripts/bench_simulator.py`): "
                     f"{t['simulate_images_per_cpu_second']:.1f} VOC images per CPU-second at the default budget; "
                     f"budgets 0.5-10% met within 10% on train and val: {dw['all_budgets_within_10_percent']}; "
                     f"scribble pixels disagreeing with the mask: {dw['disagreeing_pixels']}; objects above 1% of the "
                     f"image touched: {100 * dw['objects_larger_than_1pct_touched_at_default']['train']:.0f}% (train).")
    loc = root / "voc12-mini" / "local_annotators.json"
    if loc.is_file():
        d = json.loads(loc.read_text())
        rows = " · ".join(f"{name} {m['miou_scribbles']:.1f}% / {m.get('miou_points', float('nan')):.1f}% "
                          f"({m['sec_per_image']:.3f} s)" for name, m in d["methods"].items())
        sp = d["store_projection"]
        lines.append(f"- **Local annotators** (`scribblegap measure local`, VOC12-mini train, "
                     f"pseudo-label mIoU from simulated scribbles / from human clicks, seconds per image on one "
                     f"core): {rows}. Probability store: {sp['bytes_per_image'] / 1024:.0f} KiB per image for "
                     f"{sp['method']}, {sp['projected_gb']:.2f} GB projected for VOC train_aug "
                     f"({sp['images']} images).")
    for bench in sorted(root.glob("bench_train_*.json")):
        d = json.loads(bench.read_text())
        batches = {r["batch"] for r in d["results"]}
        one_batch = len(batches) == 1  # else each row names its own batch (presets train with their own)

        def setting(r):
            text = f"{r['arch']} OS{r['output_stride']} {r['head']} {r['crop']}px" + (
                "" if one_batch else f", batch {r['batch']}") + (
                f", {r['threads']} thread{'s' * (r['threads'] > 1)}" if r.get("threads") else "")
            return f"{r['label']} ({text})" if r.get("label") else text

        rows = ", ".join(f"{setting(r)}: {r['images_per_s']:.1f} img/s" for r in d["results"])
        batch = f", batch {batches.pop()}" if one_batch else ""
        lines.append(f"- **Training throughput** on {d['provenance']['machine']} (`{bench.name}`{batch}): {rows}.")
    return "\n".join(lines) + "\n"


def claims_section(results_root="results", names=("voc12-mini",), crf: bool = False) -> str:
    """The paper's claims against what the recorded runs show: for each claim, the rows of every results
    folder (:func:`~scribblegap.report.claims.claims`: one per budget it is judged at), with their estimate,
    95% interval, verdict and the seeds a decision would need."""
    header = CLAIM_HEADER[:1] + ["results"] + CLAIM_HEADER[1:]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    rows = {name: claims(load_results(Path(results_root) / name), crf) for name in names}
    for claim in CLAIM_ORDER:
        for name in names:
            for row in rows[name]:
                if row["claim"] == claim:
                    cells = claim_cells(row)
                    lines.append("| " + " | ".join(cells[:1] + [name] + cells[1:]) + " |")
    return "\n".join(lines) + "\n"


REGIMES = {"voc12-mini": "ImageNet-initialised EfficientNet-Lite0 (cpu-pretrained)",
           "voc12-mini-scratch": "from scratch, MobileNetV3-small (cpu-long)"}


def update_readme_blocks(readme="README.md", results_root="results", names=(), claim_names=()) -> None:
    """Every results block of the README: one per results folder, the regimes, the benchmarks, the claims."""
    for name in names:
        update_readme(readme, (Path(results_root) / name / "report.md").read_text(), name)
    found = {n: load_results(Path(results_root) / n) for n in REGIMES}
    update_readme(readme, regimes_table({n: r for n, r in found.items() if r["summary"]}, REGIMES), "regimes")
    update_readme(readme, benchmarks_section(results_root), "benchmarks")
    if claim_names:
        update_readme(readme, claims_section(results_root, tuple(claim_names)), "claims")
        first = Path(results_root) / claim_names[0]
        update_readme(readme, "\n".join(f"- {line}" for line in headline(first, where=False)) + "\n", "headline")
    update_readme(readme, timings_section(results_root), "timings")
    update_readme(readme, own_data_section(results_root), "own-data")


QUICK_START = "quick_start.json"   # results/: the README's two commands timed in a fresh clone
OWN_DATA = "own_data_bench.json"   # results/<name>/: scripts/bench_own_data.py


def timings_section(results_root="results") -> str:
    """The README's two commands as timed by ``scripts/time_quick_start.py`` (nothing where it has not run)."""
    path = Path(results_root) / QUICK_START
    if not path.is_file():
        return ""
    d = json.loads(path.read_text())
    times = "; ".join(f"`{c['command']}` {c['seconds'] / 60:.1f} min ({c['what']}; commit {c['commit'][:7]})"
                      for c in d["commands"])
    return f"Measured in a fresh clone on {d['machine']} (`python scripts/time_quick_start.py`): {times}.\n"


def own_data_section(results_root="results") -> str:
    """The own-data benchmark's wall time, classes and report (every ``results/*/own_data_bench.json``)."""
    lines = []
    for path in sorted(Path(results_root).glob(f"*/{OWN_DATA}")):
        d = json.loads(path.read_text())
        lines.append(f"Measured (`python scripts/bench_own_data.py`): a folder of {len(d['classes'])} classes "
                     f"({', '.join(d['classes'])}) and {d['images']['train']} + {d['images']['val']} VOC12-mini "
                     f"images at their own sizes runs the whole chain in {d['wall_seconds'] / 60:.1f} min on "
                     f"{d['machine']}; its report: [results/{path.parent.name}/report.md]"
                     f"(results/{path.parent.name}/report.md).")
    return "\n".join(lines) + ("\n" if lines else "")


def headline(results_dir, where: bool = True) -> list[str]:
    """The answer of one results folder in a few lines: F, B and W on val, the gap and the share W closes,
    and where the report and its figures are (what ``scribblegap run`` prints last)."""
    results_dir = Path(results_dir)
    summary = load_summary(results_dir / SUMMARY)
    lines = []
    for key, what in (("F", "full masks"), ("B", "scribbles, partial CE"), ("W", "pseudo-labels, local + global")):
        entry = summary.get(key)
        if entry and entry.get("miou") is not None:
            spread = f" ± {100 * entry['miou_std']:.1f}" if entry.get("miou_std") else ""
            lines.append(f"{key} ({what}): val mIoU {100 * entry['miou']:.1f}{spread} (n={entry['n']})")
    f, b, w = (summary.get(k, {}).get("miou") for k in ("F", "B", "W"))
    if f is not None and b is not None:
        lines.append(f"gap F - B: {100 * (f - b):.1f} points")
        if f <= b:
            lines.append("F is not above B: no gap for W to close")
        elif w is not None:
            lines.append(f"W closes {100 * (w - b) / (f - b):.0f}% of it ((W - B) / (F - B); the claims and their "
                         "intervals are in the report)")
    report = results_dir / REPORT
    if where and report.is_file():
        lines.append(f"report: {report}; figures: {results_dir.parent.parent / 'figures'}/results_{results_dir.name}_*.png")
    return lines
