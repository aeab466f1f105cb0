"""The paper's claims judged from a results folder (``results/<name>/``): each claim is a paired comparison of
networks of the same seeds (F_s, B_s, W_s and R_s of seed s share the head initialisation and batch order, and
W_s is built on B_s), decided by :mod:`scribblegap.report.stats` over the seeds and, where the per-image pixel
counts are stored, over the val images too (over the seeds alone otherwise). Torch-free: numpy, scipy and the
results files.

Verdicts: *confirmed*, *refuted* and *undecided* (with the seeds a decision would need) by
:func:`scribblegap.report.stats.verdict`; *informational* for a number the paper reports that no claim rests
on (the remaining gap F - W); *open* where the runs are missing. A claim of a share of the gap is judged only
where F - B is shown above 0 (undecided elsewhere: no gap to take a share of). The closing budget has its own
rule (:func:`claim_closing`).
"""
from __future__ import annotations

import math
import statistics
from pathlib import Path

import numpy as np

from scribblegap.core.layout import CONFIG, SUMMARY
from scribblegap.core.metrics import gap_reduction
from scribblegap.experiment.results import load_per_image, load_summary
from scribblegap.report import stats

# The paper's numbers (Mayer, Timofte & Paul 2018): W closes 64.2% of the gap F - B, the best peer (Tang et
# al.'s DenseCRF loss) 57.5%; F - W is 2.4 points (2.9 with the test-time CRF); the gap closes at about 3.1% of
# the pixels annotated, 2-5x the human scribbles, which therefore cover about 0.6-1.6% of the pixels.
PAPER = {"gap_reduction": 0.642, "peer_gap_reduction": 0.575, "closing_budget": 0.031,
         "remaining_gap": 0.024, "remaining_gap_crf": 0.029, "human_budget": (0.006, 0.016)}

# W "reaches" F at a budget when F - W's interval comes down to within this much of 0 (mIoU).
CLOSE_WITHIN = 0.01
# "About 3.1%": a closing budget within this factor of the paper's.
CLOSING_FACTOR = 2.0
MAIN_BUDGET = 0.03   # the pipeline's default budget, for a config.json that names none
MAIN = "main"        # the main chain's point: its runs are the summary's F, B, W, R
BOOTSTRAP_SEED = 0   # every comparison draws its resamples from this seed: the report is reproducible

OPEN, INFORMATIONAL = "open", "informational"

GAP = "Scribbles leave a gap: F > B"
W_ABOVE_B = "W above B"
W_SHARE = f"W closes {100 * PAPER['gap_reduction']:.1f}% of the gap: (W - B) / (F - B)"
R_SHARE = (f"The DenseCRF loss (R, the best peer) closes {100 * PAPER['peer_gap_reduction']:.1f}% of it: "
           "(R - B) / (F - B)")
W_ABOVE_R = "W above R"
REMAINING = (f"The remaining gap F - W (paper: {100 * PAPER['remaining_gap']:.1f} points, "
             f"{100 * PAPER['remaining_gap_crf']:.1f} with the test-time CRF)")
CLOSING = f"The gap closes at about {100 * PAPER['closing_budget']:.1f}% of the pixels annotated"
PSEUDO_LABELS = "Fused + CRF pseudo-labels beat the best single annotator"
CLAIM_ORDER = (GAP, W_ABOVE_B, W_SHARE, R_SHARE, W_ABOVE_R, REMAINING, CLOSING, PSEUDO_LABELS)


# ------------------------------------------------------------------------------------------ the results
def results_of(summary: dict, budget_runs: dict | None = None, config: dict | None = None, root=None,
               resamples: int = stats.RESAMPLES) -> dict:
    """What the claims read: the summary, the budget curve's runs (``budget_runs.json``), the config and the
    repository root the per-image paths are relative to (None: judged over the seeds alone)."""
    return {"summary": summary or {}, "budget_runs": budget_runs or {}, "config": config or {},
            "root": Path(root) if root is not None else None, "resamples": resamples, "cache": {}}


