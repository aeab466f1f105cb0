"""Markdown tables of the results files (``results/<name>/*.json``): what the report and the README show."""
from __future__ import annotations

import json
import math
from pathlib import Path

from scribblegap.experiment.results import recorded_curve
from scribblegap.report import stats
from scribblegap.report.claims import (as_results, budget_f_std, budget_rows, claim_closing, claims,
                                       clicks_gap_closed, CLOSE_WITHIN, difference_at, format_interval,
                                       format_value, MAIN, main_budget, needed_text, PAPER, ratio_at, results_of,
                                       row_text, seeds_text, verdict_text)

LABELS = {"F": "full masks", "B": "scribbles, partial CE", "W": "pseudo-labels (local + global, CRF)",
          "R": "scribbles, pCE + DenseCRF loss (Tang et al.)", "F_fast": "full masks (fast preset)",
          "B_fast": "scribbles (fast preset)", "W_confident": "confident pseudo-labels only",
          "W_soft": "soft targets: the fused + CRF probabilities",
          "W_round2": "round 2: pseudo-labels fused with W as the global annotator",
          "W_rloss": "pseudo-labels, with the DenseCRF loss beside"}


def pct(x, digits=1) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.{digits}f}"


def mean_std(entry: dict | None, field: str = "miou") -> str:
    if not entry or entry.get(field) is None:
        return "–"
    std, n = entry.get(f"{field}_std"), entry.get("n", 1)
    return f"{pct(entry[field])} ± {pct(std)} (n={n})" if std is not None else f"{pct(entry[field])} (n={n})"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)] + ["| " + " | ".join(r) + " |" for r in rows]


def _models(summary: dict) -> list[tuple[str, str]]:
    """(key, what) of the summary's networks in the order of LABELS; W_confident_t<threshold> under W_confident."""
    out = []
    for key, what in LABELS.items():
        if key in summary:
            out.append((key, what))
        if key == "W_confident":
            out += [(k, f"{what} (threshold {k.split('_t', 1)[1]})") for k in sorted(summary)
                    if k.startswith("W_confident_t") and isinstance(summary[k], dict)]
    return out


def _options(summary: dict) -> list[str]:
    """The retraining options recorded (W changed in one respect): W_confident..., W_soft, W_rloss, W_round2."""
    return [k for k, _ in _models(summary) if k.startswith("W_") and summary[k].get("runs")]


def _with_interval(result: dict | None, unit: str = "points") -> str:
    """"+2.7 [+0.2, +5.2]"; the estimate alone where one seed gives no interval; "–" without runs."""
    if result is None:
        return "–"
    value = format_value(result["estimate"], unit)
    return value if result["n"] < 2 else f"{value} {format_interval(result['low'], result['high'], unit)}"


def gap_table(summary: dict, title: str = "F, B, W and R on val", results: dict | None = None) -> str:
    """F, B, W, R and the options (mean ± seed std), then F - B and the share of it each closes with their 95%
    intervals (:mod:`scribblegap.report.claims`), without and with the test-time CRF."""
    results = results if results is not None else as_results(summary)
    rows = [[key, what, mean_std(summary[key]), mean_std(summary[key], "miou_crf")] for key, what in _models(summary)]
    if not rows:
        return ""
    lines = [f"#### {title}", ""] + _table(["model", "labels", "val mIoU % (mean ± std over seeds)",
                                            "with test-time CRF"], rows) + [""]
    for crf, name in ((False, "without CRF"), (True, "with test-time CRF")):
        gap = difference_at(results, "F", "B", MAIN, crf)
        if gap is None:
            continue
        if gap["n"] < 2:
            lines.append(f"- {name}: F - B = {format_value(gap['estimate'])} points (one seed: no interval, so no "
                         "share of the gap is judged).")
            continue
        text = (f"F - B = {format_value(gap['estimate'])} points, 95% interval "
                f"{format_interval(gap['low'], gap['high'])} ({seeds_text(gap)})")
        shares = [f"{key} {_with_interval(ratio_at(results, key, MAIN, crf), 'share')}"
                  for key in ("W", "R", *_options(summary)) if ratio_at(results, key, MAIN, crf)]
        if shares:
            text += ". Share of the gap closed, (K - B) / (F - B): " + ", ".join(shares)
            if gap["low"] <= 0:
                text += " (F - B is not shown above 0, so these shares are not judged)"
        lines.append(f"- {name}: {text}.")
        options = [f"{key} - W {_with_interval(difference_at(results, key, 'W', MAIN, crf))}"
                   for key in _options(summary) if difference_at(results, key, "W", MAIN, crf)]
        if options:
            lines.append(f"- the retraining options against W ({name}, paired by seed): " + "; ".join(options) + ".")
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


