import json
import math
import statistics

from scribblegap.report.claims import claim_gap, clicks_gap_closed, gap_analysis, paired_difference
from scribblegap.report.markdown import update_readme
from scribblegap.report.tables import gap_table, points_table
from scribblegap.experiment.results import load_summary, record_run


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


def test_gap_reduction_only_when_the_gap_exceeds_the_noise():
    summary = {"F": {"miou": 0.60, "miou_std": 0.01, "n": 3}, "B": {"miou": 0.50, "miou_std": 0.01, "n": 3},
               "W": {"miou": 0.57, "miou_std": 0.01, "n": 3}}
    g = gap_analysis(summary)
    assert g["measurable"] and math.isclose(g["gap"], 0.10) and math.isclose(g["reductions"]["W"]["ratio"], 0.7)
    assert "Gap reduction" in gap_table(summary, "t")
    noisy = {**summary, "F": {"miou": 0.515, "miou_std": 0.02, "n": 3}}
    assert not gap_analysis(noisy)["measurable"]
    assert "would be a ratio of noise" in gap_table(noisy, "t")
    one_seed = {k: {"miou": v["miou"], "n": 1} for k, v in summary.items()}
    assert "noise is unknown" in gap_table(one_seed, "t")


def test_paired_difference_cancels_a_shared_seed_effect_and_leaves_the_verdict_alone():
    def entry(key, values):
        runs = [_run(f"{key}_s{s}", s, v) for s, v in enumerate(values)]
        mean = sum(values) / len(values)
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
        return {"miou": mean, "miou_std": std, "n": len(values), "runs": runs}

    # seed 2 is lucky for both: the pooled std hides a steady 3-point gap
    summary = {"F": entry("F", [0.63, 0.63, 0.69]), "B": entry("B", [0.60, 0.61, 0.66])}
    p = paired_difference(summary, "F", "B")
    assert p["seeds"] == [0, 1, 2] and [round(d, 3) for d in p["diffs"]] == [0.03, 0.02, 0.03]
    assert math.isclose(p["mean"], 0.08 / 3) and p["sigmas"] > 4
    seen, verdict = claim_gap(summary)
    assert "paired by seed: +3.0, +2.0, +3.0" in seen and verdict == "not seen"  # the pooled rule decides
    assert "paired by seed" in gap_table(summary, "t")
    summary["W"], summary["W_soft"] = entry("W", [0.61, 0.62, 0.67]), entry("W_soft", [0.62, 0.62, 0.69])
    assert "against W (without CRF): W_soft - W, paired by seed: +1.0, +0.0, +2.0" in gap_table(summary, "t")
    # only seeds both sides have are paired; one shared seed is not enough
    summary["B"]["runs"] = summary["B"]["runs"][:1]
    assert paired_difference(summary, "F", "B") is None and "paired" not in claim_gap(summary)[0]


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


def test_claims_are_judged_from_the_numbers(tmp_path):
    from scribblegap.report.markdown import claims_section

    def write(name, summary):
        (tmp_path / name).mkdir()
        (tmp_path / name / "summary.json").write_text(__import__("json").dumps(summary))

    clear = {"F": {"miou": 0.60, "miou_std": 0.01, "n": 3}, "B": {"miou": 0.50, "miou_std": 0.01, "n": 3},
             "W": {"miou": 0.57, "miou_std": 0.01, "n": 3}, "R": {"miou": 0.52, "miou_std": 0.01, "n": 3},
             "pseudo_labels": {"local": {"miou": 0.5}, "global": {"miou": 0.4}, "fused_crf": {"miou": 0.55}}}
    write("clear", clear)
    write("flat", {**clear, "F": {"miou": 0.505, "miou_std": 0.02, "n": 3}})
    rows = {(r.split(" | ")[0].strip("| "), r.split(" | ")[1]): r.split(" | ")[3].strip(" |*")
            for r in claims_section(tmp_path, ("clear", "flat")).splitlines()[2:]}
    assert rows[("Scribbles leave a gap: F clearly above B", "clear")] == "confirmed"
    assert rows[("Scribbles leave a gap: F clearly above B", "flat")] == "not seen"
    assert rows[("W closes most of the gap (paper: 64.2%)", "clear")] == "confirmed"
    assert rows[("W closes most of the gap (paper: 64.2%)", "flat")] == "not measurable"
    assert rows[("The DenseCRF loss (R, the best peer) closes part of it (paper: 57.4%)", "clear")] == "confirmed"
    assert rows[("W above R", "clear")] == "confirmed"
    assert rows[("Fused + CRF pseudo-labels beat the best single annotator", "clear")] == "confirmed"
    assert rows[("The gap closes at about 3.1% annotated pixels", "clear")] == "open"
    write("one-seed-r", {**clear, "R": {"miou": 0.58, "n": 1}})  # R's own noise unknown: no verdict on it
    rows = {r.split(" | ")[0].strip("| "): r.split(" | ")[3].strip(" |*")
            for r in claims_section(tmp_path, ("one-seed-r",)).splitlines()[2:]}
    assert rows["The DenseCRF loss (R, the best peer) closes part of it (paper: 57.4%)"] == "open (one seed)"
    assert rows["W above R"] == "open (one seed)"
    assert rows["W closes most of the gap (paper: 64.2%)"] == "confirmed"