def load_results(results_dir, resamples: int = stats.RESAMPLES) -> dict:
    """:func:`results_of` a results folder; its per-image paths are relative to ``results_dir/../..``."""
    results_dir = Path(results_dir)
    return results_of(load_summary(results_dir / SUMMARY), load_summary(results_dir / "budget_runs.json"),
                      load_summary(results_dir / CONFIG), results_dir.parent.parent, resamples)


def as_results(summary_or_results: dict) -> dict:
    """A results dict as it is, a bare summary wrapped by :func:`results_of`."""
    if "cache" in summary_or_results and "summary" in summary_or_results:
        return summary_or_results
    return results_of(summary_or_results)


def main_budget(results: dict) -> float | None:
    """The main chain's budget; None where it trains on the config's human scribbles."""
    pipeline = results["config"].get("pipeline", {})
    if pipeline.get("scribbles"):
        return None
    return pipeline.get("budget") or MAIN_BUDGET


def budget_of(results: dict, point) -> float | None:
    return main_budget(results) if point == MAIN else point


def point_label(results: dict, point) -> str:
    """e.g. "3% (main chain)", "human scribbles (main chain)", "1%"."""
    budget = budget_of(results, point)
    text = "human scribbles" if budget is None else f"{100 * budget:g}%"
    return f"{text} (main chain)" if point == MAIN else text


def curve_budgets(results: dict) -> list[float]:
    """The budget curve's other points, smallest first (from the curve and from ``budget_runs.json``)."""
    found = {v["budget"] for k, v in results["summary"].get("budget_curve", {}).items()
             if k != "F" and isinstance(v, dict) and v.get("budget") is not None}
    for key in results["budget_runs"]:
        try:
            found.add(float(key.split("@", 1)[1]))
        except (IndexError, ValueError):
            continue
    main = main_budget(results)
    return sorted(b for b in found if main is None or not math.isclose(b, main))


def points(results: dict) -> list:
    """The main chain's point, then the curve's others by budget."""
    return [MAIN] + curve_budgets(results)


def _runs(entry: dict | None) -> list[dict]:
    entry = entry or {}
    return entry.get("runs") or ([entry] if "seed" in entry else [])


def seed_records(results: dict, key: str, point=MAIN) -> dict:
    """``{seed: run record}`` of network ``key`` (F, B, W, R) at a point; F is shared by every budget. A point
    without records of its runs falls back to the seed values of ``summary["budget_curve"]``."""
    summary = results["summary"]
    if key == "F":
        runs = _runs(summary.get("F")) or _runs(summary.get("budget_curve", {}).get("F"))
    elif point == MAIN:
        runs = _runs(summary.get(key))
    else:
        runs = _runs(results["budget_runs"].get(f"{key}@{point:g}"))
    if not runs:
        budget = budget_of(results, point)
        curve = summary.get("budget_curve", {}).get(f"{budget:g}", {}) if budget is not None else {}
        runs = [{"seed": r["seed"], "miou": r[key], "run_id": r.get(f"{key}_run")}
                for r in curve.get("runs", []) if r.get(key) is not None and "seed" in r]
    return {r["seed"]: r for r in runs if r.get("seed") is not None}


def _per_image(results: dict, record: dict) -> dict | None:
    """A run's stored per-image counts (cached), or None where the results do not hold them."""
    if results["root"] is None or not record.get("per_image"):
        return None
    path = results["root"] / record["per_image"]
    cache = results["cache"].setdefault("per_image", {})
    if path not in cache:
        cache[path] = load_per_image(path) if path.is_file() else None
    return cache[path]


