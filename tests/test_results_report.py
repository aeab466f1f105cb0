import json
import math
import statistics

import numpy as np

from scribblegap.core.metrics import miou_of_counts
from scribblegap.experiment.results import load_per_image, load_summary, record_run, save_per_image
from scribblegap.report import claims, stats
from scribblegap.report.claims import clicks_gap_closed, paired_difference, paired_text
from scribblegap.report.markdown import claims_section, update_readme
from scribblegap.report.tables import budget_table, claims_table, gap_table, points_table


def _run(run_id, seed, miou, crf=None):
    return {"run_id": run_id, "seed": seed, "miou": miou, "miou_crf": crf}


def test_record_run_aggregates_and_replaces(tmp_path):
    path = tmp_path / "summary.json"
    record_run(path, "F", _run("F_s0", 0, 0.50, 0.52))
    record_run(path, "F", _run("F_s1", 1, 0.54, 0.56))
    entry = record_run(path, "F", _run("F_s2", 2, 0.52, 0.54))
    assert entry["n"] == 3 and math.isclose(entry["miou"], 0.52)
    assert math.isclose(entry["miou_std"], 0.02)  # sample standard deviation
    entry = record_run(path, "F", _run("F_s2", 2, 0.58, 0.60))  # rerun of a seed replaces it
    assert entry["n"] == 3 and math.isclose(entry["miou"], (0.50 + 0.54 + 0.58) / 3)
    assert [r["run_id"] for r in load_summary(path)["F"]["runs"]] == ["F_s0", "F_s1", "F_s2"]



def test_clicks_gap_is_closed_against_f_of_the_clicks_seed():
    summary = {"F": {"runs": [_run("F_s0", 0, 0.60, 0.64), _run("F_s1", 1, 0.70, 0.74)]},
               "points": {"B": {"miou": 0.40, "miou_crf": 0.44, "seed": 1}, "W": {"miou": 0.55, "seed": 1}}}
    c = clicks_gap_closed(summary)
    assert c["F"] == 0.70 and math.isclose(c["ratio"], 0.5) and c["ratio_std"] is None  # F of seed 1, not 0
    assert clicks_gap_closed(summary, "miou_crf") is None  # W has no CRF score
    assert "with F of the same seeds (1; F 70.0%): 50.0% (one seed: no noise estimate)." in points_table(summary)
    summary["points"]["B"]["seed"] = 5  # no F of that seed: no ratio
    assert clicks_gap_closed(summary) is None and "Gap closed" not in points_table(summary)



def test_clicks_gap_over_seeds_takes_the_ratio_of_the_means_and_the_spread_of_each_seeds_ratio():
    def clicks(key, values):  # seed 2 has no F run: left out
        return {"runs": [{"run_id": f"{key}@points_s{s}", "seed": s, "miou": v} for s, v in enumerate(values)]}

    summary = {"F": {"runs": [_run("F_s0", 0, 0.60, 0.64), _run("F_s1", 1, 0.70, 0.74)]},
               "points": {"B": clicks("B", [0.40, 0.50, 0.0]), "W": clicks("W", [0.50, 0.55, 0.9])}}
    c = clicks_gap_closed(summary)
    assert c["seeds"] == [0, 1] and math.isclose(c["F"], 0.65) and math.isclose(c["B"], 0.45)
    assert math.isclose(c["ratio"], 0.075 / 0.20) and [round(r, 3) for r in c["per_seed"]] == [0.5, 0.25]
    assert math.isclose(c["ratio_std"], statistics.stdev([0.5, 0.25]))
    assert "(0, 1; F 65.0%): 37.5% (per seed 50.0, 25.0; std 17.7)." in points_table(summary)



