"""The test behind every claim: networks of the same seeds, scored on the same val images.

A claim's estimate (a difference of seed-mean mIoUs, or a gap ratio of them) gets a 95% interval whose
half-width adds in quadrature the spread between seeds, expanded by Student's t with n - 1 degrees of freedom
(the jackknife over seeds: for a difference, exactly the paired t-test over seeds), and the part of the val
images' sampling error that every seed shares, from a bootstrap over the images that resamples the same
images for every seed and network, expanded by its own t quantile. A claim is *confirmed* when that interval
excludes no effect on the claimed side, *refuted* when it excludes the paper's value or lies wholly on the
wrong side of zero, and *undecided* otherwise, reported with the number of seeds at which a decision would
have 80% power at the observed spread.

Why the seeds get t with n - 1 degrees of freedom. A seed is a replicate of the whole method (its own
scribbles, head initialisation and batch order), so the seeds are the units of replication: with three of
them, a percentile interval of a bootstrap that resamples the seeds uses normal-like quantiles on a spread
shrunk by (n - 1)/n and covers the truth about 76% of the time (tests/test_stats.py measures it).

Why only the shared part of the image error. All seeds are scored on the same val images, so the images the
val set happens to hold move every seed's score alike and do not average out over seeds. That part is the
variance of the statistic when the images are resampled jointly for all seeds (V_same) less the variance when
each seed draws its own (V_apart), times n/(n - 1): the covariance between seeds. Adding V_same itself would
count the seed x image interaction twice, since it is already inside the spread between seeds. For a linear
statistic the sum of the two parts is unbiased for the variance of the estimate; for a ratio it is the
first-order (delta-method) one, the ratio being recomputed on every resample.

Why quadrature, not one t quantile with Welch-Satterthwaite degrees of freedom. Those degrees of freedom are
computed from the estimated seed variance, which has two with three seeds: where it comes out small, the
degrees of freedom jump and the quantile drops at once, and the interval covers only about 92% at three
seeds with a moderate image part. Expanding each part by its own quantile never covers less than 95% (it is
the paired t-test where the seeds dominate, the image bootstrap where the images do) and at most about
97.6% at three seeds and 96.2% at six, over every ratio of the two parts (a normal-theory calculation).

Everything is numpy and scipy; the bootstrap sums the per-image count matrices with matrix products, so
2,000 resamples of 6 seeds x 250 images x 7 x 8 counts take about a second per network.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
from scipy import stats as scipy_stats
from scipy.optimize import brentq

ALPHA = 0.05            # two-sided: the intervals are 95% intervals
POWER = 0.8             # of the seeds-needed calculation
MAX_SEEDS = 100         # seeds-needed beyond this is reported as None ("more than 100")
RESAMPLES = 2000        # bootstrap resamples of the val images
CHUNK = 256             # resamples summed at once (bounds the memory of the matrix products)

Statistic = Callable[[dict], np.ndarray]


# ------------------------------------------------------------------------------------------------ scores
def miou_scores(counts) -> np.ndarray:
    """mIoU of summed count matrices ``(..., K, K + 1)`` (rows: true class; column K: abstained), vectorised
    over the leading axes; a class absent from both truth and prediction is skipped, as in
    :func:`scribblegap.core.metrics.miou_of_counts` (NaN where no class occurs)."""
    counts = np.asarray(counts, dtype=np.float64)
    k = counts.shape[-2]
    hits = np.diagonal(counts[..., :k], axis1=-2, axis2=-1)
    union = counts.sum(-1) + counts[..., :k].sum(-2) - hits
    present = union > 0
    iou = np.divide(hits, union, out=np.zeros_like(hits), where=present)
    classes = present.sum(-1)
    return np.divide(iou.sum(-1), classes, out=np.full(classes.shape, np.nan), where=classes > 0)


def difference(a: str, b: str) -> Statistic:
    """The statistic ``a - b`` of seed-mean scores (a dict of arrays: vectorised over resamples)."""
    def statistic(means: dict) -> np.ndarray:
        return np.asarray(means[a]) - np.asarray(means[b])
    return statistic


def gap_ratio(weak: str, baseline: str, full: str) -> Statistic:
    """The statistic ``(weak - baseline) / (full - baseline)`` of seed-mean scores: the share of the gap
    closed, computed on each resample's means (not from separate errors of numerator and denominator)."""
    def statistic(means: dict) -> np.ndarray:
        gap = np.asarray(means[full]) - np.asarray(means[baseline])
        closed = np.asarray(means[weak]) - np.asarray(means[baseline])
        return np.divide(closed, gap, out=np.full(np.shape(gap), np.nan), where=gap != 0)
    return statistic


