"""The chain's stages as functions of ``(config, layout, ...)``, composed by :func:`scribblegap.pipeline.run`.

A :class:`Replicate` is one repeat of the whole method on one weak-label source: seed ``s`` simulates its own
scribbles (or reads the human ones), trains its B on them, predicts the training images with that B (the
global annotator), fuses them with the local annotator into pseudo-labels and trains W (and R, and the
retraining options) on them. Every stage skips what is already on disk, so the chain can be interrupted and
run again; every evaluation is recorded with its per-image pixel counts.
"""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass, replace
from pathlib import Path

from scribblegap.annotators.crf import DenseCRF
from scribblegap.annotators.runner import run_local
from scribblegap.core.errors import ConfigError
from scribblegap.core.folders import check_or_write
from scribblegap.core.io import write_json
from scribblegap.core.layout import RECORD, STATS, Layout, simulated_tag
from scribblegap.core.metrics import score_folder
from scribblegap.core.parallel import default_workers
from scribblegap.core.provenance import describe
from scribblegap.core.settings import data_root
from scribblegap.data import load_dataset
from scribblegap.data.plots import dataset_overview
from scribblegap.experiment.boundary import boundary_profile
from scribblegap.experiment.configs import PipelineConfig
from scribblegap.experiment.results import (aggregate, load_summary, record_run, run_record, save_per_image,
                                            update_value)
from scribblegap.experiment.runs import RunSpec, comparable, train_runs
from scribblegap.network.predict import evaluate_model, load_model, predict_dataset
from scribblegap.pseudolabels.fusion import abstain_unsure, confidence_sweep, fuse_dataset
from scribblegap.scribbles import WeakLabels
from scribblegap.scribbles.simulate import SimulatorOptions, simulate_dataset, simulation_parameters


# ------------------------------------------------------------------------------------------ the plan
@dataclass(frozen=True)
class Replicate:
    """One seed's repeat of the method on one weak-label source."""
    seed: int
    weak: str                   # "simulated", "scribbles" (the config's human scribbles) or "points" (clicks)
    budget: float | None = None  # the share of the pixels a simulated source labels
    suffix: str = ""            # of its run and record keys: "" (the main chain), "@0.01", "@points"
    with_r: bool = False        # R (pCE + DenseCRF loss) trains beside B
    variants: tuple = ()        # the retraining options trained on its pseudo-labels
    record: str = "summary"     # the results file of its runs: summary, budget_runs or points_runs

    @property
    def tag(self) -> str:
        """Its outputs' folder under ``outputs/<name>/``: a seed's own scribbles, or the shared weak labels."""
        return simulated_tag(self.budget, self.seed) if self.weak == "simulated" else self.weak


def plan(config: PipelineConfig) -> list[Replicate]:
    """The replicates the config's stages need: the main chain's, the budget curve's points, the clicks'."""
    stages = set(config.stages)
    main_weak = "scribbles" if config.scribbles else "simulated"
    main_budget = None if config.scribbles else config.budget
    variants = config.variants if "variants" in stages else ()
    variant_seeds = config.variant_seeds if config.variant_seeds is not None else config.seeds
    reps = {}
    if stages & {"chain", "variants", "round2", "boundary"}:
        for s in config.seeds:
            reps[("", s)] = Replicate(s, main_weak, main_budget, "", "R" in stages and "chain" in stages,
                                      variants if s in variant_seeds else ())
    if "budget" in stages:
        curve_seeds = config.curve_seeds if config.curve_seeds is not None else config.seeds
        for b in config.budgets:
            focus = b in config.focus_budgets
            seeds = config.seeds if focus else curve_seeds
            options = variants if b in config.variant_budgets else ()
            for s in seeds:
                if b == config.budget and not config.scribbles:  # the curve's point at the main budget is the main chain
                    reps.setdefault(("", s), Replicate(s, main_weak, main_budget))
                    continue
                reps[(f"@{b:g}", s)] = Replicate(s, "simulated", b, f"@{b:g}", focus and "R" in stages,
                                                 options if s in variant_seeds else (), "budget_runs")
    if "points" in stages:
        for s in config.seeds:
            reps[("@points", s)] = Replicate(s, "points", None, "@points", record="points_runs")
    return list(reps.values())