CLAIM_HEADER = ["claim of the paper", "budget", "seeds", "estimate", "95% interval", "verdict", "seeds needed"]


def test_text() -> str:
    """The test in two sentences: the second paragraph of :mod:`scribblegap.report.stats`, on one line."""
    paragraphs = (stats.__doc__ or "").split("\n\n")
    return " ".join(paragraphs[1].split()) if len(paragraphs) > 1 else ""


def claim_cells(row: dict) -> list[str]:
    """A claim row's cells under :data:`CLAIM_HEADER`."""
    estimate = format_value(row["estimate"], row["unit"]) if row["estimate"] is not None else "–"
    return [row["claim"], row["where"] or "–", seeds_text(row), estimate,
            format_interval(row["low"], row["high"], row["unit"]) if row["n"] >= 2 else "–", verdict_text(row),
            needed_text(row)]


def claims_table(results: dict) -> str:
    """The paper's claims against a results folder's runs (:func:`~scribblegap.report.claims.claims`), the
    scores without the test-time CRF and, where every network of a comparison has them, with it."""
    results = as_results(results)
    if not any(k in results["summary"] for k in ("F", "B", "W")):
        return ""
    header = CLAIM_HEADER[:2] + ["test-time CRF"] + CLAIM_HEADER[2:]
    rows = []
    for crf, shown in ((False, "no"), (True, "yes")):
        for row in claims(results, crf):
            cells = claim_cells(row)
            rows.append(cells[:2] + [shown] + cells[2:])
    return "\n".join(["#### The paper's claims against these runs", "", test_text(), ""] + _table(header, rows)) + "\n"


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


def budget_table(summary: dict, config: dict | None = None, results: dict | None = None) -> str:
    """B and W at every budget point, their paired differences with F and each other (95% intervals over
    the seeds, and the val images where stored), the share of the gap closed where B is shown to leave one,
    and the closing budget's verdict (:func:`~scribblegap.report.claims.claim_closing`)."""
    f, rows = budget_rows(summary)
    if not rows:
        return ""
    results = results if results is not None else results_of(summary, config=config)
    f_std, band = budget_f_std(summary), summary.get("budget_curve", {}).get("F", {})
    preset = (config or {}).get("pipeline", {}).get("preset")
    seeds = sorted({r.get("n", 1) for r in rows})
    count = "one seed" if seeds == [1] else f"{'-'.join(map(str, seeds))} seeds"
    header = f"#### Annotation budget ({count} per point" + (f", preset {preset}" if preset else "") + ")"
    main = main_budget(results)
    body = []
    for r in rows:
        point = MAIN if main is not None and math.isclose(r["budget"], main) else r["budget"]
        descriptive = {k: (f - r[k] if f is not None else None) for k in ("B", "W")}
        body.append([f"{100 * r['budget']:g}%", f"{pct(_achieved(r), 2)}%", str(r.get("n", 1)),
                     _with_std(r["B"], r.get("B_std")), _with_std(r["W"], r.get("W_std")),
                     _difference_cell(difference_at(results, "W", "B", point), r["W"] - r["B"]),
                     _difference_cell(difference_at(results, "F", "B", point), descriptive["B"]),
                     _difference_cell(difference_at(results, "F", "W", point), descriptive["W"]),
                     _closed(results, point, f, r)])
    if band.get("n", 1) > 1:
        f_text = f"{_with_std(f, band.get('miou_std'))} % (n={band['n']}: the F runs of the same seeds)"
    else:
        f_text = f"{pct(f)} % (one run" + (f"; the main chain's F has a seed std of {pct(f_std)})" if f_std else ")")
    note = ("W - B, F - B, F - W: the mean over the seeds of the paired difference (F, B and W of one seed), with "
            "its 95% interval where the point has two or more seeds. Gap closed: (W - B) / (F - B), with its "
            "interval, only where F - B's interval lies above 0 (at a point of one seed: where F - B exceeds "
            f"{100 * CLOSE_WITHIN:g} point).")
    closing = claim_closing(results)
    verdict = (f"Closing budget (paper: about {100 * PAPER['closing_budget']:.1f}%): {row_text(closing)}: "
               f"{verdict_text({**closing, 'note': ''})}")
    return "\n".join([header, "", f"F (full masks) = {f_text}", ""]
                     + _table(["budget", "achieved", "n", "B %", "W %", "W - B", "F - B", "F - W", "gap closed"],
                              body)
                     + ["", note, "", verdict + "."]) + "\n"