# ------------------------------------------------------------------------------------ over seeds alone
def paired_t(a, b=None, alpha: float = ALPHA) -> dict:
    """The paired test over seeds of ``a - b`` (``a`` alone: the differences themselves): the mean
    difference, its standard error, the t interval with n - 1 degrees of freedom and the two-sided p."""
    d = np.asarray(a, dtype=np.float64) - (0.0 if b is None else np.asarray(b, dtype=np.float64))
    n = int(d.size)
    mean = float(d.mean()) if n else math.nan
    if n < 2:
        return {"n": n, "mean": mean, "sd": None, "se": math.nan, "df": None, "low": math.nan,
                "high": math.nan, "p": math.nan}
    sd = float(d.std(ddof=1))
    se = sd / math.sqrt(n)
    half = float(scipy_stats.t.ppf(1 - alpha / 2, n - 1)) * se
    return {"n": n, "mean": mean, "sd": sd, "se": se, "df": n - 1, "low": mean - half, "high": mean + half,
            "p": float(2 * scipy_stats.t.sf(abs(mean) / se, n - 1)) if se > 0 else float(mean == 0)}


def jackknife_variance(scores: dict, statistic: Statistic) -> float:
    """Variance of ``statistic`` of the seed means from leaving out one seed at a time (``scores``: model ->
    one score per seed, the seeds in the same order); for a difference, exactly s²/n of the paired test."""
    n = len(next(iter(scores.values())))
    if n < 2:
        return math.nan
    others = (~np.eye(n, dtype=bool)).astype(np.float64) / (n - 1)  # row i: the mean without seed i
    theta = np.asarray(statistic({m: others @ np.asarray(v, dtype=np.float64) for m, v in scores.items()}))
    return float((n - 1) / n * np.sum((theta - theta.mean()) ** 2))


# --------------------------------------------------------------------------------------- the bootstrap
def image_weights(rng: np.random.Generator, resamples: int, images: int, groups: int | None = None) -> np.ndarray:
    """How often each val image is drawn in each resample (``(resamples, images)``, or one row per group:
    ``(resamples, groups, images)``); every row sums to ``images``."""
    rows = resamples * (groups or 1)
    drawn = rng.integers(0, images, size=(rows, images)) + images * np.arange(rows)[:, None]
    weights = np.bincount(drawn.ravel(), minlength=rows * images).astype(np.float64)
    return weights.reshape((resamples, groups, images) if groups else (resamples, images))


def resampled_scores(counts, weights: np.ndarray, slots: np.ndarray | None = None,
                     score: Callable = miou_scores) -> np.ndarray:
    """Each resample's score of each seed slot, ``(resamples, slots)``, from per-image counts
    ``(seeds, images, K, K + 1)``: slot j of resample r is seed ``slots[r, j]`` (default: seed j) scored on
    its images drawn ``weights[r]`` times (``(resamples, images)``: the same images for every slot) or
    ``weights[r, j]`` times (``(resamples, slots, images)``: each slot its own)."""
    counts = np.asarray(counts, dtype=np.float64)
    seeds, images = counts.shape[:2]
    flat = counts.reshape(seeds, images, -1)
    n_slots = slots.shape[1] if slots is not None else (weights.shape[1] if weights.ndim == 3 else seeds)
    out = np.empty((len(weights), n_slots))
    for start in range(0, len(weights), CHUNK):
        w = weights[start:start + CHUNK]
        if w.ndim == 2:  # the same images for every seed: one product for all of them
            summed = np.tensordot(w, flat, axes=([1], [1]))                      # (r, seeds, cells)
            if slots is not None:
                summed = np.take_along_axis(summed, slots[start:start + CHUNK, :, None], axis=1)
        elif slots is None:  # slot j is seed j, with its own images
            summed = np.matmul(w.transpose(1, 0, 2), flat).transpose(1, 0, 2)     # (r, seeds, cells)
        else:  # every slot's images against every seed, then each slot's own seed
            every = np.tensordot(w, flat, axes=([2], [1]))                        # (r, slots, seeds, cells)
            pick = slots[start:start + CHUNK, :, None, None]
            summed = np.take_along_axis(every, pick, axis=2)[:, :, 0]
        out[start:start + len(w)] = score(summed.reshape(len(w), n_slots, *counts.shape[2:]))
    return out