def test_budget_verdict_needs_a_gap_to_close():
    from scribblegap.report.claims import budget_verdict

    def row(budget, b, w):
        return {"budget": budget, "B": b, "W": w}

    closes = [row(0.005, 0.40, 0.45), row(0.01, 0.45, 0.50), row(0.03, 0.50, 0.595)]
    assert budget_verdict(0.60, closes)[1] == "confirmed" and "from 3% of the pixels" in budget_verdict(0.60, closes)[0]
    never = [row(b, 0.40, 0.45) for b in (0.005, 0.01, 0.03)]
    assert budget_verdict(0.60, never)[1] == "not seen"
    assert budget_verdict(0.60, never[:2])[1].startswith("open")
    no_gap = [row(b, 0.61, 0.62) for b in (0.005, 0.01, 0.03)]  # scribbles alone already match F
    assert budget_verdict(0.60, no_gap)[1] == "not measurable"
    assert budget_verdict(None, [])[1] == "open"


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
    assert "from 3% of the pixels" in report
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


def test_budget_points_of_several_seeds_count_a_gap_only_above_the_seed_noise():
    from scribblegap.report.claims import budget_verdict, leaves_gap
    from scribblegap.report.tables import budget_table

    def point(budget, b, w, std):
        runs = [{"seed": 0, "B": b - std, "W": w - std}, {"seed": 1, "B": b + std, "W": w + std}]
        return {"budget": budget, "B": b, "W": w, "B_std": std, "W_std": std, "n": 2, "runs": runs}

    noisy, clear = point(0.01, 0.57, 0.595, 0.02), point(0.03, 0.50, 0.595, 0.01)
    assert not leaves_gap(0.60, noisy, f_std=0.01)  # 3 points, under 2x the pooled std (3.2)
    assert leaves_gap(0.60, {k: noisy[k] for k in ("budget", "B", "W")}, f_std=0.01)  # one seed: 1-point rule
    assert leaves_gap(0.60, clear, f_std=0.01)
    text, verdict = budget_verdict(0.60, [noisy, clear], f_std=0.01)
    assert verdict == "confirmed" and "from 3% of the pixels" in text and "above the seed noise" in text
    assert budget_verdict(0.60, [noisy], f_std=0.01)[1] == "not measurable"
    curve = {"F": {"miou": 0.60, "miou_std": 0.01, "n": 2}, "0.01": noisy, "0.03": clear}
    lines = budget_table({"budget_curve": curve}).splitlines()
    assert lines[0] == "#### Annotation budget (2 seeds per point)"
    assert lines[2] == "F (full masks) = 60.0 ± 1.0 % (n=2: the F runs of the same seeds)"
    assert lines[6] == "| 1% | 1.00% | 2 | 57.0 ± 2.0 | 59.5 ± 2.0 | +2.5 ± 0.0 | 3.0 | 0.5 | – |"
    assert lines[7].startswith("| 3% |") and lines[7].endswith("| 95% |")  # (59.5 - 50) / (60 - 50)


def test_the_gap_reduction_on_the_curve_is_judged_only_where_b_leaves_a_gap():
    from scribblegap.report.claims import claim_reduction_on_curve, curve_reductions

    def curve(w_low):
        point = lambda b, bm, wm: {"budget": b, "B": bm, "W": wm, "B_std": 0.01, "W_std": 0.01, "n": 3}  # noqa: E731
        return {"budget_curve": {"F": {"miou": 0.60, "miou_std": 0.01, "n": 3},
                                 "0.005": point(0.005, 0.50, w_low), "0.03": point(0.03, 0.585, 0.59)}}

    points = curve_reductions(curve(0.56))
    assert [p["budget"] for p in points] == [0.005]  # at 3% F - B = 1.5 is under 2 pooled stds (2.0)
    assert abs(points[0]["ratio"] - 0.6) < 1e-9 and 0 < points[0]["ratio_err"] < 0.2
    text, verdict = claim_reduction_on_curve(curve(0.56))
    assert verdict == "confirmed" and "0.5%: F - B = 10.0, (W - B) / (F - B) = 60.0%" in text
    assert claim_reduction_on_curve(curve(0.50))[1] == "not seen"
    assert claim_reduction_on_curve(curve(0.53))[1] == "partly"  # 30% of the gap: clear of zero, not most of it
    flat = curve(0.56)
    flat["budget_curve"]["0.005"]["B"] = 0.595
    assert claim_reduction_on_curve(flat)[1] == "not measurable"
    one_seed = {"budget_curve": {"F": {"miou": 0.6}, "0.01": {"budget": 0.01, "B": 0.5, "W": 0.55}}}
    assert claim_reduction_on_curve(one_seed)[1] == "open"


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
