"""Pipeline configs: what ``scribblegap run --config NAME`` does. Each named config is a few changes to
:class:`PipelineConfig`'s defaults, with the reason it exists; its results go to ``results/<NAME>/``.

``scribblegap run --config NAME --show`` prints the resolved config and its training preset. Overrides
(``--set`` on the command line, keywords of :func:`load_config`) name a field (``seeds=0``) or a training
field (``train.iters=50``), which is merged into the config's own training changes, never replacing them.

A seed is one replicate of the whole method: seed ``s`` simulates its own scribbles (at every budget),
trains its own B on them, builds its pseudo-labels on that B and trains W, R and the retraining options
on them; F of seed ``s`` shares the head initialisation and batch order, so differences stay paired.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from scribblegap.core.errors import ConfigError, DataError
from scribblegap.core.options import Preset, typed_changes, unknown_names
from scribblegap.data.example import EXAMPLE
from scribblegap.network.config import TrainConfig
from scribblegap.network.presets import PRESETS, preset
from scribblegap.scribbles.simulate import DEFAULT_BUDGET

STAGES = ("overview", "chain", "F", "R", "evaluate", "pseudo", "variants", "round2", "budget", "points",
          "boundary", "sample", "report")
# the retraining options of stage "variants": W_confident_t<threshold> (pixels whose fused confidence before
# the CRF is below the threshold are ignored), W_soft (soft targets: the fused probabilities before the CRF),
# W_rloss (the pseudo-labels plus Tang et al.'s DenseCRF loss: the two best ideas together)
VARIANTS = ("confident", "soft", "rloss")
TRAIN_PREFIX = "train."  # --set train.iters=400: a field of the training config


@dataclass(frozen=True)
class PipelineConfig:
    name: str = "default"                # results/<name>/, outputs/<name>/, runs/<name>/
    data: str = "default"                # "default" (embedded scenes, knobs as "default:hard,halo=0"), or VOC
    classes: str | None = None
    preset: str = "cpu-fast"             # training preset of every network (network/presets.py)
    train_overrides: dict = field(default_factory=dict)  # TrainConfig fields changed for every network
    train_split: str = "train"
    val_split: str = "val"
    scribbles: str | None = None         # real scribbles (a folder of <id>.png / <id>.xml) instead of simulated
    budget: float = DEFAULT_BUDGET       # the main chain's simulated scribbles: this share of the pixels
    width: float = 3
    local_method: str = "superpixels"    # the best local annotator from scribbles (notebook 03)
    local_params: dict = field(default_factory=dict)
    points_local_method: str = "pixel-classifier-crf"  # the best from clicks
    fusion_weight: float = 0.5           # the local annotator's share of the mean
    fusion_mode: str = "mean"
    regularisation: str | None = "crf"
    threshold: float | None = None       # of the main chain's pseudo-labels (None: every pixel labelled)
    confident_thresholds: tuple = (0.7,)  # of W_confident, on the fused confidence before the CRF
    variants: tuple = VARIANTS           # the retraining options stage "variants" trains
    soft: bool = False                   # retrain W on probabilities instead of label maps
    seeds: tuple = (0,)                  # replicates of the main chain and of the focus budgets
    curve_seeds: tuple | None = None     # replicates at the other budget points (None: seeds)
    variant_seeds: tuple | None = None   # replicates that train the retraining options (None: seeds)
    stages: tuple = ("chain", "F", "R", "evaluate", "pseudo", "report")
    budgets: tuple = (0.005, 0.01, 0.02, 0.03, 0.05, 0.10)
    focus_budgets: tuple = ()            # budget points run like the main chain: every seed, and R beside B
    variant_budgets: tuple = ()          # budget points besides the main one that train the retraining options
    curve_crf: bool = False              # score the budget curve's networks with the test-time CRF too
    reuse_recorded: bool = False         # leaf runs (F, R, W and the options) recorded in the results with
                                         # their per-image counts are not trained again (completing elsewhere)
    parallel_runs: int = 2               # networks trained side by side (one thread each on 2 cores)
    workers: int | None = None           # processes for per-image stages (None: every core)
    limit: int | None = None             # first N images of each split (smoke runs)
    progress: bool = True

    def check(self) -> "PipelineConfig":
        check_name(self.name, "config name")
        unknown = sorted(set(self.stages) - set(STAGES))
        if unknown:
            raise ConfigError(f"unknown stage(s) {', '.join(unknown)}; choose from {', '.join(STAGES)}")
        if not self.seeds:
            raise ConfigError("a pipeline needs at least one seed")
        for seed in self.seeds + (self.curve_seeds or ()) + (self.variant_seeds or ()):
            if not isinstance(seed, int) or seed < 0:
                raise ConfigError(f"seeds must be whole numbers >= 0, got {seed!r}")
        unknown = sorted(set(self.variants) - set(VARIANTS))
        if unknown:
            raise ConfigError(f"unknown variant(s) {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
        for b in self.budgets + self.focus_budgets + self.variant_budgets + (self.budget,):
            if not 0 < b < 1:
                raise ConfigError(f"budget {b} must be a fraction of the pixels, 0 < budget < 1")
        if not 0 <= self.fusion_weight <= 1 or not all(0 < t <= 1 for t in self.confident_thresholds):
            raise ConfigError("fusion_weight must lie in [0, 1] and confident_thresholds in (0, 1]")
        if self.parallel_runs < 1 or (self.workers is not None and self.workers < 1) \
                or (self.limit is not None and self.limit < 1):
            raise ConfigError("parallel_runs, workers and limit must be positive")
        preset(self.preset, **self.train_overrides)  # unknown or bad training settings stop here
        return self

    def to_json(self) -> dict:
        return json.loads(json.dumps(asdict(self)))

    @property
    def training(self) -> TrainConfig:
        """The training config every network of this pipeline starts from (a seed and a loss on top)."""
        return preset(self.preset, **self.train_overrides)


def check_name(name: str, what: str = "name") -> str:
    """Names become folder names (``results/<name>``): plain ones only."""
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*", name) or ".." in name:
        raise ConfigError(f"{what} {name!r} is not a plain name (letters, digits, '_', '-', '.', '+'; no path "
                          "separator, no '..', no leading dot)")
    return name


_FULL = ("chain", "F", "R", "evaluate", "pseudo", "variants", "round2", "budget", "points", "boundary", "sample",
         "report")
HARD_SCENES = "default:hard"

CONFIGS = {
    "default": Preset(
        "the main job (make run): every stage of the chain on the embedded scenes in minutes",
        train_overrides={"iters": 400}, stages=("overview", "chain", "F", "evaluate", "pseudo", "report")),
    "voc12-mini": Preset(
        "the benchmark: VOC12-mini (7 classes) with an ImageNet-initialised trunk, the paper's regime; six "
        "replicates of F, B, W and R at 3% and at 1% (the paper's human budget), three at the other budget "
        "points, the retraining options, round 2 and the human clicks on three",
        data="voc12-mini", classes="voc12-mini", preset="cpu-pretrained", local_method="random-walker",
        seeds=(0, 1, 2, 3, 4, 5), curve_seeds=(0, 1, 2), variant_seeds=(0, 1, 2), stages=_FULL,
        confident_thresholds=(0.7, 0.95),  # from the confidence sweep: each keeps 60-90% of the pixels (summary["confidence"])
        budgets=(0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.10), focus_budgets=(0.01,)),
    "voc12-mini-long": Preset(
        "the benchmark with a 3x schedule (1800 steps): does the gap, and what W closes of it, depend on "
        "how long the network trains? F, B and W at 3% and 1%, three replicates",
        data="voc12-mini", classes="voc12-mini", preset="cpu-pretrained", local_method="random-walker",
        train_overrides={"iters": 1800}, seeds=(0, 1, 2), stages=("chain", "F", "evaluate", "budget", "report"),
        budgets=(0.01, 0.03), focus_budgets=(0.01,)),
    "voc12-mini-scratch": Preset(
        "the benchmark from scratch (long CPU preset): the network, not its labels, limits what it learns",
        data="voc12-mini", preset="cpu-long", local_method="random-walker", seeds=(0, 1, 2)),
    "voc12-mini-scratch-fast": Preset(
        "budget curve and human clicks from scratch (fast preset, one seed)",
        data="voc12-mini", preset="cpu-fast", local_method="random-walker", stages=("budget", "points", "report")),
    "hard-fast": Preset(
        "the hard scenes: thin parts in another hue and body-coloured shadows, which no per-image annotator "
        "recovers; fast preset, two seeds, retraining options, round 2 and the budget curve",
        data=HARD_SCENES, seeds=(0, 1),
        stages=("chain", "F", "R", "evaluate", "pseudo", "variants", "round2", "budget", "report")),
    "hard-variant": Preset(
        "the hard scenes without shadows and with parts in their body's colour: boundaries that colour reveals",
        data=f"{HARD_SCENES},halo=0,part_hue_shift=0", seeds=(0, 1),
        stages=("chain", "F", "R", "evaluate", "pseudo", "variants", "report")),
    EXAMPLE: Preset(
        "bring your own data, the worked example: a VOC-layout folder with its own classes.txt (six classes, own "
        "colours, no background) of 160 x 120 px images, built offline from the procedural scenes; F, B, W and "
        "R on the ImageNet-initialised preset with a short schedule at its small images, a budget curve and the "
        "claims, in minutes on 2 cores. `--set data=PATH` runs the same chain on a folder of your own",
        data=EXAMPLE, preset="cpu-pretrained",
        train_overrides={"iters": 200, "base_size": 160, "crop_size": 128, "warmup_iters": 20, "eval_every": 50,
                         "rloss_scale": 0.25},  # the DenseCRF loss on a 32 x 32 grid of the 128-px crops
        budgets=(0.01, 0.03), stages=("chain", "F", "R", "evaluate", "pseudo", "budget", "report")),
    "voc12-r101": Preset(
        "the paper's setting on GPUs: VOC 2012 train_aug with ScribbleSup scribbles, DeepLabV2-ResNet-101",
        data="VOC2012", classes="voc", preset="voc12-r101", train_split="train_aug", scribbles="VOC2012/ScribbleSup",
        local_method="random-walker", parallel_runs=1),
}


def merge_overrides(config: PipelineConfig, overrides: dict) -> dict:
    """``overrides`` as PipelineConfig changes: ``train.<field>`` and a ``train_overrides`` dict are merged into
    the config's own training changes (never replacing them); ``local_params`` likewise."""
    changes, train = {}, {}
    for name, value in overrides.items():
        if name.startswith(TRAIN_PREFIX):
            train[name[len(TRAIN_PREFIX):]] = value
        else:
            changes[name] = value
    typed = typed_changes(PipelineConfig, changes, "config field")
    for name in ("train_overrides", "local_params"):
        if name in typed:
            if not isinstance(typed[name], dict):
                raise ConfigError(f"config field {name} must be a JSON object, got {typed[name]!r}")
            typed[name] = {**getattr(config, name), **typed[name]}
    if train:
        unknown = set(train) - {f.name for f in fields(TrainConfig)}
        if unknown:
            raise unknown_names("training field", {TRAIN_PREFIX + u for u in unknown},
                                [TRAIN_PREFIX + f.name for f in fields(TrainConfig)])
        typed["train_overrides"] = {**typed.get("train_overrides", config.train_overrides),
                                    **typed_changes(TrainConfig, train, "training field")}
    return typed