def _with_std(value: float | None, std: float | None) -> str:
    return pct(value) if std is None else f"{pct(value)} ± {pct(std)}"


def _difference_cell(result: dict | None, fallback: float | None) -> str:
    """The paired difference with its interval; without per-seed runs of both, the difference of the means."""
    if result is None:
        return format_value(fallback) if fallback is not None else "–"
    return _with_interval(result)


def _closed(results: dict, point, f: float | None, row: dict) -> str:
    """(W - B) / (F - B) at one budget point with its interval where F - B's interval lies above 0; at a point
    of one seed (or without per-seed F), where F - B exceeds CLOSE_WITHIN; "–" elsewhere."""
    gap = difference_at(results, "F", "B", point)
    if gap is not None and gap["n"] >= 2:
        return _with_interval(ratio_at(results, "W", point), "share") if gap["low"] > 0 else "–"
    if f is None or f - row["B"] <= CLOSE_WITHIN:
        return "–"
    return f"{100 * (row['W'] - row['B']) / (f - row['B']):.0f}%"


def _achieved(row: dict) -> float:
    a = row.get("achieved", row["budget"])
    return a.get("mean") if isinstance(a, dict) else a


def fusion_table(path: Path) -> str:
    """The fusion options measured by ``scribblegap measure fusion`` (pseudo-label mIoU on train, no CRF)."""
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
                      "`scribblegap measure fusion`)", ""]
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
    """The runs that chose the CPU preset: a finished search, kept as its results (``preset_search.json``)."""
    if not Path(path).is_file():
        return ""
    d = json.loads(Path(path).read_text())
    rows = []
    for name, r in sorted(d["runs"].items(), key=lambda kv: (kv[1]["candidate"], kv[1]["seed"])):
        changes = ", ".join(f"{k}={v}" for k, v in r["changes"].items()) or "the preset as it is"
        rows.append([r["candidate"], changes, str(r["seed"]), pct(r["val_miou"]), f"{r['train_seconds'] / 60:.1f}"])
    base = ", ".join(f"{k}={v}" for k, v in d.get("base", {}).items())
    return "\n".join(["#### Choosing the CPU preset: F on VOC12-mini, one seed each, for changes of a starting "
                      f"point ({base}; `preset_search.json`)", ""]
                     + _table(["candidate", "changes", "seed", "F val mIoU %", "training minutes (1 thread)"],
                              rows)) + "\n"


def regimes_table(summaries: dict[str, dict], labels: dict[str, str]) -> str:
    """F, B, W and R of several results folders side by side (summaries, or the dicts of
    :func:`~scribblegap.report.claims.load_results`), with F - B and its 95% interval: the same chain with and
    without an ImageNet-initialised trunk."""
    rows = []
    for name, s in summaries.items():
        results = as_results(s)
        summary = results["summary"]
        gap = difference_at(results, "F", "B")
        gap_text = "–" if gap is None else (_with_interval(gap) + (" (one seed)" if gap["n"] < 2 else ""))
        rows.append([labels.get(name, name), f"`{name}`", *(mean_std(summary.get(k)) for k in ("F", "B", "W", "R")),
                     gap_text])
    return "\n".join(_table(["regime", "results", "F", "B", "W", "R", "F - B (points, 95% interval)"], rows)) + "\n"