# the networks of a replicate: key -> (run key, the labels it trains on, loss, soft targets)
def network_recipes(config: PipelineConfig, rep: Replicate) -> dict[str, tuple]:
    first = {"B": ("B", "weak", None, False)}
    if rep.with_r:
        first["R"] = ("R", "weak", "ce+densecrf", False)
    second = {"W": ("W", "fused_crf", None, config.soft)}
    if "confident" in rep.variants:
        for t in config.confident_thresholds:
            second[f"W_confident_t{t:g}"] = (f"Wconf-t{t:g}", f"confident_t{t:g}", None, False)
    if "soft" in rep.variants:
        second["W_soft"] = ("Wsoft", "fused", None, True)  # the fused probabilities before the CRF
    if "rloss" in rep.variants:
        second["W_rloss"] = ("WR", "fused_crf", "ce+densecrf", False)
    return {"first": first, "second": second}


@dataclass(frozen=True)
class Network:
    """A network of the chain: its training run and where its scores are recorded."""
    spec: RunSpec
    key: str                    # the record key: F, B, W@0.01, W_soft, ...
    record: Path                # the results file
    crf: bool                   # scored with the test-time CRF too
    leaf: bool = True           # no later stage reads its weights (B's are the global annotator)

    @property
    def run(self) -> Path:
        return Path(self.spec.out)


# ------------------------------------------------------------------------------------------ data
@functools.lru_cache(maxsize=8)
def _dataset(data: str, split: str, classes, limit):
    ds = load_dataset(data, split, classes=classes, limit=limit)
    if hasattr(ds, "load_all"):  # embedded scenes: rendered once, and stored for the training workers
        ds.load_all()
    return ds


def dataset(config: PipelineConfig, split: str):
    """``split``: "train" or "val", mapped to the config's split names (one copy per process)."""
    name = {"train": config.train_split, "val": config.val_split}.get(split, split)
    return _dataset(str(config.data), name, config.classes, config.limit)


def workers(config: PipelineConfig) -> int:
    return config.workers or default_workers()


def overview(config: PipelineConfig, layout: Layout) -> Path:
    return dataset_overview(dataset(config, "train"), layout.figures / f"{config.name}_dataset_overview.png")


def save_config(config: PipelineConfig, layout: Layout) -> None:
    """``results/<name>/config.json``: the pipeline config and the training config its networks use."""
    saved = {"pipeline": config.to_json(), "training": config.training.to_dict()}
    if load_summary(layout.config) != saved:
        write_json(layout.config, saved)


# ------------------------------------------------------------------------------------- weak labels
def weak_labels(config: PipelineConfig, layout: Layout, rep: Replicate) -> Path | str:
    """The replicate's weak labels: its seed's simulated scribbles (simulated here when missing), the config's
    human scribbles, or ``"points"``."""
    if rep.weak == "points":
        return "points"
    if rep.weak == "scribbles":
        return human_scribbles(config)
    out = layout.scribbles(rep.tag)
    train = dataset(config, "train")
    if (out / STATS).is_file():  # finished: still refuse scribbles of other scenes or settings
        check_or_write(out, simulation_parameters(train, rep.budget, rep.seed, config.width,
                                                  SimulatorOptions.create({})), "scribbles")
    else:
        simulate_dataset(train, out, budget=rep.budget, seed=rep.seed, width=config.width,
                         workers=workers(config), progress=config.progress)
    return out


# ---------------------------------------------------------------------------------------- networks
def human_scribbles(config: PipelineConfig) -> Path:
    """The config's folder of human scribbles: a path, or a folder under the data root."""
    path = Path(config.scribbles).expanduser()
    if not path.is_dir() and data_root() is not None:
        path = data_root() / config.scribbles
    if not path.is_dir():
        raise ConfigError(f"scribble folder {config.scribbles!r} not found")
    return path