def load_config(spec: str, **overrides) -> PipelineConfig:
    """A named config (:data:`CONFIGS`) or a ``.json`` file of :class:`PipelineConfig` fields, with
    ``overrides`` (:func:`merge_overrides`; a value of None leaves the field as it is)."""
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if spec in CONFIGS:
        config = CONFIGS[spec].build(PipelineConfig, "config field", name=spec)
    elif str(spec).endswith(".json"):
        path = Path(spec)
        try:
            raw = json.loads(path.read_text())
        except FileNotFoundError:
            raise DataError(path, "config file is missing") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataError(path, f"config file does not parse ({exc})") from None
        if not isinstance(raw, dict):
            raise DataError(path, "config file must hold a JSON object of PipelineConfig fields")
        try:
            config = replace(PipelineConfig(), **merge_overrides(PipelineConfig(), {"name": path.stem, **raw}))
            config.check()
        except ConfigError as exc:
            raise DataError(path, str(exc)) from None
    else:
        known = ", ".join(CONFIGS)
        raise ConfigError(f"unknown config {spec!r}: a name ({known}) or a .json file")
    return replace(config, **merge_overrides(config, overrides)).check()


def show(config: PipelineConfig) -> str:
    """The resolved pipeline config and training config, as text (``run --show``)."""
    lines = [f"# pipeline config {config.name!r}"]
    if config.name in CONFIGS:
        lines.append(f"# {CONFIGS[config.name].why}")
        lines.append(f"# changes to the defaults: {CONFIGS[config.name].describe()}")
    lines += [f"{f.name} = {getattr(config, f.name)!r}" for f in fields(config)]
    lines += ["", f"# training config: preset {config.preset!r} ({PRESETS[config.preset].why})",
              f"# changes to the defaults: {PRESETS[config.preset].describe()}"
              + (f"; then {config.train_overrides}" if config.train_overrides else "")]
    lines += [f"{k} = {v!r}" for k, v in config.training.to_dict().items()]
    return "\n".join(lines)
