"""The claims' test (scribblegap.report.stats) against simulated experiments whose true answer is known.

Each simulated model scores 2-class images: on seed s and image i it errs on a share q of each class's
pixels (binomial), q = rate + seed effect (shared by the models, plus each model's own) + image effect
(shared, plus each model's own, the same on every seed). Its population mIoU at seed s is (1 - r)/(1 + r),
r = rate + seed effect, so the true value of a seed-mean statistic is an integral over the seed effect
(Gauss-Hermite, exact to machine precision). The coverage checks run 1,000 seeded trials each.
"""
import math
import time

import numpy as np
import pytest
from scipy import stats as scipy_stats
from threadpoolctl import threadpool_limits

from scribblegap.core.metrics import miou_of_counts
from scribblegap.report import stats

PIXELS = 400      # of each class in every image
IMAGES = 250
SEED_SHARED, SEED_OWN = 0.01, 0.004      # sd of the seed effects on the error rate
IMAGE_SHARED, IMAGE_OWN = 0.03, 0.012    # sd of the image effects
RESAMPLES = 200                          # of the bootstrap inside the coverage checks


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    """Small matrix products run faster on one thread, the more so on a busy machine."""
    with threadpool_limits(1):
        yield


def population_score(rate: float, seed_sd: float) -> float:
    """E over the seed effect of the population mIoU (1 - r)/(1 + r), r = rate + N(0, seed_sd²)."""
    x, w = np.polynomial.hermite.hermgauss(60)
    r = rate + math.sqrt(2) * seed_sd * x
    return float(np.sum(w * (1 - r) / (1 + r)) / math.sqrt(math.pi))


def truth(rates: dict, seed_own: float = SEED_OWN) -> dict:
    return {m: population_score(r, math.hypot(SEED_SHARED, seed_own)) for m, r in rates.items()}


def simulate(rng, seeds: int, rates: dict, seed_own=SEED_OWN, image_own=IMAGE_OWN) -> dict:
    """model -> per-image counts (seeds, images, 2, 3): rows true class, columns predicted (column 2, none)."""
    shared_seed = rng.normal(0, SEED_SHARED, (seeds, 1))
    shared_image = rng.normal(0, IMAGE_SHARED, (1, IMAGES))
    out = {}
    for model, rate in rates.items():
        own_seed, own_image = rng.normal(0, seed_own, (seeds, 1)), rng.normal(0, image_own, (1, IMAGES))
        q = rate + shared_seed + own_seed + shared_image + own_image
        wrong = rng.binomial(PIXELS, np.clip(q, 0, 1)[..., None], size=(seeds, IMAGES, 2))
        counts = np.zeros((seeds, IMAGES, 2, 3), np.int64)
        counts[..., 0, 0], counts[..., 0, 1] = PIXELS - wrong[..., 0], wrong[..., 0]
        counts[..., 1, 1], counts[..., 1, 0] = PIXELS - wrong[..., 1], wrong[..., 1]
        out[model] = counts
    return out


def coverage(seeds, rates, statistic, true_value, trials=1000, seed=0, **effects) -> dict:
    """Shares of trials whose interval covers the true value, excludes 0, and lies above 0."""
    rng = np.random.default_rng(seed)
    covered = excluded = above = 0
    for _ in range(trials):
        r = stats.interval(statistic, counts=simulate(rng, seeds, rates, **effects), resamples=RESAMPLES, rng=rng)
        covered += r["low"] <= true_value <= r["high"]
        excluded += not r["low"] <= 0 <= r["high"]
        above += r["low"] > 0
    return {"covered": covered / trials, "excludes_zero": excluded / trials, "confirmed": above / trials}


# ------------------------------------------------------------------------------------------- known answers
def test_miou_scores_are_those_of_the_metrics_module():
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 40, size=(3, 5, 6, 7))
    counts[1, :, 2, :] = 0
    counts[1, :, :, 2] = 0  # class 2 never occurs in that seed's images: skipped, as miou_of_counts does
    summed = counts.sum(1)
    assert np.allclose(stats.miou_scores(summed), [miou_of_counts(c) for c in summed])
    assert np.isnan(stats.miou_scores(np.zeros((2, 3))))


def test_paired_t_is_the_one_sample_t_test_of_the_differences():
    r = stats.paired_t([0.63, 0.63, 0.69], [0.60, 0.61, 0.66])
    reference = scipy_stats.ttest_1samp([0.03, 0.02, 0.03], 0.0)
    assert r["n"] == 3 and r["df"] == 2 and math.isclose(r["mean"], 0.08 / 3)
    assert math.isclose(r["sd"], np.std([0.03, 0.02, 0.03], ddof=1)) and math.isclose(r["se"], r["sd"] / math.sqrt(3))
    assert math.isclose(r["high"] - r["mean"], scipy_stats.t.ppf(0.975, 2) * r["se"])
    assert math.isclose(r["p"], reference.pvalue)
    assert math.isnan(stats.paired_t([0.1])["low"])


