"""Markdown tables of the results files (``results/<name>/*.json``): what the report and the README show."""
from __future__ import annotations

import json
import math
from pathlib import Path

from scribblegap.experiment.results import recorded_curve
from scribblegap.report.claims import (budget_f_std, budget_paired, budget_rows, budget_verdict,
                                       clicks_gap_closed, CLOSE_WITHIN, gap_analysis, judge, leaves_gap,
                                       MIN_SIGMAS, paired_difference, paired_text)

LABELS = {"F": "full masks", "B": "scribbles, partial CE", "W": "pseudo-labels (local + global, CRF)",
          "R": "scribbles, pCE + DenseCRF loss (Tang et al.)", "F_fast": "full masks (fast preset)",
          "B_fast": "scribbles (fast preset)", "W_confident": "confident pseudo-labels only",
          "W_soft": "soft targets: the fused + CRF probabilities",
          "W_round2": "round 2: pseudo-labels fused with W as the global annotator"}


def pct(x, digits=1) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.{digits}f}"


def mean_std(entry: dict | None, field: str = "miou") -> str:
    if not entry or entry.get(field) is None:
        return "–"
    std, n = entry.get(f"{field}_std"), entry.get("n", 1)
    return f"{pct(entry[field])} ± {pct(std)} (n={n})" if std is not None else f"{pct(entry[field])} (n={n})"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)] + ["| " + " | ".join(r) + " |" for r in rows]


OPTIONS = ("W_confident", "W_soft", "W_round2")  # W's recipe changed in one respect


def gap_table(summary: dict, title: str = "F, B, W and R on val") -> str:
    rows = [[key, what, mean_std(summary[key]), mean_std(summary[key], "miou_crf")]
            for key, what in LABELS.items() if key in summary]
    if not rows:
        return ""
    lines = [f"#### {title}", ""] + _table(["model", "labels", "val mIoU % (mean ± std over seeds)",
                                            "with test-time CRF"], rows) + [""]
    for field, name in (("miou", "without CRF"), ("miou_crf", "with test-time CRF")):
        g = gap_analysis(summary, field)
        if not g["available"]:
            continue
        noise = pct(g["pooled_std"]) if g["pooled_std"] is not None else "unknown (one seed)"
        verdict = (f"F - B = {pct(g['gap'])} points, {g['sigmas']:.1f}x the pooled seed std ({noise})"
                   if g["sigmas"] is not None else f"F - B = {pct(g['gap'])} points; seed noise {noise}")
        paired = paired_text(paired_difference(summary, "F", "B", field))
        if paired:
            verdict += f"; {paired}"
        if g["measurable"]:
            parts = [f"{k}: {pct(r['ratio'])}% ± {pct(r['ratio_err'])}" for k, r in g["reductions"].items()]
            verdict += ". Gap reduction (K - B) / (F - B): " + (", ".join(parts) if parts else "no W or R yet")
        elif g["pooled_std"] is None:
            verdict += ". With one seed the noise is unknown, so no gap reduction is reported"
        else:
            verdict += (f". The gap does not exceed {MIN_SIGMAS:g}x the seed noise, so no gap reduction is "
                        "reported: it would be a ratio of noise")
        lines.append(f"- {name}: {verdict}.")
        options = [f"{key} - W, {paired_text(paired_difference(summary, key, 'W', field))}"
                   for key in OPTIONS if paired_difference(summary, key, "W", field)]
        if options:
            lines.append(f"- the retraining options against W ({name}): " + "; ".join(options) + ".")
    return "\n".join(lines) + "\n"


def class_iou_table(summary: dict, keys=("F", "B", "W", "R")) -> str:
    """Val IoU of every class, under the data set's own class names, for F, B, W and R (mean over seeds;
    a class a run never saw nor predicted has no IoU there)."""
    keys = [k for k in keys if summary.get(k, {}).get("runs")]
    values = {k: {} for k in keys}
    for key in keys:
        for run in summary[key]["runs"]:
            for name, iou in (run.get("iou") or {}).items():
                values[key].setdefault(name, []).extend([] if iou is None else [iou])
    names = list(dict.fromkeys(name for key in keys for name in values[key]))
    if not names:
        return ""
    mean = lambda v: sum(v) / len(v) if v else None  # noqa: E731
    rows = [[name] + [pct(mean(values[k].get(name, []))) for k in keys] for name in names]
    return "\n".join(["#### Per-class IoU on val (mean over seeds)", ""]
                     + _table(["class"] + [f"{k} %" for k in keys], rows)) + "\n"


def claims_table(summary: dict) -> str:
    """The paper's claims against this results folder's runs (:func:`~scribblegap.report.claims.judge`)."""
    if not any(k in summary for k in ("F", "B", "W")):
        return ""
    rows = [[claim, seen, f"**{verdict}**"] for claim, seen, verdict in judge(summary)]
    return "\n".join(["#### The paper's claims against these runs", ""]
                     + _table(["claim of the paper", "what the runs here show", "verdict"], rows)) + "\n"