def test_readme_block_is_replaced(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- results:x:start -->\nold\n<!-- results:x:end -->\nrest\n")
    update_readme(readme, "new table", "x")
    text = readme.read_text()
    assert "new table" in text and "old" not in text and text.startswith("intro") and text.endswith("rest\n")



def test_report_renders_a_results_folder(tmp_path):
    """Tables and figures from a summary with every kind of entry; nothing of the repository is read."""
    import json

    from scribblegap.report.markdown import write_report

    curve = [{"step": s, "train_seconds": 10.0 * s, "val_miou": 0.3 + s / 1000} for s in (100, 200)]
    runs = lambda key, v: {"miou": v, "miou_std": 0.01, "n": 2, "runs": [  # noqa: E731
        {"run_id": f"{key}_s{i}", "seed": i, "miou": v, "curve": curve} for i in (0, 1)]}
    summary = {"F": runs("F", 0.6), "B": runs("B", 0.5), "W": runs("W", 0.57),
               "budget_curve": {"F": {"miou": 0.6}, "0.01": {"budget": 0.01, "achieved": 0.011, "B": 0.45, "W": 0.5},
                                "0.03": {"budget": 0.03, "achieved": 0.03, "B": 0.5, "W": 0.595}}}
    folder = tmp_path / "results" / "x"
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text(json.dumps(summary))
    report = write_report(folder, tmp_path / "figures").read_text()
    assert "| F | full masks | 60.0 ± 1.0 (n=2)" in report and "F - B along training" in report
    assert "Closing budget (paper: about 3.1%)" in report and "#### The paper's claims against these runs" in report
    assert {p.name for p in (tmp_path / "figures").iterdir()} == {"results_x_training_curves.png",
                                                                  "results_x_budget_curve.png"}



def test_benchmark_rows_name_their_own_batch_when_presets_differ(tmp_path):
    import json

    from scribblegap.report.markdown import benchmarks_section

    def row(label, batch, ips):
        return {"label": label, "arch": "efficientnet_lite0", "output_stride": 16, "head": "lraspp", "crop": 224,
                "batch": batch, "threads": 1, "images_per_s": ips}

    machine = {"machine": "test box"}
    (tmp_path / "bench_train_mixed.json").write_text(json.dumps(
        {"results": [row("preset a", 16, 31.5), row("preset b", 8, 3.6)], "provenance": machine}))
    (tmp_path / "bench_train_one.json").write_text(json.dumps(
        {"results": [{**row(None, 10, 85.2), "threads": None}], "provenance": machine}))
    mixed, one = benchmarks_section(tmp_path).strip().splitlines()
    assert "preset a (efficientnet_lite0 OS16 lraspp 224px, batch 16, 1 thread): 31.5 img/s" in mixed
    assert "preset b (efficientnet_lite0 OS16 lraspp 224px, batch 8, 1 thread): 3.6 img/s" in mixed
    assert "(`bench_train_one.json`, batch 10): efficientnet_lite0 OS16 lraspp 224px: 85.2 img/s." in one



def test_budget_table_gives_the_share_closed_only_where_b_leaves_a_gap():
    from scribblegap.report.tables import budget_table

    curve = {"F": {"miou": 0.60}, "0.01": {"budget": 0.01, "B": 0.50, "W": 0.55},
             "0.1": {"budget": 0.1, "B": 0.595, "W": 0.60}}
    lines = budget_table({"budget_curve": curve}).splitlines()
    assert lines[4].endswith("| gap closed |")
    assert lines[6].startswith("| 1% |") and lines[6].endswith("| 50% |")  # (55 - 50) / (60 - 50)
    assert lines[7].startswith("| 10% |") and lines[7].endswith("| – |")  # B within 1 point of F: no gap



def test_a_run_record_names_the_torch_threads_it_was_trained_with(tmp_path):
    import torch

    from scribblegap.core.provenance import describe
    from scribblegap.experiment.results import run_record
    from scribblegap.experiment.runs import RECORD

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        provenance = describe()
    finally:
        torch.set_num_threads(before)
    assert provenance["threads"] == 1
    (tmp_path / RECORD).write_text(json.dumps({"provenance": {**provenance, "threads": 3}, "spec": {}}))
    record = run_record(tmp_path, {"miou": 0.5})
    assert record["threads"] == 3 and record["commit"] == provenance["commit"]


# ------------------------------------------------------------------------------------- the claims' rules
def _seeds(key, values, crf=None):
    """A summary entry of one run per seed (seed i has values[i])."""
    runs = [_run(f"{key}_s{s}", s, v, None if crf is None else crf[s]) for s, v in enumerate(values)]
    return {"miou": statistics.fmean(values), "miou_std": statistics.stdev(values), "n": len(values), "runs": runs}


F_SEEDS = [0.60, 0.61, 0.62]


def _clear():
    """F, B, W and R of three seeds: W closes about 68% of a 10-point gap, R about 47%, W above R."""
    return {"F": _seeds("F", F_SEEDS), "B": _seeds("B", [0.50, 0.515, 0.52]), "W": _seeds("W", [0.57, 0.575, 0.59]),
            "R": _seeds("R", [0.55, 0.56, 0.565]),
            "pseudo_labels": {k: {"runs": [{"seed": s, "miou": v + 0.01 * s} for s in range(3)]}
                              for k, v in (("local", 0.70), ("global", 0.65), ("fused", 0.74), ("fused_crf", 0.78))}}


def test_paired_difference_gives_the_paired_t_interval_and_the_gap_table_prints_it():
    # seed 2 is lucky for both: the seed means hide a steady 3-point gap that the pairing shows
    summary = {"F": _seeds("F", [0.63, 0.63, 0.69]), "B": _seeds("B", [0.60, 0.61, 0.66])}
    p = paired_difference(summary, "F", "B")
    assert p["seeds"] == [0, 1, 2] and [round(d, 3) for d in p["diffs"]] == [0.03, 0.02, 0.03]
    t = stats.paired_t([0.03, 0.02, 0.03])
    assert math.isclose(p["mean"], 0.08 / 3) and math.isclose(p["low"], t["low"]) and p["low"] > 0
    assert paired_text(p) == "paired by seed: +3.0, +2.0, +3.0, mean +2.7, 95% interval [+1.2, +4.1]"
    table = gap_table(summary, "t")
    assert "- without CRF: F - B = +2.7 points, 95% interval [+1.2, +4.1] (3 seeds)." in table
    summary["W"], summary["W_soft"] = _seeds("W", [0.61, 0.62, 0.67]), _seeds("W_soft", [0.62, 0.62, 0.69])
    table = gap_table(summary, "t")
    assert "Share of the gap closed, (K - B) / (F - B): W 37.5% [" in table
    assert "against W (without CRF, paired by seed): W_soft - W +1.0 [-1.5, +3.5]." in table
    summary["B"]["runs"] = summary["B"]["runs"][:1]  # one shared seed: no interval
    assert paired_difference(summary, "F", "B") is None
    assert "(one seed: no interval, so no share of the gap is judged)" in gap_table(summary, "t")


def _section_rows(root, names):
    """claims_section's rows: {(claim, results, budget): cells}."""
    out = {}
    for line in claims_section(root, names).splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        out[(cells[0], cells[1], cells[2])] = cells
    return out


def test_claims_are_judged_by_their_intervals(tmp_path):
    def write(name, summary):
        (tmp_path / name).mkdir()
        (tmp_path / name / "summary.json").write_text(json.dumps(summary))

    write("clear", _clear())
    write("flat", {**_clear(), "F": _seeds("F", [0.505, 0.51, 0.53])})  # F - B: +0.5, -0.5, +1.0
    rows = _section_rows(tmp_path, ("clear", "flat"))
    header = claims_section(tmp_path, ("clear",)).splitlines()[0]
    assert header == ("| claim of the paper | results | budget | seeds | estimate | 95% interval | verdict | "
                      "seeds needed |")
    main = "3% (main chain)"
    gap = rows[(claims.GAP, "clear", main)]
    assert gap[3:6] == ["3 seeds", "+9.8", gap[5]] and gap[6] == "**confirmed**" and gap[7] == "–"
    flat = rows[(claims.GAP, "flat", main)]
    assert flat[6] == "**undecided**" and flat[7].isdigit() and int(flat[7]) > 3
    assert rows[(claims.W_ABOVE_B, "clear", main)][6] == "**confirmed**"
    share = rows[(claims.W_SHARE, "clear", main)]
    assert share[4] == "67.8%" and share[6].startswith("**confirmed** (the paper's 64.2% lies inside")
    peer = rows[(claims.R_SHARE, "clear", main)]  # 47.5% with a tight interval: part of the gap, not 57.5%
    assert peer[6] == ("**refuted** (the interval excludes the paper's 57.5%; it lies above 0: R closes part of "
                       "the gap)")
    assert rows[(claims.R_SHARE, "flat", main)][6].startswith("**undecided** (F - B is not shown above 0 here")
    assert rows[(claims.W_ABOVE_R, "clear", main)][6] == "**confirmed**"
    assert rows[(claims.REMAINING, "clear", main)][6].startswith("**informational** (the paper's +2.4 lies")
    assert rows[(claims.PSEUDO_LABELS, "clear", main)][6] == ("**confirmed** (against local (71.0%; fused + CRF "
                                                              "79.0%, train mIoU))")
    assert rows[(claims.CLOSING, "clear", "budget curve")][6].startswith("**open** (no budget curve yet")
    write("one-seed-r", {**_clear(), "R": {"miou": 0.58, "n": 1, "runs": [_run("R_s0", 0, 0.58)]}})
    rows = _section_rows(tmp_path, ("one-seed-r",))
    peer = rows[(claims.R_SHARE, "one-seed-r", main)]
    assert peer[3] == "1 seed" and peer[6].startswith("**undecided** (one seed") and peer[7] == "unknown (one seed)"
    assert rows[(claims.W_SHARE, "one-seed-r", main)][6].startswith("**confirmed**")


def test_the_paper_value_is_judged_before_the_direction_and_every_row_says_which():
    row = next(r for r in claims.claims(_clear()) if r["claim"] == claims.R_SHARE)
    assert row["verdict"] == "refuted" and row["side"] == "above 0" and row["low"] > 0 and row["high"] < 0.575
    assert {"claim", "where", "n", "estimate", "low", "high", "verdict", "seeds_needed", "paper"} <= set(row)
    judged = claims.judge(_clear())  # the (claim, what the runs show, verdict) triples the notebooks print
    assert (claims.GAP, "3% (main chain): +9.8 points, 95% interval [+9.1, +10.6] (3 seeds)", "confirmed") in judged


def _curve(points: dict, f=F_SEEDS):
    """A summary of the budget curve only: {budget: (B - F, W - F) per seed}, with F of three seeds."""
    wobble = [0.003, -0.002, -0.001]
    curve = {"F": {"miou": statistics.fmean(f), "n": 3, "runs": [{"seed": s, "miou": v} for s, v in enumerate(f)]}}
    for budget, (b, w) in points.items():
        runs = [{"seed": s, "B": f[s] + b + wobble[s], "W": f[s] + w - wobble[s]} for s in range(3)]
        means = {k: statistics.fmean(r[k] for r in runs) for k in ("B", "W")}
        curve[f"{budget:g}"] = {"budget": budget, "achieved": budget, "n": 3, "runs": runs, **means}
    return {"budget_curve": curve}


def test_the_closing_budget_is_where_w_reaches_f_and_b_does_not():
    closes = _curve({0.005: (-0.10, -0.05), 0.01: (-0.08, -0.04), 0.03: (-0.06, -0.002), 0.1: (-0.03, 0.0)})
    row = claims.claim_closing(claims.as_results(closes))
    assert row["verdict"] == "confirmed" and row["estimate"] == 0.03 and (row["low"], row["high"]) == (0.01, 0.03)
    assert row["note"] == "0.5%: trails; 1%: trails; 3%: reached; 10%: reached"
    late = _curve({0.005: (-0.10, -0.05), 0.03: (-0.06, -0.04), 0.1: (-0.05, -0.04)})  # W still 4 points short at 10%
    row = claims.claim_closing(claims.as_results(late))
    assert row["verdict"] == "refuted" and row["estimate"] is None and "W trails F at 10%" in row["note"]
    early = _curve({0.005: (-0.10, -0.001), 0.03: (-0.06, 0.0)})  # within a point of F from 0.5%
    assert claims.claim_closing(claims.as_results(early))["verdict"] == "refuted"
    no_gap = _curve({0.01: (-0.005, 0.0), 0.03: (0.0, 0.001)})  # scribbles alone already match F
    row = claims.claim_closing(claims.as_results(no_gap))
    assert row["verdict"] == "undecided" and row["seeds_needed"] == int(claims.needed_text(row)) > 3  # to show F - B
    assert claims.claim_closing(claims.as_results({}))["verdict"] == "open"


def test_shares_of_the_gap_are_judged_only_where_f_minus_b_is_shown():
    summary = _clear()
    summary.update(_curve({0.01: (-0.10, -0.04), 0.1: (-0.004, -0.002)}))
    rows = {(r["claim"], r["where"]): r for r in claims.claims(summary)}
    assert rows[(claims.W_SHARE, "1%")]["verdict"] == "confirmed"  # 60% of a 10-point gap: 64.2% inside
    assert (claims.W_SHARE, "10%") not in rows  # judged at the human budget (0.6-1.6%) and the main chain only
    assert rows[(claims.GAP, "10%")]["verdict"] == "undecided" and rows[(claims.GAP, "10%")]["seeds_needed"]
    lines = budget_table(summary).splitlines()
    assert lines[4] == "| budget | achieved | n | B % | W % | W - B | F - B | F - W | gap closed |"
    one, ten = lines[6], lines[7]
    assert one.startswith("| 1% | 1.00% | 3 |") and one.split(" | ")[-1].startswith("60.")
    assert ten.startswith("| 10% | 10.00% | 3 |") and ten.endswith("| – |")  # F - B's interval reaches 0


def test_claims_read_the_per_image_counts_and_the_crf_scores(tmp_path):
    """A results folder whose runs store per-image counts: the claims are judged over seeds and val images,
    their estimates are those of the recorded mIoUs, and the CRF claims read counts_crf."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "results" / "x"
    summary = {}
    for key, rate in (("F", 0.16), ("B", 0.24), ("W", 0.19)):
        runs, images = [], rng.normal(0, 0.03, (40, 1))  # how hard each image is for this network, on every seed
        for seed in range(3):
            per_image = {"ids": [f"im{i}" for i in range(40)], "classes": ["a", "b"],
                         "counts": _two_class_counts(rng, rate + images),
                         "counts_crf": _two_class_counts(rng, rate - 0.01 + images)}
            path = f"results/x/per_image/{key}_s{seed}.npz"
            save_per_image(tmp_path / path, per_image)
            runs.append({"run_id": f"{key}_s{seed}", "seed": seed, "per_image": path,
                         "miou": miou_of_counts(per_image["counts"].sum(0)),
                         "miou_crf": miou_of_counts(per_image["counts_crf"].sum(0))})
        summary[key] = {"runs": runs, "n": 3}
    (folder / "summary.json").write_text(json.dumps(summary))
    results = claims.load_results(folder, resamples=300)
    for crf, field in ((False, "miou"), (True, "miou_crf")):
        gap = claims.difference_at(results, "F", "B", crf=crf)
        by_hand = statistics.fmean(f[field] - b[field] for f, b in zip(summary["F"]["runs"], summary["B"]["runs"]))
        assert gap["level"] == "seeds and images" and gap["images"] == 40 and math.isclose(gap["estimate"], by_hand)
        assert gap["image_var"] > 0 and gap["low"] < gap["estimate"] < gap["high"]
    assert claims.seeds_text(claims.claims(results, crf=True)[0]) == "3 seeds x 40 val images"
    assert "| W closes 64.2% of the gap: (W - B) / (F - B) | 3% (main chain) | yes | 3 seeds x 40 val images |" \
        in claims_table(results)


def _two_class_counts(rng, rate, images=40, pixels=300):
    """Each image's two classes erring on a share ``rate`` (one per image) of their pixels."""
    wrong = rng.binomial(pixels, np.clip(rate + rng.normal(0, 0.005, (images, 1)), 0, 1), size=(images, 2))
    counts = np.zeros((images, 2, 3), np.int64)
    counts[:, 0, 0], counts[:, 0, 1], counts[:, 1, 1], counts[:, 1, 0] = pixels - wrong[:, 0], wrong[:, 0], \
        pixels - wrong[:, 1], wrong[:, 1]
    return counts


def test_the_claims_of_a_real_chain_have_intervals_and_match_its_per_image_counts(tiny_chain):
    """The tiny chain (2 seeds, budgets 3% and 1%, every stage): every claim row carries a verdict, an interval
    and, undecided, the seeds a decision needs; a difference recomputed from the per-image files is the one
    of the recorded mIoUs."""
    config, root, _ = tiny_chain
    results = claims.load_results(root / "results" / config.name, resamples=300)
    rows = claims.claims(results) + claims.claims(results, crf=True)
    assert {r["claim"] for r in rows} == set(claims.CLAIM_ORDER) and any(r["crf"] for r in rows)
    for r in rows:
        assert r["verdict"] in {"confirmed", "refuted", "undecided", "informational"}, r
        assert r["n"] >= 2 and r["low"] is not None and r["high"] is not None and r["low"] <= r["high"], r
        if r["verdict"] == "undecided":
            assert claims.needed_text(r) not in ("–", "unknown (one seed)"), r
        if r["unit"] != "budget" and r["claim"] != claims.PSEUDO_LABELS:
            assert r["level"] == "seeds and images" and math.isfinite(r["low"]), r
    summary, side = results["summary"], results["budget_runs"]
    for point, key_b in ((claims.MAIN, "B"), (0.01, "B@0.01")):
        f = {r["seed"]: r for r in summary["F"]["runs"]}
        b = {r["seed"]: r for r in (summary if point == claims.MAIN else side)[key_b]["runs"]}
        by_counts = []
        for seed in sorted(set(f) & set(b)):
            scores = [miou_of_counts(load_per_image(root / rec["per_image"])["counts"].sum(0))
                      for rec in (f[seed], b[seed])]
            assert math.isclose(scores[0], f[seed]["miou"]) and math.isclose(scores[1], b[seed]["miou"])
            by_counts.append(scores[0] - scores[1])
        assert math.isclose(claims.difference_at(results, "F", "B", point)["estimate"], statistics.fmean(by_counts))
    assert "| claim of the paper | budget | test-time CRF |" in claims_table(results)
