"""The whole chain, stage by stage: simulate -> local -> global (B) -> fuse + CRF -> retrain (W) ->
evaluate -> report, with the references F (full masks) and R (Tang et al.'s DenseCRF loss) beside it.

A :class:`Pipeline` runs the stages of one :class:`~scribblegap.configs.PipelineConfig`. Every stage calls
the package's functions with typed values: networks are :class:`~scribblegap.runs.RunSpec` values trained
by :func:`~scribblegap.runs.train_runs` in worker processes, two at a time with one thread each on a
2-core machine. Files go where :class:`~scribblegap.layout.Layout` says; every stage is skipped when its
output is complete, so ``run`` can be interrupted and rerun. Numbers are recorded in
``results/<name>/summary.json`` (:mod:`scribblegap.results`), beside the config that produced them.
"""
from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

from .configs import PipelineConfig, load_config
from .errors import ConfigError
from .layout import Layout
from .runs import RunSpec
from .settings import REPO_ROOT

SCORED = ("F", "B", "W", "R")  # scored on val (with the CRF) as soon as they finish


class Pipeline:
    """The stage runners of one config. Stages are idempotent; ``timings`` holds what this call ran."""

    def __init__(self, config: PipelineConfig, root: Path | None = None, log=print):
        from .parallel import default_workers
        from .presets import preset

        self.config = config.check()
        self.layout = Layout(Path(root) if root is not None else REPO_ROOT, config.name, config.preset)
        self.log = log
        self.workers = config.workers or default_workers()
        self.train_config = preset(config.preset, **config.train_overrides)
        self.timings: dict[str, float] = {}
        self._keys: dict[str, str] = {}  # run folder -> the key its scores are recorded under
        self._datasets: dict = {}

    # ------------------------------------------------------------------------------------- data
    def dataset(self, split: str):
        """``split``: "train" or "val", mapped to the config's split names."""
        from .data import load_dataset

        name = {"train": self.config.train_split, "val": self.config.val_split}.get(split, split)
        if name not in self._datasets:  # one copy per split: embedded scenes are rendered once per process
            ds = load_dataset(self.config.data, name, classes=self.config.classes, limit=self.config.limit)
            if hasattr(ds, "load_all"):  # and stored, so the training workers read them instead
                ds.load_all()
            self._datasets[name] = ds
        return self._datasets[name]

    @property
    def budget(self) -> float:
        from .scribbles.simulate import DEFAULT_BUDGET

        return self.config.budget if self.config.budget is not None else DEFAULT_BUDGET

    @property
    def global_seed(self) -> int:
        """The seed of the B whose predictions are the global annotator of every W."""
        return self.config.seeds[0] if self.config.global_seed is None else self.config.global_seed

    @property
    def main_tag(self) -> str:
        return "scribbles" if self.config.scribbles else f"budget-{self.budget:g}"

    def _timed(self, name: str, fn, *args, **kwargs):
        start = time.perf_counter()
        self.log(f"[{self.config.name}] {name} ...")
        out = fn(*args, **kwargs)
        self.timings[name] = round(time.perf_counter() - start, 1)
        self.log(f"[{self.config.name}] {name}: {self.timings[name]} s")
        return out

    # ---------------------------------------------------------------------------------- stages
    def simulate(self, budget: float, tag: str) -> Path:
        from .scribbles.simulate import simulate_dataset

        out = self.layout.scribbles(tag)
        if (out / "stats.json").is_file():  # finished: still refuse scribbles of other scenes or settings
            from .manifest import check_or_write
            from .scribbles.simulate import SimulatorOptions, simulation_parameters

            check_or_write(out, simulation_parameters(self.dataset("train"), budget, self.config.budget_seed,
                                                      self.config.width, SimulatorOptions.create({})), "scribbles")
        else:
            self._timed(f"simulate {tag}", simulate_dataset, self.dataset("train"), out, budget=budget,
                        seed=self.config.budget_seed, width=self.config.width, workers=self.workers,
                        progress=self.config.progress)
        return out

    def main_scribbles(self) -> Path:
        """The weak labels of the main chain: the config's own scribbles, or simulated ones at its budget."""
        if not self.config.scribbles:
            return self.simulate(self.budget, self.main_tag)
        return self.scribbles_folder()

    def scribbles_folder(self) -> Path:
        """Where the main chain's weak labels are (nothing is simulated here)."""
        if not self.config.scribbles:
            return self.layout.scribbles(self.main_tag)
        from .settings import data_root

        path = Path(self.config.scribbles).expanduser()
        if not path.is_dir() and data_root() is not None:
            path = data_root() / self.config.scribbles
        if not path.is_dir():
            raise ConfigError(f"scribble folder {self.config.scribbles!r} not found")
        return path

    def local(self, weak_spec, tag: str) -> Path:
        from .annotators.runner import run_local
        from .scribbles import WeakLabels

        method = self.config.points_local_method if str(weak_spec) == "points" else self.config.local_method
        out = self.layout.local(tag, method)
        record = out / "run.json"
        if not (record.is_file() and json.loads(record.read_text()).get("complete")):
            self._timed(f"local {tag}", run_local, self.dataset("train"), WeakLabels(weak_spec, clip=True),
                        method, out, workers=self.workers, progress=self.config.progress, **self.config.local_params)
        return out

    def run_spec(self, key: str, labels, seed: int, soft: bool = False, loss: str | None = None) -> RunSpec:
        """The training run ``<key>_s<seed>`` on ``labels`` with the config's preset and overrides."""
        cfg = self.config
        config = replace(self.train_config, seed=seed, **({"loss": loss} if loss else {}))
        run = self.layout.run(key, seed)
        self._keys[str(run)] = key
        return RunSpec(config=config, out=str(run), data=str(cfg.data), split=cfg.train_split,
                       val_split=cfg.val_split, classes=cfg.classes, limit=cfg.limit, labels=str(labels), soft=soft,
                       clip=str(labels) == "points")  # a few human clicks sit just outside the image border

    def train(self, specs: list[RunSpec]) -> None:
        """Train the runs not finished yet, ``parallel_runs`` at a time; F, B, W and R are scored as they end."""
        from .runs import train_runs

        start = time.perf_counter()
        trained = []

        def done(spec, record):
            trained.append(spec.name)
            self.timings[f"train {spec.name}"] = record["train_seconds"]
            key = self._keys.get(spec.out)
            if "evaluate" in self.config.stages and key in SCORED:
                self.evaluate_run(key, Path(spec.out))

        train_runs(specs, parallel=self.config.parallel_runs, cores=self.workers, on_done=done,
                   log=lambda m: self.log(f"[{self.config.name}] {m}"))
        if trained:
            self.timings["training wall"] = self.timings.get("training wall", 0) + round(time.perf_counter() - start, 1)

    def predict_global(self, run: Path, tag: str) -> Path:
        from .predict import predict_dataset
        from .predict import load_model

        out = self.layout.global_(tag, run)
        model, tcfg = load_model(run)
        self._timed(f"global {tag} {run.name}", predict_dataset, model, self.dataset("train"), out, tcfg.base_size,
                    progress=self.config.progress)
        return out

    def fuse(self, local: Path, global_: Path, weak_spec, tag: str, regularisation: str | None,
             threshold: float | None = None) -> Path:
        from .fusion import fuse_dataset
        from .scribbles import WeakLabels

        threshold = threshold if threshold is not None else self.config.threshold
        out = self.layout.fused(tag, global_.parent, regularisation, threshold)  # beside the global annotator's output
        record = out / "run.json"
        if not record.is_file() or json.loads(record.read_text())["images"] != len(self.dataset("train")):
            self._timed(f"{out.name} {tag}", fuse_dataset, self.dataset("train"), local, global_, out,
                        weak=WeakLabels(weak_spec, clip=True), weight=self.config.fusion_weight,
                        mode=self.config.fusion_mode, regularisation=regularisation, threshold=threshold,
                        workers=self.workers, progress=self.config.progress)
        return out

    def weak_chain(self, weak_spec, tag: str, seeds=None, key_suffix: str = "") -> dict:
        """local annotator, B (= the global annotator), fused + CRF pseudo-labels, W, for one weak-label source."""
        seeds = tuple(seeds if seeds is not None else self.config.seeds)
        local = self.local(weak_spec, tag)
        self.train_leaves([(self.run_spec(f"B{key_suffix}", weak_spec, s), f"B{key_suffix}", ())
                           for s in dict.fromkeys((*seeds, self.global_seed))])
        global_ = self.predict_global(self.layout.run(f"B{key_suffix}", self.global_seed), tag)
        fused = self.fuse(local, global_, weak_spec, tag, self.config.regularisation)
        self.train([self.run_spec(f"W{key_suffix}", fused, s, soft=self.config.soft) for s in seeds])
        return {"local": local, "global": global_, "fused": fused}

    def evaluate_run(self, key: str, run: Path, crf: bool = True, summary: Path | None = None) -> dict:
        """Score a trained run on val (with and without the CRF) and record it under ``key``."""
        from .crf import DenseCRF
        from .predict import evaluate_model
        from .provenance import describe
        from .results import load_summary, record_run, run_record
        from .runs import RECORD
        from .predict import load_model

        summary = summary or self.layout.summary
        existing = load_summary(summary).get(key, {}).get("runs", [])
        trained = load_summary(run / RECORD)
        mine = [r for r in existing if r["run_id"] == run.name
                and r.get("train_seconds") == trained.get("train_seconds")]  # the same training, scored before
        if mine and (not crf or mine[0].get("miou_crf") is not None):
            return mine[0]
        model, tcfg = load_model(run)
        scores = self._timed(f"evaluate {run.name}", evaluate_model, model, self.dataset("val"), tcfg.base_size,
                             crf=DenseCRF() if crf else None, crf_workers=self.workers, progress=False)
        record = run_record(run, scores, describe())
        record["run_dir"] = self.layout.relative(run)
        for holder, field in ((record, "labels"), (record["spec"], "out"), (record["spec"], "labels")):
            if isinstance(holder.get(field), str) and Path(holder[field]).is_absolute():  # no machine paths
                holder[field] = self.layout.relative(holder[field])
        record_run(summary, key, record)
        return record

    def score_pseudo_labels(self, folders: dict[str, Path], key: str = "pseudo_labels") -> dict:
        """mIoU of pseudo-label folders (``<id>.png``) against the dense train masks."""
        from .evaluate import score_folder
        from .results import update_value

        ds = self.dataset("train")
        table = {}
        for name, folder in folders.items():
            scores = score_folder(ds, folder)
            table[name] = {"miou": scores["miou"], "pixel_accuracy": scores["pixel_accuracy"], "iou": scores["iou"],
                           "folder": self.layout.relative(folder)}
            update_value(self.layout.summary, key, name, table[name])
        return table

    # ------------------------------------------------------------------------------ the plan
    def run(self) -> dict:
        cfg = self.config
        stages = set(cfg.stages)
        self.save_config()
        if "overview" in stages:
            from .viz import dataset_overview

            self._timed("overview", dataset_overview, self.dataset("train"),
                        self.layout.figures / f"{cfg.name}_dataset_overview.png")
        if "chain" in stages:
            self.main_chain(with_f="F" in stages, with_r="R" in stages, score="pseudo" in stages)
        elif "F" in stages:
            self.train_leaves([(self.run_spec("F", "full", s), "F", ()) for s in cfg.seeds])
        if "evaluate" in stages:
            for key in SCORED:
                for s in cfg.seeds:
                    run = self.layout.run(key, s)
                    if (run / "run.json").is_file():
                        self.evaluate_run(key, run)
        # the cheap analysis first, then the retraining options, the clicks, and the long budget curve last
        for stage, run_stage in (("boundary", self.boundary), ("variants", self.variants), ("round2", self.round2),
                                 ("points", self.points), ("budget", self.budget_curve)):
            if stage in stages:
                run_stage()
        if "report" in stages:
            from .report import write_report

            self._timed("report", write_report, self.layout.results, self.layout.figures)
        return {"timings": self.timings}

    def save_config(self) -> None:
        """``results/<name>/config.json``: the pipeline config and the training config its networks use."""
        from .io import write_json

        path = self.layout.results / "config.json"
        config = {"pipeline": self.config.to_json(), "training": self.train_config.to_dict()}
        if not path.is_file() or json.loads(path.read_text()) != config:
            write_json(path, config)

    def main_chain(self, with_f: bool = True, with_r: bool = True, score: bool = True) -> dict:
        """B, F and R on the main scribbles (F and R need nothing but the labels: trained beside B), then the
        local annotator, the fused + CRF pseudo-labels and W; the pseudo-labels are scored on train."""
        scribbles = self.main_scribbles()
        runs = []
        for s in self.config.seeds:
            runs.append((self.run_spec("B", scribbles, s), "B", ()))
            if with_f:
                runs.append((self.run_spec("F", "full", s), "F", ()))
            if with_r:
                runs.append((self.run_spec("R", scribbles, s, loss="ce+densecrf"), "R", ()))
        self.train_leaves(runs)
        chain = self.weak_chain(scribbles, self.main_tag)
        if score:
            fused_plain = self.fuse(chain["local"], chain["global"], scribbles, self.main_tag, None)
            self.score_pseudo_labels({"local": chain["local"], "global": chain["global"], "fused": fused_plain,
                                      "fused_crf": chain["fused"]})
        return chain

    def _main_pseudo_labels(self) -> tuple[Path, Path, Path]:
        """Scribbles, local annotator and global annotator (``global_seed``'s B, trained if it is not yet) of
        the main chain, which the later stages build on."""
        scribbles = self.main_scribbles()
        self.train([self.run_spec("B", scribbles, self.global_seed)])
        local = self.local(scribbles, self.main_tag)
        return scribbles, local, self.predict_global(self.layout.run("B", self.global_seed), self.main_tag)

    def round2(self) -> None:
        """A second round, every seed: W (trained on round-1 pseudo-labels) becomes the global annotator, is
        fused with the same local annotator again, and W2 of the same seed is trained on the result. Recorded
        as ``W_round2``; the first seed's round-2 pseudo-labels are scored on train."""
        scribbles, local, global_ = self._main_pseudo_labels()
        fused = self.fuse(local, global_, scribbles, self.main_tag, self.config.regularisation)
        seeds = self.config.seeds
        self.train([self.run_spec("W", fused, s, soft=self.config.soft) for s in seeds])
        round2 = {}
        for s in seeds:
            global2 = self.predict_global(self.layout.run("W", s), self.main_tag)
            round2[s] = global2, self.fuse(local, global2, scribbles, self.main_tag, self.config.regularisation)
        self.train([self.run_spec("W2", round2[s][1], s, soft=self.config.soft) for s in seeds])
        for s in seeds:
            self.evaluate_run("W_round2", self.layout.run("W2", s))
        global2, fused2 = round2[seeds[0]]
        self.score_pseudo_labels({"global_round2": global2, "fused_crf_round2": fused2})

    def variants(self) -> None:
        """The retraining options of ``config.variants`` on the main chain's pseudo-labels, every seed:
        ``W_confident`` (pixels whose fused confidence is below ``confident_threshold`` ignored) and ``W_soft``
        (soft cross-entropy on the fused + CRF probabilities instead of their argmax)."""
        scribbles, local, global_ = self._main_pseudo_labels()
        cfg, specs = self.config, {}
        if "confident" in cfg.variants:
            confident = self.fuse(local, global_, scribbles, self.main_tag, cfg.regularisation,
                                  threshold=cfg.confident_threshold)
            specs["W_confident"] = [self.run_spec("Wconf", confident, s) for s in cfg.seeds]
        if "soft" in cfg.variants:
            fused = self.fuse(local, global_, scribbles, self.main_tag, cfg.regularisation)
            specs["W_soft"] = [self.run_spec("Wsoft", fused, s, soft=True) for s in cfg.seeds]
        self.train([spec for runs in specs.values() for spec in runs])
        for key, runs in specs.items():
            for spec in runs:
                self.evaluate_run(key, Path(spec.out))

    def recorded(self, spec: RunSpec, key: str, also=()) -> dict | None:
        """With ``reuse_recorded``: the record of ``spec``'s very run under ``key`` in the results file of
        ``key`` (or in ``also``, more (file, key) places), the same run name, data, labels and training settings.
        Only for leaf runs, whose weights no later stage reads (F, R, the B of a seed other than
        ``global_seed``): a machine without ``runs/`` then completes a config without training them again."""
        from .results import load_summary
        from .runs import _comparable

        if not self.config.reuse_recorded or (key.startswith("B") and spec.config.seed == self.global_seed):
            return None  # the global annotator's predictions are read: its B is never a leaf
        labels = spec.labels if spec.labels in ("full", "points") else self.layout.relative(spec.labels)
        wanted = _comparable({**spec.to_dict(), "labels": labels})
        for path, name in [(path, key) for path in self._record_files(key)] + list(also):
            for record in load_summary(path).get(name, {}).get("runs", []):
                if record.get("run_id") == spec.name and record.get("config") and \
                        _comparable({**record.get("spec", {}), "config": record["config"]}) == wanted:
                    return record
        return None

    def _record_files(self, key: str) -> list[Path]:
        """Where runs of ``key`` are recorded: the summary, or the side file of the clicks or the budget curve."""
        if key.endswith("@points"):
            return [self.layout.side_file("points_runs")]
        return [self.layout.side_file("budget_runs")] if "@" in key else [self.layout.summary]

    def train_leaves(self, runs: list[tuple]) -> None:
        """Train ``runs`` ((spec, key, more places) triples), leaving out the leaf runs the results record
        (:meth:`recorded`)."""
        self.train([spec for spec, key, also in runs if self.recorded(spec, key, also) is None])

    def scores(self, spec: RunSpec, key: str, crf: bool, summary: Path | None = None, also=()) -> dict:
        """A run's recorded scores: evaluated from its folder where it is trained, else its record."""
        if (Path(spec.out) / "run.json").is_file():
            return self.evaluate_run(key, Path(spec.out), crf=crf, summary=summary)
        record = self.recorded(spec, key, also)
        if record is None:
            raise ConfigError(f"run {spec.out} is neither trained nor recorded")
        return record

    def f_band(self, seeds) -> dict:
        """F (full masks) of ``seeds``: the main chain's F runs, scored on val with the CRF, as the main chain
        scores them."""
        from .results import aggregate

        specs = [self.run_spec("F", "full", s) for s in seeds]
        self.train_leaves([(spec, "F", ()) for spec in specs])
        runs = [self.scores(spec, "F", crf=True) for spec in specs]
        runs = [{"seed": r["seed"], "miou": r["miou"], "run_id": r["run_id"]} for r in runs]
        return {**aggregate(runs), "runs": runs}

    def budget_curve(self) -> None:
        """B and W at each simulated budget for every seed of the config; F of the same seeds as the band they
        are measured against. At each budget the global annotator is ``global_seed``'s B, as in the main chain,
        and W of every seed trains on the pseudo-labels built on it; at the config's own budget the main chain's
        B and W are the curve's. The B of the other seeds and F are taken from the results where they are
        recorded (:meth:`recorded`). Every budget's B trains in one batch, then every W."""
        from .results import aggregate, update_value

        cfg, seeds = self.config, self.config.seeds
        side = self.layout.side_file("budget_runs")
        update_value(self.layout.summary, "budget_curve", "F", self.f_band(seeds))
        points = []  # (budget, tag, scribbles, key suffix): the config's own budget first, its outputs are reused
        for budget in sorted(cfg.budgets, key=lambda b: (b != self.budget, b)):
            suffix = "" if budget == self.budget and not cfg.scribbles else f"@{budget:g}"
            tag = f"budget-{budget:g}"
            points.append((budget, tag, self.simulate(budget, tag), suffix))

        def main_too(key: str, suffix: str) -> list:  # at the config's own budget, the main chain's records
            return [] if suffix else [(self.layout.summary, key)]

        b_specs = {(budget, s): self.run_spec(f"B{suffix}", scribbles, s)
                   for budget, _, scribbles, suffix in points for s in dict.fromkeys((self.global_seed, *seeds))}
        self.train_leaves([(b_specs[budget, s], f"B@{budget:g}", main_too("B", suffix))
                           for budget, _, _, suffix in points for s in dict.fromkeys((self.global_seed, *seeds))])
        fused = {}
        for budget, tag, scribbles, suffix in points:
            local = self.local(scribbles, tag)
            global_ = self.predict_global(self.layout.run(f"B{suffix}", self.global_seed), tag)
            fused[budget] = self.fuse(local, global_, scribbles, tag, cfg.regularisation)
        w_specs = {(budget, s): self.run_spec(f"W{suffix}", fused[budget], s, soft=cfg.soft)
                   for budget, _, _, suffix in points for s in seeds}
        self.train(list(w_specs.values()))
        for budget, tag, scribbles, suffix in points:
            runs = []
            for s in seeds:
                scores = {}
                for key, spec in (("B", b_specs[budget, s]), ("W", w_specs[budget, s])):
                    record = self.scores(spec, f"{key}@{budget:g}", crf=False, summary=side,
                                         also=main_too(key, suffix))
                    scores[key], scores[f"{key}_run"] = record["miou"], record["run_id"]
                runs.append({"seed": s, **scores})
            achieved = json.loads((scribbles / "stats.json").read_text())["budget"]["achieved_mean"]
            entry = {"budget": budget, "achieved": achieved, "n": len(runs)}
            for key in ("B", "W"):
                spread = aggregate([{"miou": r[key]} for r in runs])
                entry.update({key: spread["miou"], f"{key}_std": spread["miou_std"]})
            update_value(self.layout.summary, "budget_curve", f"{budget:g}", {
                **entry, "runs": runs, "global_run": self.layout.run(f"B{suffix}", self.global_seed).name,
                "pseudo_labels": self.layout.relative(fused[budget])})

    def points(self) -> None:
        """The chain with the human clicks of ``points.json`` as the weak labels, every seed of the config
        (the pseudo-labels from ``global_seed``'s B, as in the main chain). ``summary["points"]`` holds B and W
        over the seeds; each run's full record is in ``points_runs.json``."""
        from .results import aggregate, load_summary, update_value

        chain = self.weak_chain("points", "points", key_suffix="@points")
        side = self.layout.side_file("points_runs")
        for key in ("B", "W"):
            for seed in self.config.seeds:  # a B the results record (reuse_recorded) is not on disk
                if (self.layout.run(f"{key}@points", seed) / "run.json").is_file():
                    self.evaluate_run(f"{key}@points", self.layout.run(f"{key}@points", seed), crf=True, summary=side)
            runs = [{k: r.get(k) for k in ("miou", "miou_crf", "run_id", "seed", "commit")}
                    for r in load_summary(side)[f"{key}@points"]["runs"] if r["seed"] in self.config.seeds]
            update_value(self.layout.summary, "points", key, {**aggregate(runs), "runs": runs})
        self.score_pseudo_labels({"local": chain["local"], "global": chain["global"],
                                  "fused_crf": chain["fused"]}, key="points_pseudo_labels")

    def boundary(self) -> None:
        """Where F beats B (and W): the share of val pixels F labels right and B (W) wrong, by distance to the
        nearest object boundary. Written to ``results/<name>/boundary.json`` (first seed)."""
        from .boundary import boundary_profile
        from .io import write_json
        from .predict import load_model

        seed = self.config.seeds[0]
        if (self.layout.run("B", seed) / "run.json").is_file():  # F's record alone (reuse_recorded) has no pixels
            self.train([self.run_spec("F", "full", seed)])
        runs = {key: self.layout.run(key, seed) for key in ("F", "B", "W")
                if (self.layout.run(key, seed) / "run.json").is_file()}
        out = self.layout.side_file("boundary")
        trained = {key: json.loads((run / "run.json").read_text())["train_seconds"] for key, run in runs.items()}
        if out.is_file() and json.loads(out.read_text()).get("trained") == trained:
            return  # these very runs were profiled before
        models = {key: load_model(run)[0] for key, run in runs.items()}
        if not {"F", "B"} <= set(models):
            raise ConfigError("the boundary stage needs trained F and B runs (stage chain first)")
        profile = self._timed("boundary", boundary_profile, models, self.dataset("val"), self.train_config.base_size,
                              progress=self.config.progress)
        profile.update(seed=seed, trained=trained)
        write_json(out, profile)