def _curves(summary: dict, key: str) -> list[dict]:
    """{step: val mIoU} of each recorded run of ``key``: from the record, or from the run's log."""
    out = []
    for run in summary.get(key, {}).get("runs", []):
        entries = recorded_curve(run)
        if entries:
            out.append({e["step"]: e["val_miou"] for e in entries})
    return out


def gap_along_training(summary: dict) -> str:
    """Mean val mIoU of F and B at each evaluated step (over the seeds that reached it)."""
    f, b = _curves(summary, "F"), _curves(summary, "B")
    if not f or not b:
        return ""
    steps = sorted(set.intersection(*(set(c) for c in f + b)))
    rows = []
    for step in steps:
        fm, bm = sum(c[step] for c in f) / len(f), sum(c[step] for c in b) / len(b)
        rows.append([str(step), pct(fm), pct(bm), f"{100 * (fm - bm):+.1f}"])
    return "\n".join(["#### F - B along training (validation, mean over seeds)", ""]
                     + _table(["step", "F %", "B %", "F - B"], rows)) + "\n" if rows else ""


def pseudo_label_table(summary: dict, key: str = "pseudo_labels", title: str = "Pseudo-labels on train") -> str:
    table = summary.get(key)
    if not table:
        return ""
    rows = [[name, pct(row["miou"]), pct(row.get("pixel_accuracy"))] for name, row in table.items()]
    return "\n".join([f"#### {title}", ""] + _table(["annotator", "train mIoU %", "pixel accuracy %"], rows)) + "\n"


def budget_table(summary: dict, config: dict | None = None) -> str:
    f, rows = budget_rows(summary)
    if not rows:
        return ""
    f_std, band = budget_f_std(summary), summary.get("budget_curve", {}).get("F", {})
    preset = (config or {}).get("pipeline", {}).get("preset")
    seeds = sorted({r.get("n", 1) for r in rows})
    count = "one seed" if seeds == [1] else f"{'-'.join(map(str, seeds))} seeds"
    header = f"#### Annotation budget ({count} per point" + (f", preset {preset}" if preset else "") + ")"
    body = []
    for r in rows:
        paired = budget_paired(r)
        w_minus_b = (f"{100 * paired['mean']:+.1f} ± {pct(paired['std'])}" if paired else f"{100 * (r['W'] - r['B']):+.1f}")
        body.append([f"{100 * r['budget']:g}%", f"{pct(_achieved(r), 2)}%", str(r.get("n", 1)),
                     _with_std(r["B"], r.get("B_std")), _with_std(r["W"], r.get("W_std")), w_minus_b,
                     pct(f - r["B"]) if f is not None else "–", pct(f - r["W"]) if f is not None else "–",
                     _closed(f, r, f_std)])
    if band.get("n", 1) > 1:
        f_text = f"{_with_std(f, band.get('miou_std'))} % (n={band['n']}: the F runs of the same seeds)"
    else:
        f_text = f"{pct(f)} % (one run" + (f"; the main chain's F has a seed std of {pct(f_std)})" if f_std else ")")
    noisy = any(r.get("B_std") is not None for r in rows)
    note = ("W - B: seed by seed, mean ± std. " if noisy else "") + (
        f"Gap closed: (W - B) / (F - B) of the means, only where F - B exceeds {100 * CLOSE_WITHIN:g} point"
        + (f" and {MIN_SIGMAS:g}x the pooled seed std of F and B there" if noisy else "") + ".")
    return "\n".join([header, "", f"F (full masks) = {f_text}", ""]
                     + _table(["budget", "achieved", "n", "B %", "W %", "W - B", "F - B", "F - W", "gap closed"],
                              body)
                     + ["", note, "", budget_verdict(f, rows, f_std)[0] + "."]) + "\n"


def _with_std(value: float | None, std: float | None) -> str:
    return pct(value) if std is None else f"{pct(value)} ± {pct(std)}"


def _closed(f: float | None, row: dict, f_std: float | None = None) -> str:
    """(W - B) / (F - B) at one budget point; "–" where B leaves no gap there (:func:`leaves_gap`)."""
    if f is None or not leaves_gap(f, row, f_std):
        return "–"
    return f"{100 * (row['W'] - row['B']) / (f - row['B']):.0f}%"


def _achieved(row: dict) -> float:
    a = row.get("achieved", row["budget"])
    return a.get("mean") if isinstance(a, dict) else a


def fusion_table(path: Path) -> str:
    """The fusion options measured by ``scripts/measure_fusion.py`` (pseudo-label mIoU on train, no CRF)."""
    if not Path(path).is_file():
        return ""
    d = json.loads(Path(path).read_text())
    weights = list(d["miou"]["mean"])
    rows = []
    for mode, row in d["miou"].items():
        cells = [pct(row[w]) if w in row else "" for w in weights]
        if mode == "max":  # one number: the weight plays no part
            cells = [pct(next(iter(row.values())))] + ["–"] * (len(weights) - 1)
        rows.append([mode, *cells])
    kept = ", ".join(f">= {t}: {pct(v['kept'])}% of the pixels kept, {pct(v['accuracy_kept'])}% of them right"
                     for t, v in d["threshold"].items())
    return "\n".join([f"#### Fusion options (pseudo-labels on train, no CRF, {d['images']} images; "
                      "`scripts/measure_fusion.py`)", ""]
                     + _table(["mode", *(f"local weight {w}" for w in weights)], rows)
                     + ["", f"Confidence threshold on the mean (weight 0.5): {kept}. Weight 0 is the global "
                            "annotator alone, 1 the local one."]) + "\n"


