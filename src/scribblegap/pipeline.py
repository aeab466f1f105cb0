"""The whole chain, stage by stage: simulate -> local -> global (B) -> fuse + CRF -> retrain (W) ->
evaluate -> report, with the references F (full masks) and R (Tang et al.'s DenseCRF loss) beside it.

Every stage writes into ``outputs/<name>/`` (annotations, probabilities) or ``runs/<name>/`` (trained
networks) and is skipped when its output is complete, so ``run`` can be interrupted and rerun. Numbers
are recorded in ``results/<name>/summary.json`` (see :mod:`scribblegap.results`). Networks are trained
in subprocesses of the ``train`` command, two at a time with one thread each on a 2-core machine.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from .errors import ConfigError
from .settings import REPO_ROOT


@dataclass
class PipelineConfig:
    name: str = "default"                # results/<name>/, outputs/<name>/, runs/<name>/
    data: str = "default"
    classes: str | None = None
    preset: str = "cpu-fast"             # training preset of F, B, W and R
    train_overrides: dict = field(default_factory=dict)
    train_split: str = "train"
    val_split: str = "val"
    scribbles: str | None = None         # real scribbles (a folder of <id>.png / <id>.xml) instead of simulated
    budget: float | None = None          # simulated scribbles (None: the simulator's human-like default)
    width: float = 3
    local_method: str = "superpixels"   # the best local annotator from scribbles (notebook 03)
    local_params: dict = field(default_factory=dict)
    points_local_method: str = "pixel-classifier-crf"  # the best from clicks
    fusion_weight: float = 0.5           # the local annotator's share of the mean
    fusion_mode: str = "mean"
    regularisation: str = "crf"
    threshold: float | None = None      # of the main chain's pseudo-labels (None: every pixel labelled)
    confident_threshold: float = 0.7    # of W_confident (stage "variants")
    soft: bool = False                   # retrain on probabilities instead of label maps
    rloss_weight: float = 1.0
    seeds: tuple = (0,)
    stages: tuple = ("chain", "F", "R", "evaluate", "pseudo", "report")
    budgets: tuple = (0.005, 0.01, 0.02, 0.03, 0.05, 0.10)
    budget_seed: int = 0
    parallel_runs: int = 2
    workers: int | None = None
    limit: int | None = None             # first N images of each split (notebook smoke runs)
    progress: bool = True

    def to_dict(self) -> dict:
        d = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


CONFIGS = {
    # the main job (make run): the whole chain on the embedded scenes in minutes: fast preset cut to 500 steps
    "default": PipelineConfig(name="default-quick", train_overrides={"iters": 500},
                              stages=("overview", "chain", "F", "evaluate", "pseudo", "report")),
    # the measurements on the embedded scenes: fast preset, three seeds, R, round 2 and the budget curve
    "default-fast": PipelineConfig(name="default", seeds=(0, 1, 2),
                                   stages=("chain", "F", "R", "evaluate", "pseudo", "variants", "round2", "budget",
                                           "report")),
    # the embedded scenes without shadows and with parts in their body's colour: where fusion + CRF work
    "default-variant": PipelineConfig(name="default-variant", data="default:halo=0,part_hue_shift=0", seeds=(0, 1),
                                      stages=("chain", "F", "R", "evaluate", "pseudo", "variants", "report")),
    # the benchmark: VOC12-mini, 7-class protocol, long CPU preset, three seeds
    "voc12-mini": PipelineConfig(name="voc12-mini", data="voc12-mini", classes="voc12-mini", preset="cpu-long",
                                 local_method="random-walker", seeds=(0, 1, 2)),
    # the budget curve and the clicks on VOC12-mini with the fast preset
    "voc12-mini-fast": PipelineConfig(name="voc12-mini", data="voc12-mini", classes="voc12-mini",
                                      preset="cpu-fast", local_method="random-walker", stages=("budget", "points")),
    # the paper's setting on GPUs: VOC 2012 train_aug with ScribbleSup scribbles, DeepLabV2-ResNet-101
    "voc12-r101": PipelineConfig(name="voc12", data="VOC2012", classes="voc", preset="voc12-r101",
                                 train_split="train_aug", scribbles="VOC2012/ScribbleSup",
                                 local_method="random-walker", parallel_runs=1),
}


def load_config(spec: str, **overrides) -> PipelineConfig:
    if spec in CONFIGS:
        config = CONFIGS[spec]
    elif spec.endswith(".json") and Path(spec).is_file():
        raw = json.loads(Path(spec).read_text())
        config = PipelineConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()})
    else:
        raise ConfigError(f"unknown config {spec!r}: a name ({', '.join(CONFIGS)}) or a .json file")
    return replace(config, **{k: v for k, v in overrides.items() if v is not None})


class Pipeline:
    """Paths and stage runners for one :class:`PipelineConfig`. Stages are idempotent."""

    def __init__(self, config: PipelineConfig, root: Path | None = None, log=print):
        self.config = config
        self.root = Path(root) if root is not None else Path()  # relative paths keep records portable
        self.log = log
        self.outputs = self.root / "outputs" / config.name
        self.runs = self.root / "runs" / config.name / config.preset
        self.results = self.root / "results" / config.name
        self.summary = self.results / "summary.json"
        from .parallel import default_workers

        self.workers = config.workers or default_workers()
        self.timings: dict[str, float] = {}

    def portable(self, path) -> str:
        """A path as recorded in results: relative to the repository when it lies inside it."""
        path = Path(path)
        try:
            return str(path.resolve().relative_to(REPO_ROOT))
        except ValueError:
            return str(path)

    # ------------------------------------------------------------------------------------- data
    def dataset(self, split: str):
        """``split``: "train" or "val", mapped to the config's split names."""
        from .data import load_dataset

        name = {"train": self.config.train_split, "val": self.config.val_split}.get(split, split)
        return load_dataset(self.config.data, name, classes=self.config.classes, limit=self.config.limit)

    @property
    def budget(self) -> float:
        from .scribbles.simulate import DEFAULT_BUDGET

        return self.config.budget if self.config.budget is not None else DEFAULT_BUDGET

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

        out = self.outputs / tag / "scribbles"
        if not (out / "stats.json").is_file():
            self._timed(f"simulate {tag}", simulate_dataset, self.dataset("train"), out, budget=budget,
                        seed=self.config.budget_seed, width=self.config.width, workers=self.workers,
                        progress=self.config.progress)
        return out

    def real_scribbles(self) -> Path:
        """The config's own scribbles: a folder, or a path under the data root."""
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
        out = self.outputs / tag / f"local-{method}"
        record = out / "run.json"
        if not (record.is_file() and json.loads(record.read_text()).get("complete")):
            self._timed(f"local {tag}", run_local, self.dataset("train"), WeakLabels(weak_spec, clip=True),
                        method, out, workers=self.workers, progress=self.config.progress, **self.config.local_params)
        return out

    def train_command(self, key: str, labels, seed: int, soft: bool = False, loss: str | None = None,
                      threads: int = 1) -> tuple[Path, list[str]]:
        cfg = self.config
        run = self.runs / f"{key}_s{seed}"
        cmd = [sys.executable, "-m", "scribblegap", "train", "--preset", cfg.preset, "--data", str(cfg.data),
               "--labels", str(labels), "--seed", str(seed), "--out", str(run), "--threads", str(threads)]
        if cfg.classes:
            cmd += ["--classes", cfg.classes]
        cmd += ["--split", cfg.train_split, "--val-split", cfg.val_split]
        if soft:
            cmd.append("--soft")
        if str(labels) == "points":
            cmd.append("--clip")  # a few human clicks sit on or just outside the image border
        if loss:
            cmd += ["--loss", loss]
        if loss == "ce+densecrf":
            cmd += ["--rloss-weight", str(cfg.rloss_weight)]
        if cfg.limit:
            cmd += ["--limit", str(cfg.limit)]
        for k, v in cfg.train_overrides.items():
            cmd += [f"--{k.replace('_', '-')}", str(v)]
        if (run / "checkpoint.pt").is_file():
            cmd.append("--resume")
        return run, cmd

    def train_many(self, jobs: list[tuple[str, Path, list[str]]]) -> None:
        """Train the runs not finished yet, ``parallel_runs`` at a time, each in its own process."""
        todo = [(name, run, cmd) for name, run, cmd in jobs if not (run / "summary.json").is_file()]
        if not todo:
            return
        parallel = max(1, min(self.config.parallel_runs, len(todo)))
        threads = max(1, self.workers // parallel)
        running: list[tuple[str, subprocess.Popen, float]] = []
        env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
        start = time.perf_counter()
        while todo or running:
            while todo and len(running) < parallel:
                name, run, cmd = todo.pop(0)
                cmd = [*cmd[: cmd.index("--threads") + 1], str(threads), *cmd[cmd.index("--threads") + 2:]]
                run.mkdir(parents=True, exist_ok=True)
                self.log(f"[{self.config.name}] train {name}: {' '.join(cmd[2:])}")
                with open(run / "train.out", "a") as out:
                    running.append((name, subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env),
                                    time.perf_counter()))
            time.sleep(2)
            for item in list(running):
                name, proc, t0 = item
                if proc.poll() is not None:
                    running.remove(item)
                    if proc.returncode:
                        for _, p, _ in running:
                            p.terminate()
                        raise RuntimeError(f"training {name} failed (exit {proc.returncode}); "
                                           f"see {self.runs / name.split()[0]}*/train.out")
                    self.timings[f"train {name}"] = round(time.perf_counter() - t0, 1)
                    self.log(f"[{self.config.name}] train {name}: done in {self.timings[f'train {name}']} s")
                    self.on_trained(name)
        self.timings["training wall"] = self.timings.get("training wall", 0) + round(time.perf_counter() - start, 1)

    def on_trained(self, name: str) -> None:
        """Score a finished F, B, W or R run at once (with the CRF), so results land run by run."""
        key, seed = name.split()[0], name.split()[-1]
        if "evaluate" in self.config.stages and key in ("F", "B", "W", "R"):
            self.evaluate_run(key, self.runs / f"{key}_{seed}")

    def predict_global(self, run: Path, tag: str) -> Path:
        from .predict import predict_dataset
        from .train import load_trained

        out = self.outputs / tag / self.config.preset / run.name / "global"
        ds = self.dataset("train")
        model, tcfg = load_trained(run)
        self._timed(f"global {tag}", predict_dataset, model, ds, out, tcfg.base_size, progress=self.config.progress)
        return out

    def fuse(self, local: Path, global_: Path, weak_spec, tag: str, regularisation: str | None,
             threshold: float | None = None) -> Path:
        from .fusion import fuse_dataset
        from .scribbles import WeakLabels

        threshold = threshold if threshold is not None else self.config.threshold
        name = "fused" + (f"-{regularisation}" if regularisation else "") + (f"-t{threshold:g}" if threshold else "")
        out = global_.parent / name  # beside the global annotator's output it fuses
        record = out / "run.json"
        if not record.is_file() or json.loads(record.read_text())["images"] != len(self.dataset("train")):
            self._timed(f"{name} {tag}", fuse_dataset, self.dataset("train"), local, global_, out,
                        weak=WeakLabels(weak_spec, clip=True), weight=self.config.fusion_weight, mode=self.config.fusion_mode,
                        regularisation=regularisation, threshold=threshold, workers=self.workers,
                        progress=self.config.progress)
        return out

    def weak_chain(self, weak_spec, tag: str, seeds=None, key_suffix: str = "") -> dict:
        """local annotator, B (= the global annotator), fused + CRF pseudo-labels, W, for one weak-label source."""
        seeds = tuple(seeds if seeds is not None else self.config.seeds)
        local = self.local(weak_spec, tag)
        self.train_many([(f"B{key_suffix} s{s}", *self.train_command(f"B{key_suffix}", weak_spec, s)) for s in seeds])
        global_ = self.predict_global(self.runs / f"B{key_suffix}_s{seeds[0]}", tag)
        fused = self.fuse(local, global_, weak_spec, tag, self.config.regularisation)
        self.train_many([(f"W{key_suffix} s{s}", *self.train_command(f"W{key_suffix}", fused, s, soft=self.config.soft))
                         for s in seeds])
        return {"local": local, "global": global_, "fused": fused}

    def evaluate_run(self, key: str, run: Path, crf: bool = True, summary: Path | None = None) -> dict:
        """Score a trained run on val (with and without the CRF) and record it under ``key``."""
        from .crf import DenseCRF
        from .predict import evaluate_model
        from .provenance import describe
        from .results import load_summary, record_run, run_record
        from .train import load_trained

        summary = summary or self.summary
        existing = load_summary(summary).get(key, {}).get("runs", [])
        trained = load_summary(run / "summary.json")
        mine = [r for r in existing if r["run_id"] == run.name
                and r.get("train_seconds") == trained.get("train_seconds")]  # the same training, scored before
        if mine and (not crf or mine[0].get("miou_crf") is not None):
            return mine[0]
        model, tcfg = load_trained(run)
        scores = self._timed(f"evaluate {run.name}", evaluate_model, model, self.dataset("val"), tcfg.base_size,
                             crf=DenseCRF() if crf else None, crf_workers=self.workers, progress=False)
        record = run_record(run, scores, describe())
        record["run_dir"] = self.portable(run)
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
                           "folder": self.portable(folder)}
            update_value(self.summary, key, name, table[name])
        return table

    # ------------------------------------------------------------------------------ the plans
    def run(self) -> dict:
        cfg = self.config
        stages = set(cfg.stages)
        main_tag = f"budget-{self.budget:g}"
        if "overview" in stages:
            from .viz import dataset_overview

            self._timed("overview", dataset_overview, self.dataset("train"),
                        self.root / "figures" / f"{cfg.name}_dataset_overview.png")
        if "chain" in stages:
            scribbles = self.real_scribbles() if cfg.scribbles else self.simulate(self.budget, main_tag)
            jobs = []
            for s in cfg.seeds:  # F and R need nothing but the labels: train them beside B, seed by seed
                jobs.append((f"B s{s}", *self.train_command("B", scribbles, s)))
                if "F" in stages:
                    jobs.append((f"F s{s}", *self.train_command("F", "full", s)))
                if "R" in stages:
                    jobs.append((f"R s{s}", *self.train_command("R", scribbles, s, loss="ce+densecrf")))
            self.train_many(jobs)
            local = self.local(scribbles, main_tag)
            chain = self.weak_chain(scribbles, main_tag)
            if "pseudo" in stages:
                fused_plain = self.fuse(local, chain["global"], scribbles, main_tag, None)
                self.score_pseudo_labels({"local": local, "global": chain["global"], "fused": fused_plain,
                                          "fused_crf": chain["fused"]})
        elif "F" in stages:
            self.train_many([(f"F s{s}", *self.train_command("F", "full", s)) for s in cfg.seeds])
        if "evaluate" in stages:
            for key in ("F", "B", "W", "R"):
                for s in cfg.seeds:
                    run = self.runs / f"{key}_s{s}"
                    if (run / "summary.json").is_file():
                        self.evaluate_run(key, run)
        if "variants" in stages:
            self.variants()
        if "round2" in stages:
            self.round2()
        if "budget" in stages:
            self.budget_curve()
        if "points" in stages:
            self.points()
        if "report" in stages:
            from .report import write_report

            self._timed("report", write_report, self.results, self.root / "figures")
        return {"timings": self.timings}

    def _main_chain(self) -> tuple[int, str, Path, Path]:
        """First seed, tag, scribbles and local annotator of the main chain, which later stages build on."""
        tag = f"budget-{self.budget:g}"
        scribbles = self.outputs / tag / "scribbles"
        return self.config.seeds[0], tag, scribbles, self.local(scribbles, tag)

    def round2(self) -> None:
        """A second round: W (trained on round-1 pseudo-labels) becomes the global annotator, is fused with
        the same local annotator again, and W2 is trained on the result. Recorded as ``W_round2``."""
        seed, tag, scribbles, local = self._main_chain()
        global2 = self.predict_global(self.runs / f"W_s{seed}", tag)
        fused2 = self.fuse(local, global2, scribbles, tag, self.config.regularisation)
        self.train_many([(f"W2 s{seed}", *self.train_command("W2", fused2, seed, soft=self.config.soft))])
        self.evaluate_run("W_round2", self.runs / f"W2_s{seed}")
        self.score_pseudo_labels({"global_round2": global2, "fused_crf_round2": fused2})

    def variants(self) -> None:
        """Two options of the retraining on the main chain's pseudo-labels (first seed): ``W_confident``
        (pixels whose fused confidence is below ``confident_threshold`` ignored) and ``W_soft`` (soft
        cross-entropy on the fused + CRF probabilities instead of their argmax)."""
        seed, tag, scribbles, local = self._main_chain()
        global_ = self.predict_global(self.runs / f"B_s{seed}", tag)
        fused = self.fuse(local, global_, scribbles, tag, self.config.regularisation)
        confident = self.fuse(local, global_, scribbles, tag, self.config.regularisation,
                              threshold=self.config.confident_threshold)
        self.train_many([(f"Wconf s{seed}", *self.train_command("Wconf", confident, seed)),
                         (f"Wsoft s{seed}", *self.train_command("Wsoft", fused, seed, soft=True))])
        self.evaluate_run("W_confident", self.runs / f"Wconf_s{seed}")
        self.evaluate_run("W_soft", self.runs / f"Wsoft_s{seed}")

    def budget_curve(self) -> None:
        """B and W at each simulated budget (seed ``budget_seed``), F as the reference line.

        F and B at the simulator's default budget are also recorded as ``F_fast`` / ``B_fast`` (with the
        test-time CRF too) when the preset is ``cpu-fast``.
        """
        from .results import update_value

        seed = self.config.budget_seed
        side = self.results / "budget_runs.json"
        self.train_many([(f"F s{seed}", *self.train_command("F", "full", seed))])
        fast = self.config.preset == "cpu-fast"
        f = self.evaluate_run("F", self.runs / f"F_s{seed}", crf=fast, summary=side)
        if fast:
            self.evaluate_run("F_fast", self.runs / f"F_s{seed}", crf=True)
        update_value(self.summary, "budget_curve", "F", {"miou": f["miou"], "run_id": f["run_id"]})
        # the default budget first: it also gives B_fast, and the main chain's outputs are reused
        for budget in sorted(self.config.budgets, key=lambda b: (b != self.budget, b)):
            tag = f"budget-{budget:g}"
            scribbles = self.simulate(budget, tag)
            suffix = "" if budget == self.budget else f"@{budget:g}"  # the default budget is the main chain's
            chain = self.weak_chain(scribbles, tag, seeds=(seed,), key_suffix=suffix)
            b = self.evaluate_run(f"B@{budget:g}", self.runs / f"B{suffix}_s{seed}", crf=False, summary=side)
            w = self.evaluate_run(f"W@{budget:g}", self.runs / f"W{suffix}_s{seed}", crf=False, summary=side)
            if fast and not suffix:
                self.evaluate_run("B_fast", self.runs / f"B_s{seed}", crf=True)
            achieved = json.loads((scribbles / "stats.json").read_text())["budget"]["achieved_mean"]
            update_value(self.summary, "budget_curve", f"{budget:g}", {
                "budget": budget, "achieved": achieved, "B": b["miou"], "W": w["miou"],
                "B_run": b["run_id"], "W_run": w["run_id"], "pseudo_labels": self.portable(chain["fused"])})

    def points(self) -> None:
        """The chain with the human clicks of ``points.json`` as the weak labels."""
        from .results import update_value

        seed = self.config.budget_seed
        chain = self.weak_chain("points", "points", seeds=(seed,), key_suffix="@points")
        for key in ("B", "W"):
            entry = self.evaluate_run(f"{key}@points", self.runs / f"{key}@points_s{seed}", crf=True,
                                      summary=self.results / "points_runs.json")
            update_value(self.summary, "points", key, {k: entry.get(k) for k in
                                                       ("miou", "miou_crf", "run_id", "seed", "commit")})
        self.score_pseudo_labels({"local": chain["local"], "global": chain["global"],
                                  "fused_crf": chain["fused"]}, key="points_pseudo_labels")