def run_spec(config: PipelineConfig, layout: Layout, key: str, labels, seed: int, soft: bool = False,
             loss: str | None = None) -> RunSpec:
    """The training run ``<key>_s<seed>`` on ``labels`` with the config's preset and overrides."""
    training = replace(config.training, seed=seed, **({"loss": loss} if loss else {}))
    return RunSpec(config=training, out=str(layout.run(key, seed)), data=str(config.data), split=config.train_split,
                   val_split=config.val_split, classes=config.classes, limit=config.limit, labels=str(labels),
                   soft=soft, clip=str(labels) == "points")  # a few human clicks sit just outside the image border


def record_file(layout: Layout, rep_record: str) -> Path:
    return layout.summary if rep_record == "summary" else layout.side_file(rep_record)


def full_masks(config: PipelineConfig, layout: Layout, seeds) -> list[Network]:
    """F of every seed: the reference trained on the dense masks, scored like the main chain."""
    return [Network(run_spec(config, layout, "F", "full", s), "F", layout.summary, True) for s in seeds]


def first_networks(config: PipelineConfig, layout: Layout, rep: Replicate, weak) -> list[Network]:
    """B (and R) of a replicate: trained on its weak labels alone."""
    out = []
    for key, (run_key, _, loss, soft) in network_recipes(config, rep)["first"].items():
        spec = run_spec(config, layout, run_key + rep.suffix, weak, rep.seed, soft, loss)
        out.append(Network(spec, key + rep.suffix, record_file(layout, rep.record), scored_with_crf(config, rep),
                           leaf=key != "B"))
    return out


def second_networks(config: PipelineConfig, layout: Layout, rep: Replicate, labels: dict) -> list[Network]:
    """W and the retraining options of a replicate: trained on its pseudo-labels."""
    out = []
    for key, (run_key, source, loss, soft) in network_recipes(config, rep)["second"].items():
        spec = run_spec(config, layout, run_key + rep.suffix, labels[source], rep.seed, soft, loss)
        out.append(Network(spec, key + rep.suffix, record_file(layout, rep.record), scored_with_crf(config, rep),
                           leaf=not (key == "W" and rep.suffix == "" and "round2" in config.stages)))
    return out


def scored_with_crf(config: PipelineConfig, rep: Replicate) -> bool:
    return rep.record != "budget_runs" or config.curve_crf


def recorded(config: PipelineConfig, layout: Layout, net: Network) -> dict | None:
    """With ``reuse_recorded``: the record of this very run (same run name, data, labels and training settings)
    whose per-image counts are stored, so a machine without ``runs/`` completes a config without training it."""
    if not config.reuse_recorded:
        return None
    spec = net.spec
    labels = spec.labels if spec.labels in ("full", "points") else layout.relative(spec.labels)
    wanted = comparable({**spec.to_dict(), "labels": labels})
    for record in load_summary(net.record).get(net.key, {}).get("runs", []):
        if record.get("run_id") == spec.name and record.get("config") and record.get("per_image") \
                and layout.resolve(record["per_image"]).is_file() \
                and comparable({**record.get("spec", {}), "config": record["config"]}) == wanted:
            return record
    return None


def train(config: PipelineConfig, layout: Layout, networks: list[Network], log=print) -> None:
    """Train the networks not finished yet, ``parallel_runs`` at a time, and score each as it ends (and those
    finished before). A leaf network the results record (``reuse_recorded``) is not trained again."""
    todo = [n for n in networks if not (n.leaf and recorded(config, layout, n))]
    by_out = {str(n.spec.out): n for n in todo}
    score = "evaluate" in config.stages

    def done(spec, record):
        if score:
            evaluate(config, layout, by_out[spec.out], log)

    train_runs([n.spec for n in todo], parallel=config.parallel_runs, cores=workers(config), on_done=done,
               log=lambda m: log(f"[{config.name}] {m}"))
    if score:
        for net in todo:
            evaluate(config, layout, net, log)