def per_image_counts(results: dict, runs: dict, crf: bool = False) -> dict | None:
    """model -> ``(seeds, images, K, K + 1)`` counts of ``runs`` (model -> its records, seed by seed), the
    images in one order for all; None unless every run has them (with ``crf``: its ``counts_crf``)."""
    field = "counts_crf" if crf else "counts"
    ids, out = None, {}
    for model, records in runs.items():
        stack = []
        for record in records:
            data = _per_image(results, record)
            if data is None or field not in data:
                return None
            if ids is None:
                ids = data["ids"]
            if data["ids"] != ids:
                if sorted(data["ids"]) != sorted(ids):  # another val set: no pairing by image
                    return None
                index = {key: i for i, key in enumerate(data["ids"])}
                stack.append(data[field][[index[key] for key in ids]])
                continue
            stack.append(data[field])
        out[model] = np.stack(stack)
    return out


def comparison(results: dict, kind: str, models: tuple, point=MAIN, crf: bool = False) -> dict | None:
    """The interval of a ``"difference"`` (a, b) or a ``"ratio"`` (weak, baseline, full: the share of the gap
    closed) at a point, over the seeds every model has; None without one. Over seeds and val images where
    every run's per-image counts are stored, over the seeds alone otherwise (``level``)."""
    key = (kind, tuple(models), point, crf)
    cache = results["cache"].setdefault("comparisons", {})
    if key in cache:
        return cache[key]
    field = "miou_crf" if crf else "miou"
    records = {m: seed_records(results, m, point) for m in dict.fromkeys(models)}
    seeds = sorted(set.intersection(*(set(r) for r in records.values())))
    seeds = [s for s in seeds if all(records[m][s].get(field) is not None for m in records)]
    result = None
    if seeds:
        statistic = stats.difference(*models) if kind == "difference" else stats.gap_ratio(*models)
        counts = per_image_counts(results, {m: [records[m][s] for s in seeds] for m in records}, crf)
        if counts is not None:
            result = stats.interval(statistic, counts=counts, resamples=results["resamples"],
                                    rng=np.random.default_rng(BOOTSTRAP_SEED))
        else:
            result = stats.interval(statistic, scores={m: [records[m][s][field] for s in seeds] for m in records})
        result.update({"seeds": seeds, "level": "seeds and images" if counts is not None else "seeds",
                       "kind": kind, "models": tuple(models), "point": point, "crf": crf})
    cache[key] = result
    return result


def difference_at(results: dict, a: str, b: str, point=MAIN, crf: bool = False) -> dict | None:
    return comparison(results, "difference", (a, b), point, crf)


def ratio_at(results: dict, weak: str, point=MAIN, crf: bool = False, baseline: str = "B", full: str = "F"):
    return comparison(results, "ratio", (weak, baseline, full), point, crf)


# --------------------------------------------------------------------------------------------- the rows
def _row(claim: str, results: dict, point, result: dict | None, unit: str = "points", direction: int = 1,
         paper: float | None = None, missing: str = "") -> dict:
    """A claim row: the claim, where it is judged, the seeds, the estimate, its 95% interval, the verdict
    (:func:`scribblegap.report.stats.verdict`) and, when undecided, the seeds a decision would need."""
    row = {"claim": claim, "point": point, "budget": budget_of(results, point) if point is not None else None,
           "where": point_label(results, point) if point is not None else "", "paper": paper, "unit": unit,
           "crf": bool(result and result.get("crf")), "n": 0, "images": None, "level": "", "estimate": None,
           "low": None, "high": None, "verdict": OPEN, "side": "", "seeds_needed": None, "note": missing}
    if result is None:
        return row
    row.update({"n": result["n"], "images": result["images"], "level": result["level"],
                "estimate": result["estimate"], "low": result["low"], "high": result["high"],
                "side": stats.side_of_zero(result["low"], result["high"]), "note": ""})
    if result["n"] < 2:
        row.update({"verdict": stats.UNDECIDED,
                    "note": "one seed: the spread between seeds is unknown, so no interval"})
        return row
    row["verdict"] = stats.verdict(result["low"], result["high"], direction, paper)
    if row["verdict"] == stats.UNDECIDED:
        boundaries = [c for c in (0.0, paper) if c is not None and result["low"] <= c <= result["high"]]
        row["seeds_needed"] = stats.seeds_needed(result, boundaries)
    return row