def test_the_jackknife_of_a_difference_is_the_paired_variance_and_the_interval_over_seeds_the_paired_t():
    a, b = np.array([0.63, 0.63, 0.69, 0.61]), np.array([0.60, 0.61, 0.66, 0.60])
    d = a - b
    assert math.isclose(stats.jackknife_variance({"a": a, "b": b}, stats.difference("a", "b")), d.var(ddof=1) / 4)
    r = stats.interval(stats.difference("a", "b"), scores={"a": a, "b": b})
    t = stats.paired_t(a, b)
    assert r["images"] is None and math.isclose(r["low"], t["low"]) and math.isclose(r["high"], t["high"])
    assert math.isclose(stats.p_value(r), t["p"], rel_tol=1e-6)
    assert math.isclose(stats.p_value(r, r["low"]), 0.05, rel_tol=1e-6)  # the interval's end: p = alpha


def test_the_bootstrap_keeps_the_pairing_and_recomputes_each_score_from_the_summed_counts():
    rng = np.random.default_rng(1)
    counts = simulate(rng, 4, {"A": 0.2})
    twin = {"A": counts["A"], "B": counts["A"].copy()}  # the same predictions: every resample must agree
    for seeds in (True, False):
        for images in ("per_seed", "shared"):
            v = stats.bootstrap(twin, stats.difference("A", "B"), resamples=50, rng=rng, resample_seeds=seeds,
                                images=images)
            assert v.shape == (50,) and np.all(v == 0)
    # one resample by hand: slots (seeds) 2, 2, 0, 3, each scored on its own draw of the images
    slots, weights = np.array([[2, 2, 0, 3]]), stats.image_weights(rng, 1, IMAGES, 4)
    by_hand = [miou_of_counts(np.tensordot(weights[0, j], counts["A"][s], axes=1)) for j, s in enumerate(slots[0])]
    assert np.allclose(stats.resampled_scores(counts["A"], weights, slots)[0], by_hand)
    assert np.allclose(stats.resampled_scores(counts["A"], weights[:, 0], slots)[0],
                       [miou_of_counts(np.tensordot(weights[0, 0], counts["A"][s], axes=1)) for s in slots[0]])
    assert np.all(stats.image_weights(rng, 7, IMAGES, 3).sum(-1) == IMAGES)


def test_two_thousand_resamples_of_six_seeds_and_250_images_take_seconds():
    rng = np.random.default_rng(2)
    counts = {m: rng.integers(0, 500, size=(6, IMAGES, 7, 8)) for m in ("F", "B", "W")}
    start = time.perf_counter()
    v = stats.bootstrap(counts, stats.gap_ratio("W", "B", "F"), resamples=2000, rng=rng)
    r = stats.interval(stats.gap_ratio("W", "B", "F"), counts=counts, resamples=2000, rng=rng)
    assert v.shape == (2000,) and np.isfinite(r["low"]) and time.perf_counter() - start < 15


def test_verdicts_judge_the_paper_value_first_then_the_direction():
    assert stats.verdict(0.1, 0.3, paper=0.642) == "refuted"  # W closes part of the gap, not 64.2% of it
    assert stats.side_of_zero(0.1, 0.3) == "above 0"
    assert stats.verdict(0.5, 0.8, paper=0.642) == "confirmed"
    assert stats.verdict(-0.1, 0.9, paper=0.642) == "undecided"
    assert stats.verdict(-0.3, -0.1, paper=0.642) == "refuted"
    assert stats.verdict(0.01, 0.05) == "confirmed" and stats.verdict(-0.05, -0.01) == "refuted"
    assert stats.verdict(-0.05, -0.01, direction=-1) == "confirmed"
    assert stats.verdict(-0.01, 0.05) == "undecided" and stats.verdict(math.nan, math.nan) == "undecided"


def test_seeds_needed_is_the_t_power_calculation_and_gives_that_power():
    sd, effect = 0.02, 0.015  # per-seed spread of a paired difference and its true value
    r = stats.combine(effect, sd ** 2 / 3, 0.0, 3, None)
    m = stats.seeds_needed(r, [0.0])
    by_hand = next(k for k in range(4, 100)
                   if effect >= (scipy_stats.t.ppf(0.975, k - 1) + scipy_stats.t.ppf(0.8, k - 1)) * sd / math.sqrt(k))
    assert m == by_hand
    rng = np.random.default_rng(3)  # 4,000 experiments of m seeds: the paired t interval excludes 0 in ~80%
    d = rng.normal(effect, sd, (4000, m))
    low = d.mean(1) - scipy_stats.t.ppf(0.975, m - 1) * d.std(1, ddof=1) / math.sqrt(m)
    assert 0.75 <= np.mean(low > 0) <= 0.88
    assert stats.seeds_needed(stats.combine(0.001, 1e-6, 1e-4, 3, 250), [0.0]) is None  # the val set's noise alone
    assert stats.seeds_needed(stats.combine(0.01, math.nan, 0.0, 1, None), [0.0]) is None  # one seed: no spread