def evaluate(config: PipelineConfig, layout: Layout, net: Network, log=print) -> dict:
    """Score a trained network on val (with the test-time CRF where its record asks for it), record it under
    its key with its per-image pixel counts; a network scored before is not scored again."""
    trained = load_summary(net.run / RECORD)
    for record in load_summary(net.record).get(net.key, {}).get("runs", []):
        if record["run_id"] == net.run.name and record.get("train_seconds") == trained.get("train_seconds") \
                and (not net.crf or record.get("miou_crf") is not None) and record.get("per_image") \
                and layout.resolve(record["per_image"]).is_file():
            return record
    model, training = load_model(net.run)
    start = time.perf_counter()
    scores = evaluate_model(model, dataset(config, "val"), training.base_size, crf=DenseCRF() if net.crf else None,
                            crf_workers=workers(config), progress=False)
    log(f"[{config.name}] evaluate {net.run.name}: mIoU {100 * scores['miou']:.2f} "
        f"({time.perf_counter() - start:.0f} s)")
    per_image = layout.per_image(net.run.name)
    save_per_image(per_image, scores.pop("per_image"))
    record = run_record(net.run, scores, describe())
    record["run_dir"], record["per_image"] = layout.relative(net.run), layout.relative(per_image)
    for holder, field in ((record, "labels"), (record["spec"], "out"), (record["spec"], "labels")):
        if isinstance(holder.get(field), str) and Path(holder[field]).is_absolute():  # no machine paths
            holder[field] = layout.relative(holder[field])
    record_run(net.record, net.key, record)
    return record


def scores(config: PipelineConfig, layout: Layout, net: Network) -> dict:
    """A network's record: scored from its run folder where it is trained, else its record (reuse_recorded)."""
    if (net.run / RECORD).is_file():
        return evaluate(config, layout, net)
    record = recorded(config, layout, net)
    if record is None:
        raise ConfigError(f"run {net.run} is neither trained nor recorded")
    return record


# -------------------------------------------------------------------------------------- annotators
def local_annotator(config: PipelineConfig, layout: Layout, rep: Replicate, weak) -> Path:
    method = config.points_local_method if rep.weak == "points" else config.local_method
    out = layout.local(rep.tag, method)
    record = load_summary(out / RECORD)
    if not record.get("complete"):
        run_local(dataset(config, "train"), WeakLabels(weak, clip=True), method, out, workers=workers(config),
                  progress=config.progress, **config.local_params)
    return out


def global_annotator(config: PipelineConfig, layout: Layout, tag: str, run: Path) -> Path:
    """A trained network's predictions on every training image."""
    out = layout.global_(tag, run)
    model, training = load_model(run)
    predict_dataset(model, dataset(config, "train"), out, training.base_size, progress=config.progress)
    return out


def fused(config: PipelineConfig, layout: Layout, local: Path, global_: Path, weak, tag: str,
          regularisation: str | None, threshold: float | None = None) -> Path:
    """Local and global probabilities averaged (and regularised), beside the global annotator's output."""
    out = layout.fused(tag, global_.parent, regularisation, threshold)
    train = dataset(config, "train")
    if load_summary(out / RECORD).get("images") != len(train):
        fuse_dataset(train, local, global_, out, weak=WeakLabels(weak, clip=True), weight=config.fusion_weight,
                     mode=config.fusion_mode, regularisation=regularisation, threshold=threshold,
                     workers=workers(config), progress=config.progress)
    return out