def points_table(summary: dict) -> str:
    pts = summary.get("points")
    if not pts:
        return ""
    rows = [[f"{key} (clicks)", mean_std(pts[key]), mean_std(pts[key], "miou_crf")] for key in ("B", "W")
            if key in pts]
    lines = ["#### Human clicks as the weak labels", ""] + _table(["model", "val mIoU % (mean ± std over seeds)",
                                                                   "with CRF"], rows)
    c, c_crf = clicks_gap_closed(summary), clicks_gap_closed(summary, "miou_crf")
    if c:
        seeds = ", ".join(map(str, c["seeds"]))
        crf = f"; with CRF {_ratio(c_crf)}" if c_crf else ""
        lines += ["", f"Gap closed on clicks, (W - B) / (F - B) with F of the same seeds ({seeds}; F {pct(c['F'])}%): "
                      f"{_ratio(c)}{crf}."]
    return "\n".join(lines) + "\n"


def _ratio(c: dict) -> str:
    """The ratio of the seed means, with the per-seed ratios and their std (or 'one seed')."""
    if c["ratio_std"] is None:
        return f"{pct(c['ratio'])}% (one seed: no noise estimate)"
    return f"{pct(c['ratio'])}% (per seed {', '.join(pct(r) for r in c['per_seed'])}; std {pct(c['ratio_std'])})"


def boundary_table(path: Path) -> str:
    """Where F beats B and W, by distance to the nearest boundary (``boundary.json`` of the pipeline)."""
    if not Path(path).is_file():
        return ""
    d = json.loads(Path(path).read_text())
    ref, others = d["reference"], [m for m in d["models"] if m != d["reference"]]
    rows = []
    for i, (a, b) in enumerate(d["bands"]):
        band = f"{a:g}-{b:g}" if b is not None else f">= {a:g}"
        cells = [band, pct(d["pixel_share"][i])] + [pct(d["shares"][f"right_{m}"][i]) for m in d["models"]]
        for m in others:
            net = d["shares"][f"only_{ref}_{m}"][i] - d["shares"][f"only_{m}_{ref}"][i]
            cells += [pct(d["shares"][f"only_{ref}_{m}"][i]), pct(net * d["pixel_share"][i], 2)]
        rows.append(cells)
    header = ["distance to boundary (px)", "pixels %"] + [f"{m} right %" for m in d["models"]]
    for m in others:
        header += [f"{ref} right, {m} wrong %", f"adds to {ref} - {m} accuracy (points)"]
    return "\n".join([f"#### Where {ref} beats {' and '.join(others)}: val pixels by distance to the nearest "
                      f"boundary (seed {d.get('seed', 0)}, {d['images']} images)", ""] + _table(header, rows)) + "\n"


def preset_search_table(path: Path) -> str:
    """The runs that chose the CPU preset (``scripts/search_cpu_preset.py``)."""
    if not Path(path).is_file():
        return ""
    d = json.loads(Path(path).read_text())
    rows = []
    for name, r in sorted(d["runs"].items(), key=lambda kv: (kv[1]["candidate"], kv[1]["seed"])):
        changes = ", ".join(f"{k}={v}" for k, v in r["changes"].items()) or "the preset as it is"
        rows.append([r["candidate"], changes, str(r["seed"]), pct(r["val_miou"]), f"{r['train_seconds'] / 60:.1f}"])
    base = ", ".join(f"{k}={v}" for k, v in d.get("base", {}).items())
    return "\n".join(["#### Choosing the CPU preset: F on VOC12-mini, one seed each, for changes of a starting "
                      f"point ({base}; `scripts/search_cpu_preset.py`)", ""]
                     + _table(["candidate", "changes", "seed", "F val mIoU %", "training minutes (1 thread)"],
                              rows)) + "\n"


def regimes_table(summaries: dict[str, dict], labels: dict[str, str]) -> str:
    """F, B, W and R of several results folders side by side, with F - B against its seed noise: the same
    chain with and without an ImageNet-initialised trunk."""
    rows = []
    for name, s in summaries.items():
        g = gap_analysis(s)
        gap = "–"
        if g["available"]:
            gap = f"{pct(g['gap'])}" + (f" ({g['sigmas']:.1f}x the seed std)" if g["sigmas"] is not None else "")
        rows.append([labels.get(name, name), f"`{name}`", *(mean_std(s.get(k)) for k in ("F", "B", "W", "R")), gap])
    return "\n".join(_table(["regime", "results", "F", "B", "W", "R", "F - B (points)"], rows)) + "\n"