def bootstrap(counts: dict, statistic: Statistic, score: Callable = miou_scores, resamples: int = RESAMPLES,
              rng: np.random.Generator | None = None, resample_seeds: bool = True,
              images: str = "per_seed") -> np.ndarray:
    """The statistic over resamples of seeds and val images, ``(resamples,)``. ``counts``: model ->
    ``(seeds, images, K, K + 1)``, the same seeds (in the same order) and images for every model. Seeds are
    drawn with replacement (unless ``resample_seeds`` is False); then the val images, with replacement,
    either once per resampled seed (``images="per_seed"``, the two-level bootstrap) or once per resample for
    all seeds (``"shared"``); a seed's images are the same for every model, so the pairing holds. Each
    model's score is recomputed from the summed counts, averaged over the resample's seeds, and the statistic
    is taken of those means."""
    rng = rng if rng is not None else np.random.default_rng(0)
    first = next(iter(counts.values()))
    seeds, n_images = first.shape[:2]
    slots = rng.integers(0, seeds, size=(resamples, seeds)) if resample_seeds else None
    weights = image_weights(rng, resamples, n_images, seeds if images == "per_seed" else None)
    means = {m: resampled_scores(c, weights, slots, score).mean(1) for m, c in counts.items()}
    return np.asarray(statistic(means))


def shared_image_variance(same: dict, apart: dict, statistic: Statistic) -> float:
    """The part of the statistic's variance that comes from which images the val set holds, shared by all
    seeds: ``n/(n - 1) (V_same - V_apart)`` (at least 0), with ``same``/``apart``: model -> resampled
    scores ``(resamples, seeds)`` under the same images for every seed, and under each seed's own draw."""
    def variance(scores: dict) -> float:
        values = np.asarray(statistic({m: v.mean(1) for m, v in scores.items()}))
        values = values[np.isfinite(values)]
        return float(values.var(ddof=1)) if values.size > 1 else math.nan

    n = next(iter(same.values())).shape[1]
    v_same = variance(same)
    if n < 2:
        return v_same
    return max(0.0, n / (n - 1) * (v_same - variance(apart)))


# ------------------------------------------------------------------------------------------ the interval
def half_width(seed_var, image_var, n: int, images: int | None, alpha: float = ALPHA, power: float | None = None):
    """The half-width of the interval: each part expanded by its own t quantile (seeds: n - 1 degrees of
    freedom; images: images - 1), added in quadrature. With ``power``, the distance an effect must lie from a
    boundary to be excluded with that probability (the quantiles ``t_{1-alpha/2} + t_{power}``)."""
    def quantile(df):
        q = scipy_stats.t.ppf(1 - alpha / 2, df)
        return q + scipy_stats.t.ppf(power, df) if power is not None else q

    seed_part = quantile(n - 1) ** 2 * np.asarray(seed_var)
    image_part = quantile(images - 1) ** 2 * np.asarray(image_var) if images else 0.0
    return np.sqrt(seed_part + image_part)


def combine(estimate: float, seed_var: float, image_var: float, n: int, images: int | None,
            alpha: float = ALPHA) -> dict:
    """The interval ``estimate ± half_width`` (:func:`half_width`); NaN bounds with fewer than two seeds
    (no spread between seeds). ``se`` is the plain sqrt(seed_var + image_var)."""
    out = {"estimate": float(estimate), "n": n, "images": images, "seed_var": seed_var, "image_var": image_var,
           "se": math.nan, "low": math.nan, "high": math.nan, "alpha": alpha}
    if n < 2 or not np.isfinite(estimate) or not np.isfinite(seed_var) or not np.isfinite(image_var):
        return out
    half = float(half_width(seed_var, image_var, n, images, alpha))
    return {**out, "se": math.sqrt(seed_var + image_var), "low": estimate - half, "high": estimate + half}