def annotate(config: PipelineConfig, layout: Layout, rep: Replicate, weak) -> dict[str, Path]:
    """The replicate's annotators and pseudo-labels: local, global (its B), fused, fused + CRF and, for
    W_confident, fused + CRF with the unsure pixels (before the CRF) ignored."""
    local = local_annotator(config, layout, rep, weak)
    global_ = global_annotator(config, layout, rep.tag, layout.run(f"B{rep.suffix}", rep.seed))
    out = {"weak": weak, "local": local, "global": global_,
           "fused": fused(config, layout, local, global_, weak, rep.tag, None),
           "fused_crf": fused(config, layout, local, global_, weak, rep.tag, config.regularisation, config.threshold)}
    if "confident" in rep.variants:
        for t in config.confident_thresholds:
            folder = layout.fused(rep.tag, global_.parent, config.regularisation, t)
            if load_summary(folder / RECORD).get("images") != len(dataset(config, "train")):
                abstain_unsure(dataset(config, "train"), out["fused_crf"], out["fused"], folder, t,
                               workers=workers(config), progress=config.progress)
            out[f"confident_t{t:g}"] = folder
    return out


def score_pseudo_labels(config: PipelineConfig, layout: Layout, rep: Replicate, labels: dict) -> None:
    """mIoU (and, where pixels abstain, the labelled share and its accuracy) of the replicate's annotators
    against the dense train masks, under ``pseudo_labels<suffix>`` in the summary, seed by seed."""
    train = dataset(config, "train")
    key = f"pseudo_labels{rep.suffix}"
    for name, folder in labels.items():
        if name == "weak":
            continue
        done = load_summary(layout.summary).get(key, {}).get(name, {}).get("runs", [])
        if any(r["seed"] == rep.seed and r.get("folder") == layout.relative(folder) for r in done):
            continue
        s = score_folder(train, folder)
        run = {"seed": rep.seed, "run_id": f"{name}_s{rep.seed}", "miou": s["miou"],
               "pixel_accuracy": s["pixel_accuracy"], "labelled_fraction": s["labelled_fraction"],
               "labelled_accuracy": s["labelled_accuracy"], "iou": s["iou"], "folder": layout.relative(folder)}
        record_run(layout.summary, key, run, subkey=name)
    if "confident" in rep.variants:
        sweep = load_summary(layout.summary).get(f"confidence{rep.suffix}", {})
        if str(rep.seed) not in sweep:
            update_value(layout.summary, f"confidence{rep.suffix}", str(rep.seed),
                         confidence_sweep(train, labels["fused"], workers=workers(config)))


# ---------------------------------------------------------------------------------- what is recorded
def record_budget_curve(config: PipelineConfig, layout: Layout, reps: list[Replicate]) -> None:
    """``summary["budget_curve"]``: B, W (and R) at every budget point over its seeds, with F of the same
    seeds as the band they are measured against, and each point's pseudo-label quality seed by seed."""
    seeds = sorted({r.seed for r in reps})
    band = [scores(config, layout, n) for n in full_masks(config, layout, seeds)]
    band = [{"seed": r["seed"], "miou": r["miou"], "run_id": r["run_id"]} for r in band]
    update_value(layout.summary, "budget_curve", "F", {**aggregate(band), "runs": band})
    for budget in config.budgets:
        suffix = "" if budget == config.budget and not config.scribbles else f"@{budget:g}"
        point = sorted((r for r in reps if r.suffix == suffix and r.weak == "simulated"), key=lambda r: r.seed)
        records = load_summary(record_file(layout, point[0].record)) if point else {}
        summary = load_summary(layout.summary)
        runs = []
        for rep in point:
            row = {"seed": rep.seed}
            for key in ("B", "W", "R"):
                run_id = f"{key}{suffix}_s{rep.seed}"
                record = next((r for r in records.get(key + suffix, {}).get("runs", []) if r["run_id"] == run_id), None)
                if record is not None:
                    row[key], row[f"{key}_run"] = record["miou"], run_id
            row["pseudo_labels"] = {name: _seed_value(summary.get(f"pseudo_labels{suffix}", {}).get(name), rep.seed)
                                    for name in ("local", "global", "fused", "fused_crf")}
            runs.append(row)
        if not runs or any("B" not in r or "W" not in r for r in runs):
            continue  # a point is recorded once every seed has B and W
        stats = load_summary(layout.scribbles(simulated_tag(budget, runs[0]["seed"])) / STATS)
        entry = {"budget": budget, "achieved": stats.get("budget", {}).get("achieved_mean"), "n": len(runs)}
        for key in ("B", "W", "R"):
            values = [{"miou": r[key]} for r in runs if key in r]
            if values:
                spread = aggregate(values)
                entry.update({key: spread["miou"], f"{key}_std": spread["miou_std"]})
        update_value(layout.summary, "budget_curve", f"{budget:g}", {**entry, "runs": runs})


