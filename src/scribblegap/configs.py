"""Pipeline configs: what ``scribblegap run --config NAME`` does. Each named config is a few changes to
:class:`PipelineConfig`'s defaults, with the reason it exists; its results go to ``results/<NAME>/``.

``scribblegap run --config NAME --show`` prints the resolved config and its training preset.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from .errors import ConfigError, DataError
from .options import Preset, typed_changes

STAGES = ("overview", "chain", "F", "R", "evaluate", "pseudo", "variants", "round2", "budget", "points",
          "boundary", "report")
VARIANTS = ("confident", "soft")  # stage "variants": W_confident, W_soft


@dataclass(frozen=True)
class PipelineConfig:
    name: str = "default"                # results/<name>/, outputs/<name>/, runs/<name>/
    data: str = "default"                # "default" (embedded scenes, knobs as "default:hard,halo=0"), or VOC
    classes: str | None = None
    preset: str = "cpu-fast"             # training preset of every network (presets.py)
    train_overrides: dict = field(default_factory=dict)  # TrainConfig fields changed for every network
    train_split: str = "train"
    val_split: str = "val"
    scribbles: str | None = None         # real scribbles (a folder of <id>.png / <id>.xml) instead of simulated
    budget: float | None = None          # simulated scribbles (None: the simulator's human-like default, 3%)
    width: float = 3
    local_method: str = "superpixels"    # the best local annotator from scribbles (notebook 03)
    local_params: dict = field(default_factory=dict)
    points_local_method: str = "pixel-classifier-crf"  # the best from clicks
    fusion_weight: float = 0.5           # the local annotator's share of the mean
    fusion_mode: str = "mean"
    regularisation: str | None = "crf"
    threshold: float | None = None       # of the main chain's pseudo-labels (None: every pixel labelled)
    confident_threshold: float = 0.7     # of W_confident (stage "variants")
    variants: tuple = ("confident", "soft")  # the retraining options stage "variants" trains: W_confident, W_soft
    soft: bool = False                   # retrain W on probabilities instead of label maps
    seeds: tuple = (0,)
    global_seed: int | None = None       # the seed of the B that is the global annotator (None: the first seed)
    stages: tuple = ("chain", "F", "R", "evaluate", "pseudo", "report")
    budgets: tuple = (0.005, 0.01, 0.02, 0.03, 0.05, 0.10)
    budget_seed: int = 0                 # the seed of the simulated scribbles (every budget, the main chain's too)
    reuse_recorded: bool = False         # leaf runs (F, R, the B of a seed that is not global_seed) recorded in
                                         # the results are not trained again (completing a config elsewhere)
    parallel_runs: int = 2               # networks trained side by side (one thread each on 2 cores)
    workers: int | None = None           # processes for per-image stages (None: every core)
    limit: int | None = None             # first N images of each split (smoke runs)
    progress: bool = True

    def check(self) -> "PipelineConfig":
        unknown = sorted(set(self.stages) - set(STAGES))
        if unknown:
            raise ConfigError(f"unknown stage(s) {', '.join(unknown)}; choose from {', '.join(STAGES)}")
        if not self.seeds:
            raise ConfigError("a pipeline needs at least one seed")
        unknown = sorted(set(self.variants) - set(VARIANTS))
        if unknown:
            raise ConfigError(f"unknown variant(s) {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
        for b in self.budgets + ((self.budget,) if self.budget is not None else ()):
            if not 0 < b < 1:
                raise ConfigError(f"budget {b} must be a fraction of the pixels, 0 < budget < 1")
        if not 0 <= self.fusion_weight <= 1 or not 0 < self.confident_threshold <= 1:
            raise ConfigError("fusion_weight must lie in [0, 1] and confident_threshold in (0, 1]")
        if self.parallel_runs < 1 or (self.workers is not None and self.workers < 1) \
                or (self.limit is not None and self.limit < 1):
            raise ConfigError("parallel_runs, workers and limit must be positive")
        from .presets import preset

        preset(self.preset, **self.train_overrides)  # unknown or bad training settings stop here
        return self

    def to_json(self) -> dict:
        return json.loads(json.dumps(asdict(self)))


_FULL = ("chain", "F", "R", "evaluate", "pseudo", "variants", "round2", "budget", "points", "boundary", "report")
HARD_SCENES = "default:hard"

CONFIGS = {
    "default": Preset(
        "the main job (make run): every stage of the chain on the embedded scenes in minutes",
        train_overrides={"iters": 400}, stages=("overview", "chain", "F", "evaluate", "pseudo", "report")),
    "voc12-mini": Preset(
        "the benchmark: VOC12-mini (7 classes) with an ImageNet-initialised trunk, the paper's regime; three "
        "seeds of every network: F, B, W, R, the retraining options, round 2, the budget curve and the human "
        "clicks",
        data="voc12-mini", classes="voc12-mini", preset="cpu-pretrained", local_method="random-walker",
        seeds=(0, 1, 2), stages=_FULL,
        budgets=(0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.10)),
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
    "voc12-r101": Preset(
        "the paper's setting on GPUs: VOC 2012 train_aug with ScribbleSup scribbles, DeepLabV2-ResNet-101",
        data="VOC2012", classes="voc", preset="voc12-r101", train_split="train_aug", scribbles="VOC2012/ScribbleSup",
        local_method="random-walker", parallel_runs=1),
}


def load_config(spec: str, **overrides) -> PipelineConfig:
    """A named config (:data:`CONFIGS`) or a ``.json`` file of :class:`PipelineConfig` fields, with ``overrides``."""
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
            config = PipelineConfig(**typed_changes(PipelineConfig, {"name": path.stem, **raw}, "config field"))
        except ConfigError as exc:
            raise DataError(path, str(exc)) from None
    else:
        raise ConfigError(f"unknown config {spec!r}: a name ({', '.join(CONFIGS)}) or a .json file")
    return replace(config, **typed_changes(PipelineConfig, overrides, "config field")).check()


def show(config: PipelineConfig) -> str:
    """The resolved pipeline config and training config, as text (``run --show``)."""
    from .presets import PRESETS, preset

    lines = [f"# pipeline config {config.name!r}"]
    if config.name in CONFIGS:
        lines.append(f"# {CONFIGS[config.name].why}")
        lines.append(f"# changes to the defaults: {CONFIGS[config.name].describe()}")
    lines += [f"{f.name} = {getattr(config, f.name)!r}" for f in fields(config)]
    train = preset(config.preset, **config.train_overrides)
    lines += ["", f"# training config: preset {config.preset!r} ({PRESETS[config.preset].why})",
              f"# changes to the defaults: {PRESETS[config.preset].describe()}"
              + (f"; then {config.train_overrides}" if config.train_overrides else "")]
    lines += [f"{k} = {v!r}" for k, v in train.to_dict().items()]
    return "\n".join(lines)