def _share_row(claim: str, results: dict, point, weak: str, paper: float, crf: bool) -> dict:
    """(weak - B) / (F - B) against the paper's share, judged only where F - B is shown above 0."""
    result = ratio_at(results, weak, point, crf)
    row = _row(claim, results, point, result, "share", 1, paper, missing=f"no {weak} runs here")
    if result is None or row["verdict"] == OPEN or result["n"] < 2:
        return row
    gap = difference_at(results, "F", "B", point, crf)
    paper_text = f"the paper's {format_value(paper, 'share')}"
    if gap["low"] <= 0:
        needed = stats.seeds_needed(gap, [0.0]) if gap["high"] >= 0 else None
        if gap["high"] < 0:
            row["needs"] = "a gap (B is shown above F)"
        row.update({"verdict": stats.UNDECIDED, "seeds_needed": needed,
                    "note": f"F - B is not shown above 0 here ({format_interval(gap['low'], gap['high'], 'points')}): "
                            "no gap to take a share of; the seeds needed are those that would show it"})
    elif row["verdict"] == stats.REFUTED:
        side = {"above 0": f"it lies above 0: {weak} closes part of the gap", "below 0": "it lies below 0"}
        row["note"] = f"the interval excludes {paper_text}; " + side.get(row["side"], "it includes 0")
    elif row["verdict"] == stats.CONFIRMED:
        row["note"] = f"{paper_text} lies inside; above 0"
    else:
        row["note"] = f"the interval holds {paper_text} and 0"
    return row


def claim_gap_rows(results: dict, crf: bool = False) -> list[dict]:
    """F - B at the main chain and at every budget point (F of seed s against B of seed s)."""
    return _difference_rows(GAP, results, "F", "B", crf)


def claim_w_above_b_rows(results: dict, crf: bool = False) -> list[dict]:
    return _difference_rows(W_ABOVE_B, results, "W", "B", crf)


def judged_points(results: dict) -> list:
    """Where the shares of the gap and the remaining gap are judged: the main chain, and the budget points
    inside the paper's human budget (0.6-1.6% of the pixels)."""
    low, high = PAPER["human_budget"]
    return [MAIN] + [b for b in curve_budgets(results) if low <= b <= high]


def claim_share_rows(results: dict, weak: str = "W", crf: bool = False) -> list[dict]:
    claim, paper = (W_SHARE, PAPER["gap_reduction"]) if weak == "W" else (R_SHARE, PAPER["peer_gap_reduction"])
    rows = [_share_row(claim, results, p, weak, paper, crf) for p in judged_points(results)
            if _has(results, (weak, "B", "F"), p, crf)]
    return rows or [_row(claim, results, MAIN, None, missing=f"no {weak}, B and F runs")]


def claim_w_above_r_rows(results: dict, crf: bool = False) -> list[dict]:
    return _difference_rows(W_ABOVE_R, results, "W", "R", crf)


def _difference_rows(claim: str, results: dict, a: str, b: str, crf: bool) -> list[dict]:
    """``a - b`` above 0 at every point that has both (one open row where none has)."""
    rows = [_row(claim, results, p, difference_at(results, a, b, p, crf)) for p in points(results)
            if _has(results, (a, b), p, crf)]
    return rows or [_row(claim, results, MAIN, None, missing=f"no {a} and {b} runs yet")]


