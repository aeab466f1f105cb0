"""The paper's claims judged from the results files: the gap statistics and each verdict's threshold.

Torch-free: reads only the dicts of ``results/<name>/summary.json``. Verdicts: *confirmed*, *not seen*,
*within noise*, *not measurable* (no gap above the noise to take a ratio of), *open* (runs missing).
"""
from __future__ import annotations

import math
import statistics

from scribblegap.core.metrics import gap_reduction

# The paper's numbers (Mayer, Timofte & Paul 2018) that the verdicts compare against.
PAPER = {"gap_reduction": 0.642, "peer_gap_reduction": 0.574, "closing_budget": 0.031}

# A difference of two mean mIoUs counts only when it exceeds this many pooled seed standard deviations;
# below it a gap reduction would be a ratio of noise and is not reported.
MIN_SIGMAS = 2.0
# Fused + CRF pseudo-labels "beat" the best single annotator when they are at least this much better
# (mIoU on train; smaller gains are reported as "partly").
PSEUDO_LABEL_MARGIN = 0.03
# W "closes the gap" at a budget when it comes this close to F (mIoU) while B does not.
CLOSE_WITHIN = 0.01
# A ratio is confirmed when it exceeds zero by this many of its standard errors.
RATIO_SIGMAS = 2.0
# "Most of the gap": a ratio above zero but below this share closes only part of it ("partly").
MOST_OF_GAP = 0.5


def pooled_std(*entries, field: str = "miou") -> float | None:
    """Root mean square of the entries' seed standard deviations (None if no entry has one)."""
    stds = [e.get(f"{field}_std") for e in entries if e and e.get(f"{field}_std") is not None]
    return math.sqrt(sum(s * s for s in stds) / len(stds)) if stds else None


def _seed_values(entry: dict, field: str) -> dict:
    """``{seed: value}`` of a summary entry: from its runs, or (an entry of one run) its own value."""
    runs = entry.get("runs") or ([entry] if "seed" in entry else [])
    return {r["seed"]: r[field] for r in runs if r.get(field) is not None}


def paired_difference(summary: dict, a: str, b: str, field: str = "miou") -> dict | None:
    """``a - b`` seed by seed, over the seeds both have (None below two). One seed gives every network the
    same head initialisation and batch order, so a seed's luck shared by both cancels in the difference;
    reported beside the pooled-std verdicts, which it does not change."""
    runs = {key: _seed_values(summary.get(key, {}), field) for key in (a, b)}
    seeds = sorted(set(runs[a]) & set(runs[b]))
    if len(seeds) < 2:
        return None
    diffs = [runs[a][s] - runs[b][s] for s in seeds]
    mean, std = statistics.fmean(diffs), statistics.stdev(diffs)
    return {"seeds": seeds, "diffs": diffs, "mean": mean, "std": std, "sigmas": mean / std if std else None}


def paired_text(p: dict | None) -> str:
    """e.g. 'paired by seed: +3.0, +2.0, +3.0, mean 2.7 ± 0.6 (4.6x its std)', or '' without two shared seeds."""
    if p is None:
        return ""
    sigmas = f" ({p['sigmas']:.1f}x its std)" if p["sigmas"] is not None else ""
    return (f"paired by seed: {', '.join(f'{100 * d:+.1f}' for d in p['diffs'])}, mean {100 * p['mean']:.1f} ± "
            f"{100 * p['std']:.1f}{sigmas}")


def _sem(entry: dict, field: str = "miou") -> float:
    std = entry.get(f"{field}_std") or 0.0
    return std / math.sqrt(max(entry.get("n", 1), 1))


def reduction_error(ratio: float, gap: float, f: dict, b: dict, w: dict, field: str = "miou") -> float:
    """First-order standard error of (W - B) / (F - B) from the standard errors of the three means."""
    if not gap:
        return float("nan")
    return math.sqrt(_sem(w, field) ** 2 + (ratio * _sem(f, field)) ** 2 + ((ratio - 1) * _sem(b, field)) ** 2) / abs(gap)


def gap_analysis(summary: dict, field: str = "miou", weak_keys=("W", "R", "W_confident", "W_soft", "W_round2")) -> dict:
    """F - B against the seed noise, and (K - B) / (F - B) with a first-order error for each weak key."""
    f, b = summary.get("F"), summary.get("B")
    if not f or not b or f.get(field) is None or b.get(field) is None:
        return {"available": False}
    gap = f[field] - b[field]
    pooled = pooled_std(f, b, field=field)
    out = {"available": True, "gap": gap, "pooled_std": pooled,
           "measurable": pooled is not None and gap > MIN_SIGMAS * pooled,
           "sigmas": gap / pooled if pooled else None, "reductions": {}}
    for key in weak_keys:
        w = summary.get(key)
        if not w or w.get(field) is None:
            continue
        ratio = gap_reduction(w[field], b[field], f[field])
        err = reduction_error(ratio, gap, f, b, w, field)
        out["reductions"][key] = {"ratio": ratio, "ratio_err": err, "value": w[field]}
    return out