def run_pipeline(spec: str = "default", root=None, **overrides) -> dict:
    """Run a named (or .json) config from the repository root, so recorded paths are relative to it."""
    config = load_config(spec, **overrides)
    os.chdir(root or REPO_ROOT)
    return Pipeline(config).run()


SMOKE_OVERRIDES = dict(name="smoke", limit=24, seeds=(0,), train_overrides={"iters": 30, "batch_size": 8,
                                                                            "eval_every": 0},
                       budgets=(0.01, 0.05), progress=False, stages=("chain", "F", "evaluate", "pseudo"))


def example_chain(smoke: bool, config: str = "default", stages=None, log=print) -> Pipeline:
    """The chain the notebooks inspect: the repository's own run of ``config`` (run first if missing),
    or, when ``smoke``, a tiny one on 24 embedded scenes in a temporary folder (CI: seconds, not minutes)."""
    if smoke:
        import tempfile

        cfg = replace(load_config(config), data="default", classes=None, preset="cpu-fast", **SMOKE_OVERRIDES)
        if stages:
            cfg = replace(cfg, stages=tuple(stages))
        pipe = Pipeline(cfg, Path(tempfile.mkdtemp(prefix="scribblegap_smoke_")), log=log)
    else:
        cfg = load_config(config)
        if stages:
            cfg = replace(cfg, stages=tuple(stages))
        pipe = Pipeline(cfg, REPO_ROOT, log=log)
    pipe.run()
    return pipe

    
def chain_folders(pipe: Pipeline) -> dict[str, Path]:
    """Where the main chain of a pipeline wrote its annotator outputs (train split)."""
    tag = pipe.outputs / f"budget-{pipe.budget:g}"
    net = tag / pipe.config.preset / f"B_s{pipe.config.seeds[0]}"
    return {"scribbles": tag / "scribbles", "local": tag / f"local-{pipe.config.local_method}",
            "global": net / "global", "fused": net / "fused", "fused_crf": net / f"fused-{pipe.config.regularisation}"}