def claim_remaining_rows(results: dict, crf: bool = False) -> list[dict]:
    """F - W: a number the paper reports (informational): its estimate, interval and whether the paper's
    value lies inside."""
    paper = PAPER["remaining_gap_crf" if crf else "remaining_gap"]
    rows = []
    for p in judged_points(results):
        if not _has(results, ("F", "W"), p, crf):
            continue
        row = _row(REMAINING, results, p, difference_at(results, "F", "W", p, crf), paper=paper)
        if row["n"] >= 2:
            inside = row["low"] <= paper <= row["high"]
            row["note"] = f"the paper's {format_value(paper, 'points')} lies {'inside' if inside else 'outside'}"
        if row["n"]:
            row.update({"verdict": INFORMATIONAL, "seeds_needed": None})
        rows.append(row)
    return rows or [_row(REMAINING, results, MAIN, None, paper=paper, missing="no F and W runs")]


def _has(results: dict, models: tuple, point, crf: bool) -> bool:
    field = "miou_crf" if crf else "miou"
    found = [seed_records(results, m, point) for m in models]
    return bool(set.intersection(*(set(s for s, r in f.items() if r.get(field) is not None) for f in found)))


def closing_states(results: dict) -> list[dict]:
    """Each budget point of the curve with F, B and W of two or more seeds: F - B's and F - W's intervals and
    its state: "no gap" (F - B's interval reaches 0), "reached" (B leaves a gap and F - W's interval comes down
    to within CLOSE_WITHIN of 0) or "trails" (B leaves a gap and W is shown more than CLOSE_WITHIN below F)."""
    out = []
    for p in points(results):
        budget = budget_of(results, p)
        if budget is None or not _has(results, ("F", "B", "W"), p, False):
            continue
        gap, trail = difference_at(results, "F", "B", p), difference_at(results, "F", "W", p)
        if gap is None or trail is None or gap["n"] < 2 or trail["n"] < 2:
            continue
        state = "no gap" if gap["low"] <= 0 else ("reached" if trail["low"] <= CLOSE_WITHIN else "trails")
        out.append({"point": p, "budget": budget, "gap": gap, "trail": trail, "state": state,
                    "within": trail["high"] <= CLOSE_WITHIN})
    return sorted(out, key=lambda s: s["budget"])


def claim_closing(results: dict) -> dict:
    """The closing budget b* = the smallest budget where B leaves a gap (F - B's interval above 0) and W
    reaches F (F - W's interval comes down to within CLOSE_WITHIN). *Confirmed* when b* lies within
    CLOSING_FACTOR of the paper's 3.1%; *refuted* when W is shown to trail F by more than CLOSE_WITHIN where B
    leaves a gap at a budget of CLOSING_FACTOR x 3.1% or more, or when b* lies below 3.1% / CLOSING_FACTOR with
    F - W's whole interval within CLOSE_WITHIN (closed far earlier); *undecided* otherwise. The estimate is
    b*, the interval the budgets it is bracketed by: the largest below it where W trails (or 0) and b* (or
    infinity). Seeds needed: the most any point's undecided F - B (against 0) or F - W (against
    CLOSE_WITHIN) would need."""
    paper = PAPER["closing_budget"]
    row = {"claim": CLOSING, "point": None, "budget": None, "where": "budget curve", "paper": paper,
           "unit": "budget", "crf": False, "n": 0, "images": None, "level": "", "estimate": None, "low": None,
           "high": None, "verdict": OPEN, "side": "", "seeds_needed": None,
           "note": "no budget curve yet (two or more budgets of two or more seeds)"}
    states = closing_states(results)
    if len(states) < 2:  # one budget is no curve
        return row
    reached = [s for s in states if s["state"] == "reached"]
    star = reached[0] if reached else None
    trailing = [s["budget"] for s in states
                if s["state"] == "trails" and (star is None or s["budget"] < star["budget"])]
    late = [s for s in states if s["state"] == "trails" and s["budget"] >= CLOSING_FACTOR * paper]
    early = star is not None and star["budget"] < paper / CLOSING_FACTOR and star["within"]
    if late or early:
        verdict = stats.REFUTED
    elif star is not None and paper / CLOSING_FACTOR <= star["budget"] <= CLOSING_FACTOR * paper:
        verdict = stats.CONFIRMED
    else:
        verdict = stats.UNDECIDED
    needed = []
    for s in states:
        if s["gap"]["low"] <= 0 <= s["gap"]["high"]:
            needed.append(stats.seeds_needed(s["gap"], [0.0]))
        if s["trail"]["low"] <= CLOSE_WITHIN <= s["trail"]["high"]:
            needed.append(stats.seeds_needed(s["trail"], [CLOSE_WITHIN]))
    finite = [m for m in needed if m is not None]
    if verdict == stats.UNDECIDED and not needed:  # every point decided: the budgets, not the seeds, fall short
        row["needs"] = "other budgets"
    described = "; ".join(f"{format_value(s['budget'], 'budget')}: {s['state']}" for s in states)
    measured = ", ".join(format_value(s["budget"], "budget") for s in states)
    late_text = ", ".join(format_value(s["budget"], "budget") for s in late)
    row.update({"where": f"budget curve ({measured})",
                "n": min(s["gap"]["n"] for s in states), "images": states[0]["gap"]["images"],
                "level": states[0]["gap"]["level"], "estimate": star["budget"] if star else None,
                "low": max(trailing) if trailing else 0.0, "high": star["budget"] if star else math.inf,
                "verdict": verdict, "seeds_needed": max(finite) if verdict == stats.UNDECIDED and finite else None,
                "note": described + (f"; W trails F at {late_text}" if late else "")
                + ("; W shown within a point of F far below the paper's budget" if early else "")})
    return row