def p_value(result: dict, value: float = 0.0) -> float:
    """Two-sided p of ``value`` under the interval's construction: the alpha at which the interval's end
    reaches it (NaN without an interval)."""
    if not np.isfinite(result["se"]):
        return math.nan
    distance = abs(result["estimate"] - value)
    if result["se"] == 0:
        return 1.0 if distance == 0 else 0.0

    def reach(alpha):
        half = half_width(result["seed_var"], result["image_var"], result["n"], result["images"], alpha)
        return float(half) - distance

    if reach(1 - 1e-12) >= 0:
        return 1.0
    if reach(1e-15) <= 0:
        return 0.0
    return float(brentq(reach, 1e-15, 1 - 1e-12, xtol=1e-14))


def interval(statistic: Statistic, scores: dict | None = None, counts: dict | None = None,
             score: Callable = miou_scores, resamples: int = RESAMPLES, rng: np.random.Generator | None = None,
             alpha: float = ALPHA) -> dict:
    """The decision interval of ``statistic`` over seeds and, given per-image ``counts`` (model ->
    ``(seeds, images, K, K + 1)``, aligned), over val images too; given only ``scores`` (model -> one score
    per seed, aligned), over seeds alone. Returns the estimate (of the seed means; from the counts where
    given), its bounds, SE and the two variance parts."""
    if counts is not None:
        scores = {m: score(np.asarray(c).sum(1)) for m, c in counts.items()}
    scores = {m: np.asarray(v, dtype=np.float64) for m, v in scores.items()}
    n = len(next(iter(scores.values())))
    estimate = float(np.asarray(statistic({m: v.mean() for m, v in scores.items()})))
    seed_var = jackknife_variance(scores, statistic)
    image_var, images = 0.0, None
    if counts is not None:
        rng = rng if rng is not None else np.random.default_rng(0)
        images = int(np.asarray(next(iter(counts.values()))).shape[1])
        weights = image_weights(rng, resamples, images, n)  # each seed its own draw; the first one for all
        same = {m: resampled_scores(c, weights[:, 0], score=score) for m, c in counts.items()}
        apart = {m: resampled_scores(c, weights, score=score) for m, c in counts.items()}
        image_var = shared_image_variance(same, apart, statistic)
    return combine(estimate, seed_var, image_var, n, images, alpha)


# ------------------------------------------------------------------------------------------- verdicts
CONFIRMED, REFUTED, UNDECIDED = "confirmed", "refuted", "undecided"


def verdict(low: float, high: float, direction: int = 1, paper: float | None = None) -> str:
    """The verdict on an interval, in this order: *refuted* when it excludes the paper's value (claims that
    have one); *confirmed* when it excludes 0 on the claimed side (``direction`` +1: above, -1: below);
    *refuted* when it lies wholly on the wrong side of 0; *undecided* otherwise (and with no interval)."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return UNDECIDED
    if paper is not None and not low <= paper <= high:
        return REFUTED
    if (low > 0 if direction > 0 else high < 0):
        return CONFIRMED
    if (high < 0 if direction > 0 else low > 0):
        return REFUTED
    return UNDECIDED


def side_of_zero(low: float, high: float) -> str:
    """Where the interval lies against 0: "above 0", "below 0", "includes 0" (or "no interval")."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return "no interval"
    return "above 0" if low > 0 else ("below 0" if high < 0 else "includes 0")


def seeds_needed(result: dict, boundaries, alpha: float = ALPHA, power: float = POWER,
                 most: int = MAX_SEEDS) -> int | None:
    """The fewest seeds (more than the result's) at which the interval would exclude one of ``boundaries``
    with probability ``power``, were the estimate the true value and the spread between seeds the observed
    one: the smallest m with |estimate - c| >= :func:`half_width` at m seeds with the quantiles
    t_{1-alpha/2} + t_{power} (the seed part's variance scaled by n/m, the image part unchanged: the same
    val set). None where no m up to ``most`` does (the val set's own noise alone can be too large), or with
    fewer than two seeds (no spread known)."""
    n, estimate = result["n"], result["estimate"]
    if n < 2 or not np.isfinite(result["se"]):
        return None
    per_seed = result["seed_var"] * n
    distance = max((abs(estimate - c) for c in boundaries), default=0.0)
    for m in range(n + 1, most + 1):
        if distance >= half_width(per_seed / m, result["image_var"], m, result["images"], alpha, power):
            return m
    return None