def run_pipeline(spec: str = "default", root=None, log=print, **overrides) -> dict:
    """Run a named (or .json) config; paths are recorded relative to ``root`` (default: the repository)."""
    return Pipeline(load_config(spec, **overrides), root, log=log).run()


# per-image stages in the notebook's own process (workers=1): no process pools inside a Jupyter kernel
SMOKE_OVERRIDES = dict(limit=24, seeds=(0,), train_overrides={"iters": 30, "batch_size": 8, "eval_every": 0},
                       budgets=(0.01, 0.05), progress=False, workers=1, stages=("chain", "F", "evaluate", "pseudo"))


def smoke_config(config: str = "default", stages=None, **overrides) -> PipelineConfig:
    """A tiny version of ``config`` on 24 embedded scenes with 30-step networks (CI: seconds, not minutes);
    ``overrides``: PipelineConfig fields changed on top (e.g. ``budgets=(0.01,)``)."""
    cfg = replace(load_config(config), name=f"{config}-smoke", data="default", classes=None, preset="cpu-fast",
                  **{**SMOKE_OVERRIDES, **overrides})
    return replace(cfg, stages=tuple(stages)) if stages else cfg


def example_chain(smoke: bool, config: str = "default", stages=None, log=print, **overrides) -> Pipeline:
    """The chain the notebooks inspect: the repository's own run of ``config`` (run first if missing),
    or, when ``smoke``, a tiny one in a temporary folder (``overrides`` change its config)."""
    if smoke:
        import atexit
        import shutil
        import tempfile

        root = Path(tempfile.mkdtemp(prefix="scribblegap_smoke_"))
        atexit.register(shutil.rmtree, root, ignore_errors=True)  # tens of MB of smoke outputs: gone at exit
        pipe = Pipeline(smoke_config(config, stages, **overrides), root, log=log)
    else:
        cfg = load_config(config)
        pipe = Pipeline(replace(cfg, stages=tuple(stages)) if stages else cfg, log=log)
    pipe.run()
    return pipe


def chain_folders(pipe: Pipeline) -> dict[str, Path]:
    """Where the main chain of a pipeline wrote its annotator outputs (train split)."""
    lay, tag = pipe.layout, pipe.main_tag
    b_run = lay.run("B", pipe.config.seeds[0])
    return {"scribbles": pipe.scribbles_folder(), "local": lay.local(tag, pipe.config.local_method),
            "global": lay.global_(tag, b_run), "fused": lay.fused(tag, b_run),
            "fused_crf": lay.fused(tag, b_run, pipe.config.regularisation)}