def claim_pseudo_label_rows(results: dict) -> list[dict]:
    """fused + CRF - the best single annotator (local or global, by its mean over the seeds), paired over the
    seeds, on the train images (their train mIoU; no per-image counts: over seeds alone)."""
    rows = []
    for p in judged_points(results):
        key = "pseudo_labels" if p == MAIN else f"pseudo_labels@{p:g}"
        table = results["summary"].get(key, {})
        if not {"fused_crf", "local", "global"} <= set(table):
            continue
        values = {name: {r["seed"]: r["miou"] for r in _runs(table[name]) if r.get("miou") is not None}
                  for name in ("fused_crf", "local", "global")}
        if not any(values.values()):  # an older summary: one value of each, no seeds recorded
            values = {name: {None: table[name]["miou"]} for name in values if table[name].get("miou") is not None}
        seeds = sorted(set.intersection(*(set(v) for v in values.values())))
        result = None
        if seeds:
            best = max(("local", "global"), key=lambda k: statistics.fmean(values[k][s] for s in seeds))
            result = stats.interval(stats.difference("fused_crf", best),
                                    scores={k: [values[k][s] for s in seeds] for k in ("fused_crf", best)})
            result.update({"seeds": seeds, "level": "seeds", "crf": False})
        row = _row(PSEUDO_LABELS, results, p, result, missing="no seed has fused + CRF, local and global scores")
        if result is not None:
            means = {k: format_value(statistics.fmean(values[k][s] for s in seeds), "score")
                     for k in (best, "fused_crf")}
            row["note"] = (f"against {best} ({means[best]}; fused + CRF {means['fused_crf']}, "
                           "train mIoU)" + (f"; {row['note']}" if row["note"] else ""))
        rows.append(row)
    return rows or [_row(PSEUDO_LABELS, results, MAIN, None, missing="no pseudo-labels scored yet")]


def claims(results: dict, crf: bool = False) -> list[dict]:
    """Every claim row (:func:`_row`) of a results dict (:func:`load_results`); with ``crf``, the claims on
    scores with the test-time CRF, where every network of a comparison has them (the closing budget and the
    pseudo-labels are judged without)."""
    results = as_results(results)
    rows = (claim_gap_rows(results, crf) + claim_w_above_b_rows(results, crf)
            + claim_share_rows(results, "W", crf) + claim_share_rows(results, "R", crf)
            + claim_w_above_r_rows(results, crf) + claim_remaining_rows(results, crf))
    if crf:
        return [r for r in rows if r["verdict"] != OPEN]
    return rows + [claim_closing(results)] + claim_pseudo_label_rows(results)