def test_quadrature_never_undercovers_where_one_satterthwaite_quantile_does():
    """Normal theory, 200,000 draws a ratio: the estimate's error has a seed part (its variance estimated with
    n - 1 degrees of freedom) and an image part (known); the interval of stats.half_width covers at least 95%
    at every ratio of the two, one t quantile with Welch-Satterthwaite's degrees of freedom does not."""
    rng = np.random.default_rng(4)
    for seeds, highest in ((3, 0.98), (6, 0.97)):
        for ratio in (0.0, 0.1, 0.3, 1.0, 3.0, 10.0):
            error = rng.normal(0, 1, 200_000) + rng.normal(0, math.sqrt(ratio), 200_000)
            seed_var = rng.chisquare(seeds - 1, 200_000) / (seeds - 1)
            covered = np.mean(np.abs(error) <= stats.half_width(seed_var, ratio, seeds, IMAGES))
            assert 0.945 <= covered <= highest, (seeds, ratio, covered)
    seed_var, image_var = rng.chisquare(2, 200_000) / 2, 0.1
    error = rng.normal(0, 1, 200_000) + rng.normal(0, math.sqrt(image_var), 200_000)
    df = (seed_var + image_var) ** 2 / (seed_var ** 2 / 2 + image_var ** 2 / (IMAGES - 1))
    assert np.mean(np.abs(error) <= scipy_stats.t.ppf(0.975, df) * np.sqrt(seed_var + image_var)) < 0.935


# ------------------------------------------------------------------------------------------------ coverage
RATES = {"A": 0.20, "B": 0.22}


@pytest.mark.parametrize("seeds", [3, 6])
def test_the_interval_of_a_difference_covers_the_truth_95_percent_of_the_time(seeds):
    t = truth(RATES)
    found = coverage(seeds, RATES, stats.difference("A", "B"), t["A"] - t["B"], seed=seeds)
    print(f"{seeds} seeds: covered {found['covered']:.3f}")
    assert 0.93 <= found["covered"] <= 0.98


def test_no_true_difference_is_confirmed_at_most_2_5_percent_and_excluded_5_percent_of_the_time():
    rates = {"A": 0.21, "B": 0.21}
    found = coverage(3, rates, stats.difference("A", "B"), 0.0, seed=10)
    print(f"no difference, 3 seeds: {found}")
    assert 0.02 <= found["excludes_zero"] <= 0.07 and 0.005 <= found["confirmed"] <= 0.04


def test_the_interval_of_a_gap_ratio_covers_the_truth_95_percent_of_the_time():
    rates = {"F": 0.16, "B": 0.24, "W": 0.19}
    t = truth(rates)
    true_ratio = (t["W"] - t["B"]) / (t["F"] - t["B"])
    found = coverage(3, rates, stats.gap_ratio("W", "B", "F"), true_ratio, trials=600, seed=11)
    print(f"gap ratio {true_ratio:.3f}, 3 seeds: covered {found['covered']:.3f}")
    assert 0.93 <= found["covered"] <= 0.985


def test_where_the_val_images_dominate_the_paired_t_over_seeds_undercovers_and_the_interval_does_not():
    t = truth(RATES, seed_own=0.002)
    rng = np.random.default_rng(12)
    ours = seeds_only = 0
    for _ in range(400):
        counts = simulate(rng, 6, RATES, seed_own=0.002, image_own=0.04)
        r = stats.interval(stats.difference("A", "B"), counts=counts, resamples=RESAMPLES, rng=rng)
        p = stats.paired_t(*(stats.miou_scores(counts[m].sum(1)) for m in ("A", "B")))
        ours += r["low"] <= t["A"] - t["B"] <= r["high"]
        seeds_only += p["low"] <= t["A"] - t["B"] <= p["high"]
    print(f"image-dominated, 6 seeds: covered {ours / 400:.3f}, paired t over seeds {seeds_only / 400:.3f}")
    assert ours / 400 >= 0.92 and seeds_only / 400 <= 0.75


def test_percentile_intervals_of_the_two_level_bootstrap_undercover_with_three_seeds():
    t = truth(RATES)
    rng = np.random.default_rng(13)
    covered = 0
    for _ in range(300):
        v = stats.bootstrap(simulate(rng, 3, RATES), stats.difference("A", "B"), resamples=RESAMPLES, rng=rng)
        low, high = np.percentile(v, [2.5, 97.5])
        covered += low <= t["A"] - t["B"] <= high
    print(f"two-level bootstrap percentiles, 3 seeds: covered {covered / 300:.3f}")
    assert covered / 300 <= 0.85