def _pts(x: float) -> str:
    return f"{100 * x:.1f}"


def claim_gap(s: dict) -> tuple[str, str]:
    g = gap_analysis(s)
    if not g["available"]:
        return "no F and B yet", "open"
    noise = f"{g['sigmas']:.1f}x the seed std" if g["sigmas"] is not None else "one seed, noise unknown"
    paired = paired_text(paired_difference(s, "F", "B"))
    seen = f"F - B = {_pts(g['gap'])} points ({noise}" + (f"; {paired})" if paired else ")")
    if g["measurable"]:
        return seen, "confirmed"
    return seen, "not seen" if g["pooled_std"] is not None else "open (one seed)"


def claim_pseudo_labels(s: dict) -> tuple[str, str]:
    p = s.get("pseudo_labels", {})
    if "fused_crf" not in p or not {"local", "global"} <= set(p):
        return "no pseudo-labels scored yet", "open"
    best = max(("local", "global"), key=lambda k: p[k]["miou"])
    margin = p["fused_crf"]["miou"] - p[best]["miou"]
    seen = (f"fused + CRF {_pts(p['fused_crf']['miou'])}% vs best single ({best}) {_pts(p[best]['miou'])}%: "
            f"{100 * margin:+.1f} points")
    return seen, "confirmed" if margin >= PSEUDO_LABEL_MARGIN else ("partly" if margin > 0 else "not seen")


def reduction_verdict(ratio: float, err: float, most: bool) -> str:
    """A gap reduction with its standard error: "not seen" unless it clears zero by RATIO_SIGMAS errors;
    where the claim is "most of the gap", "partly" below MOST_OF_GAP."""
    if ratio - RATIO_SIGMAS * err <= 0:
        return "not seen"
    return "partly" if most and ratio < MOST_OF_GAP else "confirmed"


def claim_reduction(s: dict, key: str, paper: float, most: bool = False) -> tuple[str, str]:
    g = gap_analysis(s)
    if not g["available"] or key not in s:
        return f"no {key} yet", "open"
    w, b = s[key]["miou"], s["B"]["miou"]
    seen = f"{key} - B = {_pts(w - b)} points"
    if g["pooled_std"] is None:
        return seen + "; one seed, so the noise and the ratio are unknown", "open (one seed)"
    if not g["measurable"]:
        return seen + "; the gap is not measurable, so no ratio", "not measurable"
    r = g["reductions"][key]
    seen += f"; ({key} - B) / (F - B) = {_pts(r['ratio'])}%"
    if s[key].get("n", 1) < 2:
        return seen + f" (one seed of {key}, so its noise is unknown; paper {_pts(paper)}%)", "open (one seed)"
    seen += f" ± {_pts(r['ratio_err'])} (paper {_pts(paper)}%)"
    return seen, reduction_verdict(r["ratio"], r["ratio_err"], most)


def claim_w_above_r(s: dict) -> tuple[str, str]:
    if "W" not in s or "R" not in s:
        return "W or R missing", "open"
    d = s["W"]["miou"] - s["R"]["miou"]
    pooled = pooled_std(s["W"], s["R"])
    noise = "; ".join(filter(None, [f"pooled seed std {_pts(pooled)}" if pooled else "one seed",
                                    paired_text(paired_difference(s, "W", "R"))]))
    seen = f"W - R = {100 * d:+.1f} points ({noise})"
    if pooled is None or min(s["W"].get("n", 1), s["R"].get("n", 1)) < 2:  # a one-seed side has no noise estimate
        return seen, "open (one seed)"
    return seen, "confirmed" if d > MIN_SIGMAS * pooled else ("not seen" if d < 0 else "within noise")


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


def leaves_gap(f: float, row: dict, f_std: float | None = None) -> bool:
    """Whether B leaves a gap at a budget point: F - B above :data:`CLOSE_WITHIN` and, at a point of several
    seeds, above :data:`MIN_SIGMAS` pooled seed standard deviations of F and B (otherwise a ratio of noise)."""
    gap = f - row["B"]
    if row.get("B_std") is None:  # one seed per point: its noise is unknown
        return gap > CLOSE_WITHIN
    pooled = pooled_std({"miou_std": f_std}, {"miou_std": row["B_std"]})
    return gap > max(CLOSE_WITHIN, MIN_SIGMAS * pooled)


def budget_paired(row: dict) -> dict | None:
    """W - B at one budget point seed by seed (None below two seeds): both of a seed share its head
    initialisation and batch order."""
    runs = [r for r in row.get("runs", []) if r.get("B") is not None and r.get("W") is not None]
    if len(runs) < 2:
        return None
    diffs = [r["W"] - r["B"] for r in runs]
    return {"diffs": diffs, "mean": statistics.fmean(diffs), "std": statistics.stdev(diffs)}