# --------------------------------------------------------------------------------------------- the text
def format_value(x, unit: str = "points") -> str:
    """A value as the tables print it: points "+2.7", shares "45.1%", budgets "3%", scores "82.7%"."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if unit == "share":
        return f"{100 * x:.1f}%"
    if unit == "budget":
        return f"{100 * x:g}%"
    if unit == "score":
        return f"{100 * x:.1f}%"
    return f"{100 * x:+.1f}"


def format_interval(low, high, unit: str = "points") -> str:
    """"[+0.5, +4.9]"; a closing budget's bracket "(1%, 3%]", "<= 3%", "> 2%" or "not bracketed"."""
    if low is None or high is None or (not math.isfinite(low) and not math.isfinite(high) and unit != "budget"):
        return "–"
    if unit == "budget":
        if low == 0 and not math.isfinite(high):
            return "not bracketed"
        if not math.isfinite(high):
            return f"> {format_value(low, unit)}"
        if low == 0:
            return f"<= {format_value(high, unit)}"
        return f"({format_value(low, unit)}, {format_value(high, unit)}]"
    if not (math.isfinite(low) and math.isfinite(high)):
        return "–"
    return f"[{format_value(low, unit)}, {format_value(high, unit)}]"


def seeds_text(row: dict) -> str:
    """e.g. "3 seeds x 250 val images" (judged over seeds and val images), "3 seeds" (over the seeds alone)."""
    if not row["n"]:
        return "–"
    seeds = f"{row['n']} seed{'s' * (row['n'] > 1)}"
    return f"{seeds} x {row['images']} val images" if row.get("images") else seeds


def needed_text(row: dict) -> str:
    """The seeds a decision would need: "–" where decided, a number, "> 100", or why it is unknown."""
    if row["verdict"] != stats.UNDECIDED:
        return "–"
    if row.get("needs"):
        return row["needs"]
    if row["seeds_needed"] is not None:
        return str(row["seeds_needed"])
    if row["n"] < 2:
        return "unknown (one seed)"
    return f"> {stats.MAX_SEEDS}"


def verdict_text(row: dict) -> str:
    return f"**{row['verdict']}**" + (f" ({row['note']})" if row["note"] else "")


def row_text(row: dict) -> str:
    """What the runs show, in one line: where, the estimate, its interval, the seeds and the note."""
    if row["verdict"] == OPEN and row["estimate"] is None:
        return row["note"] or "runs missing"
    estimate = format_value(row["estimate"], row["unit"])
    unit = " points" if row["unit"] == "points" else ""
    if row["n"] < 2:
        return f"{row['where']}: {estimate}{unit} (one seed: no interval)"
    if row["unit"] == "budget":
        closes = f"closes at {estimate}" if row["estimate"] is not None else "not closed at a measured budget"
        text = (f"{row['where']}: {closes}, bracket {format_interval(row['low'], row['high'], 'budget')} "
                f"({seeds_text(row)})")
    else:
        text = (f"{row['where']}: {estimate}{unit}, 95% interval "
                f"{format_interval(row['low'], row['high'], row['unit'])} ({seeds_text(row)})")
    if row["note"]:
        text += f"; {row['note']}"
    if row["verdict"] == stats.UNDECIDED:
        text += f"; a decision needs {needed_text(row)}" + (" seeds" if not row.get("needs") else "")
    return text