def _seed_value(entry: dict | None, seed: int) -> float | None:
    return next((r["miou"] for r in (entry or {}).get("runs", []) if r["seed"] == seed), None)


def record_points(config: PipelineConfig, layout: Layout) -> None:
    """``summary["points"]``: B and W trained on the human clicks, over the seeds."""
    side = load_summary(layout.side_file("points_runs"))
    for key in ("B", "W"):
        runs = [{k: r.get(k) for k in ("miou", "miou_crf", "run_id", "seed", "commit")}
                for r in side.get(f"{key}@points", {}).get("runs", []) if r["seed"] in config.seeds]
        if runs:
            update_value(layout.summary, "points", key, {**aggregate(runs), "runs": runs})


# --------------------------------------------------------------------------------- beyond one round
def round2(config: PipelineConfig, layout: Layout, reps: list[Replicate], labels: dict, log=print) -> None:
    """A second round, every replicate of ``reps``: its W becomes the global annotator, is fused with the same
    local annotator again, and W2 of the same seed is trained on the result (recorded as ``W_round2``)."""
    second = {}
    for rep in reps:
        global2 = global_annotator(config, layout, rep.tag, layout.run("W", rep.seed))
        fused2 = fused(config, layout, labels[rep]["local"], global2, labels[rep]["weak"], rep.tag,
                       config.regularisation)
        second[rep] = {"global_round2": global2, "fused_crf_round2": fused2}
    train(config, layout, [Network(run_spec(config, layout, "W2", second[r]["fused_crf_round2"], r.seed, config.soft),
                                   "W_round2", layout.summary, True) for r in reps], log)
    if "pseudo" in config.stages:
        for rep in reps:
            score_pseudo_labels(config, layout, replace(rep, variants=()), second[rep])


def boundary(config: PipelineConfig, layout: Layout, seed: int) -> None:
    """Where F beats B (and W): the share of val pixels F labels right and B (W) wrong, by distance to the
    nearest object boundary; ``results/<name>/boundary.json`` (one seed)."""
    runs = {key: layout.run(key, seed) for key in ("F", "B", "W") if (layout.run(key, seed) / RECORD).is_file()}
    if not {"F", "B"} <= set(runs):
        raise ConfigError("the boundary stage needs trained F and B runs (stage chain first)")
    out = layout.side_file("boundary")
    trained = {key: load_summary(run / RECORD)["train_seconds"] for key, run in runs.items()}
    if load_summary(out).get("trained") == trained:
        return  # these very runs were profiled before
    models = {key: load_model(run)[0] for key, run in runs.items()}
    profile = boundary_profile(models, dataset(config, "val"), config.training.base_size, progress=config.progress)
    profile.update(seed=seed, trained=trained)
    write_json(out, profile)


def chain_folders(config: PipelineConfig, layout: Layout, seed: int | None = None) -> dict[str, Path]:
    """Where the main chain of ``seed`` (default: the first) wrote its annotator outputs on train."""
    seed = config.seeds[0] if seed is None else seed
    rep = Replicate(seed, "scribbles" if config.scribbles else "simulated", None if config.scribbles else config.budget)
    b_run = layout.run("B", seed)
    scribbles = human_scribbles(config) if config.scribbles else layout.scribbles(rep.tag)
    return {"scribbles": scribbles, "local": layout.local(rep.tag, config.local_method),
            "global": layout.global_(rep.tag, b_run), "fused": layout.fused(rep.tag, b_run),
            "fused_crf": layout.fused(rep.tag, b_run, config.regularisation)}