def budget_verdict(f: float | None, rows: list[dict], f_std: float | None = None) -> tuple[str, str]:
    """Where W comes within :data:`CLOSE_WITHIN` of F, and whether that says anything: where B (scribbles
    alone) leaves no gap (:func:`leaves_gap`) at a budget, there is nothing there for W to close."""
    measured = ", ".join(f"{100 * r['budget']:g}%" for r in rows)
    within = f"{100 * CLOSE_WITHIN:g} point"
    if f is None or not rows:
        return "no budget curve yet", "open"
    noisy = any(r.get("B_std") is not None for r in rows)
    gap = "a gap above the seed noise" if noisy else "a gap"
    if not any(leaves_gap(f, r, f_std) for r in rows):
        return (f"B leaves no {gap[2:]} at any measured budget ({measured}), so the curve cannot show where W "
                f"closes it"), "not measurable"
    closing = [r for r in rows if f - r["W"] <= CLOSE_WITHIN and leaves_gap(f, r, f_std)]
    if closing:
        return (f"W comes within {within} of F (where B leaves {gap}) from {100 * closing[0]['budget']:g}% of "
                f"the pixels (paper: about {100 * PAPER['closing_budget']:.1f}%; measured at {measured})"), "confirmed"
    seen = f"W does not come within {within} of F where B leaves {gap} (measured at {measured})"
    return seen, "not seen" if len(rows) >= 3 else f"open (only {len(rows)} budget{'s' * (len(rows) > 1)})"


def claim_budget(s: dict) -> tuple[str, str]:
    return budget_verdict(*budget_rows(s), budget_f_std(s))


def curve_reductions(summary: dict) -> list[dict]:
    """(W - B) / (F - B) at every point of the budget curve where B leaves a gap above the seed noise
    (:func:`leaves_gap`, points of several seeds only), with the first-order error of :func:`gap_analysis`."""
    f, rows = budget_rows(summary)
    band, f_std = summary.get("budget_curve", {}).get("F", {}), budget_f_std(summary)
    out = []
    for r in rows:
        if f is None or r.get("B_std") is None or not leaves_gap(f, r, f_std):
            continue
        n = r.get("n", 1)
        ratio, gap = gap_reduction(r["W"], r["B"], f), f - r["B"]
        err = reduction_error(ratio, gap, {"miou_std": f_std, "n": band.get("n", 1)},
                              {"miou_std": r["B_std"], "n": n}, {"miou_std": r.get("W_std"), "n": n})
        out.append({"budget": r["budget"], "ratio": ratio, "ratio_err": err, "gap": gap})
    return out


def claim_reduction_on_curve(s: dict) -> tuple[str, str]:
    """The paper's headline claim where its premise holds: at the budgets where B leaves a gap."""
    f, rows = budget_rows(s)
    if f is None or not any(r.get("B_std") is not None for r in rows):
        return "no budget curve of several seeds yet", "open"
    points = curve_reductions(s)
    if not points:
        return "B leaves no gap above the seed noise at any measured budget", "not measurable"
    seen = "; ".join(f"{100 * p['budget']:g}%: F - B = {_pts(p['gap'])}, (W - B) / (F - B) = {_pts(p['ratio'])}% "
                     f"± {_pts(p['ratio_err'])}" for p in points) + f" (paper {_pts(PAPER['gap_reduction'])}%)"
    verdicts = {reduction_verdict(p["ratio"], p["ratio_err"], most=True) for p in points}
    if verdicts == {"confirmed"}:
        return seen, "confirmed"
    return seen, "not seen" if verdicts == {"not seen"} else "partly"


CLAIMS = [
    (f"W closes most of the gap (paper: {_pts(PAPER['gap_reduction'])}%)",
     lambda s: claim_reduction(s, "W", PAPER["gap_reduction"], most=True)),
    (f"The DenseCRF loss (R, the best peer) closes part of it (paper: {_pts(PAPER['peer_gap_reduction'])}%)",
     lambda s: claim_reduction(s, "R", PAPER["peer_gap_reduction"])),
    ("W above R", claim_w_above_r),
    (f"W closes most of the gap where B leaves one: the budget curve (paper: {_pts(PAPER['gap_reduction'])}%)",
     claim_reduction_on_curve),
    (f"The gap closes at about {100 * PAPER['closing_budget']:.1f}% annotated pixels", claim_budget),
    ("Scribbles leave a gap: F clearly above B", claim_gap),
    ("Fused + CRF pseudo-labels beat the best single annotator", claim_pseudo_labels),
]


def judge(summary: dict) -> list[tuple[str, str, str]]:
    """(claim, what the runs show, verdict) for every claim."""
    return [(claim, *fn(summary)) for claim, fn in CLAIMS]