def judge(summary: dict, root=None, budget_runs: dict | None = None, config: dict | None = None,
          crf: bool = False) -> list[tuple[str, str, str]]:
    """(claim, what the runs show, verdict) for every claim row of a summary (without ``root``, judged over
    the seeds alone); see :func:`claims` for the rows themselves."""
    results = as_results(summary) if root is None and budget_runs is None and config is None \
        else results_of(summary, budget_runs, config, root)
    return [(r["claim"], row_text(r), r["verdict"]) for r in claims(results, crf)]


# -------------------------------------------------------------------------------- descriptive helpers
def _seed_values(entry: dict, field: str) -> dict:
    """``{seed: value}`` of a summary entry: from its runs, or (an entry of one run) its own value."""
    return {r["seed"]: r[field] for r in _runs(entry) if r.get(field) is not None}


def paired_difference(summary: dict, a: str, b: str, field: str = "miou") -> dict | None:
    """``a - b`` seed by seed over the seeds both have, with the paired t test (:func:`stats.paired_t`);
    None below two shared seeds."""
    values = {key: _seed_values(summary.get(key, {}), field) for key in (a, b)}
    seeds = sorted(set(values[a]) & set(values[b]))
    if len(seeds) < 2:
        return None
    diffs = [values[a][s] - values[b][s] for s in seeds]
    t = stats.paired_t(diffs)
    return {"seeds": seeds, "diffs": diffs, "std": t["sd"], **t}


def paired_text(p: dict | None) -> str:
    """e.g. 'paired by seed: +3.0, +2.0, +3.0, mean +2.7, 95% interval [+1.2, +4.1]', or ''."""
    if p is None:
        return ""
    return (f"paired by seed: {', '.join(f'{100 * d:+.1f}' for d in p['diffs'])}, mean {format_value(p['mean'])}, "
            f"95% interval {format_interval(p['low'], p['high'])}")


def clicks_gap_closed(summary: dict, field: str = "miou") -> dict | None:
    """(W - B) / (F - B) on the human clicks over the seeds B and W (trained on clicks) and F (full masks)
    all have: the ratio of the seed means, and each seed's own ratio, whose spread is its noise (None
    below two seeds). None until one seed has all three."""
    pts = summary.get("points", {})
    b, w = _seed_values(pts.get("B", {}), field), _seed_values(pts.get("W", {}), field)
    f = _seed_values(summary.get("F", {}), field)
    seeds = sorted(set(b) & set(w) & set(f))
    if not seeds:
        return None
    means = {key: statistics.fmean(v[s] for s in seeds) for key, v in (("F", f), ("B", b), ("W", w))}
    per_seed = [gap_reduction(w[s], b[s], f[s]) for s in seeds]
    return {"seeds": seeds, **means, "ratio": gap_reduction(means["W"], means["B"], means["F"]),
            "per_seed": per_seed, "ratio_std": statistics.stdev(per_seed) if len(seeds) > 1 else None}


def budget_rows(summary: dict) -> tuple[float | None, list[dict]]:
    """F's mean (the curve's band, or its one reference run) and the budget points, smallest budget first."""
    curve = summary.get("budget_curve", {})
    rows = sorted((v for k, v in curve.items() if k != "F"), key=lambda v: v["budget"])
    return curve.get("F", {}).get("miou"), rows


def budget_f_std(summary: dict) -> float | None:
    """The seed std of the curve's F band; for a curve of one seed per point, that of the main chain's F."""
    band = summary.get("budget_curve", {}).get("F", {})
    return band.get("miou_std") if band.get("n", 1) > 1 else summary.get("F", {}).get("miou_std")


def budget_paired(row: dict) -> dict | None:
    """W - B at one budget point seed by seed with its paired t test (None below two seeds)."""
    runs = [r for r in row.get("runs", []) if r.get("B") is not None and r.get("W") is not None]
    if len(runs) < 2:
        return None
    diffs = [r["W"] - r["B"] for r in runs]
    t = stats.paired_t(diffs)
    return {"diffs": diffs, "mean": t["mean"], "std": t["sd"], "low": t["low"], "high": t["high"]}
