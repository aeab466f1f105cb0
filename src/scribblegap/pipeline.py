"""The whole chain, top to bottom: weak labels -> B (and F, R) -> local + global annotators -> fused + CRF
pseudo-labels -> W (and the retraining options) -> evaluation -> the budget curve, the clicks, round 2, the
boundary profile -> report.

:func:`run` composes the stage functions of :mod:`scribblegap.experiment.stages` for one
:class:`~scribblegap.experiment.configs.PipelineConfig`; each replicate (a seed at one weak-label source)
repeats the whole method. Networks train in worker processes, two at a time with one thread each on a
2-core machine; every stage skips what is already on disk, so ``run`` can be interrupted and rerun.
"""
from __future__ import annotations

import atexit
import contextlib
import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from scribblegap.core.layout import Layout
from scribblegap.core.settings import REPO_ROOT, cache_dir
from scribblegap.experiment import stages as st
from scribblegap.experiment.configs import PipelineConfig, load_config
from scribblegap.experiment.sample import write_sample
from scribblegap.report.markdown import write_report


@dataclass(frozen=True)
class Chain:
    """A config and where its files are: what the notebooks inspect."""
    config: PipelineConfig
    layout: Layout

    def dataset(self, split: str):
        return st.dataset(self.config, split)

    def folders(self, seed: int | None = None) -> dict[str, Path]:
        return st.chain_folders(self.config, self.layout, seed)


def layout_of(config: PipelineConfig, root=None) -> Layout:
    return Layout(Path(root) if root is not None else REPO_ROOT, config.name, config.preset)


class Clock:
    """Times and logs named steps: ``with clock("simulate"): ...``."""

    def __init__(self, name: str, log=print):
        self.name, self.log, self.timings = name, log, {}

    @contextlib.contextmanager
    def __call__(self, step: str):
        start = time.perf_counter()
        self.log(f"[{self.name}] {step} ...")
        yield
        self.timings[step] = round(self.timings.get(step, 0) + time.perf_counter() - start, 1)
        self.log(f"[{self.name}] {step}: {self.timings[step]} s")


def run(config: PipelineConfig, root=None, log=print) -> dict:
    """Run every stage of ``config`` that is not done yet; returns the seconds each step took."""
    config = config.check()
    layout, stages, clock = layout_of(config, root), set(config.stages), Clock(config.name, log)
    st.save_config(config, layout)
    if "overview" in stages:
        with clock("overview"):
            st.overview(config, layout)
    replicates = st.plan(config)
    networked = [r for r in replicates if "chain" in stages or r.suffix or r.variants]
    with clock("weak labels"):
        weak = {r: st.weak_labels(config, layout, r) for r in replicates}

    # B, F and R need nothing but the labels: they train side by side first
    first = [n for r in networked for n in st.first_networks(config, layout, r, weak[r])]
    f_seeds = sorted({r.seed for r in replicates if r.weak != "points"}) if stages & {"F", "budget"} else []
    with clock("train B, F, R"):
        st.train(config, layout, st.full_masks(config, layout, f_seeds) + first, log)

    with clock("annotators and pseudo-labels"):
        labels = {r: st.annotate(config, layout, r, weak[r]) for r in networked}
    second = [n for r in networked for n in st.second_networks(config, layout, r, labels[r])]
    with clock("train W and the options"):
        st.train(config, layout, second, log)

    if "pseudo" in stages:
        with clock("score the pseudo-labels"):
            for r in networked:
                st.score_pseudo_labels(config, layout, r, labels[r])
    if "budget" in stages:
        st.record_budget_curve(config, layout, [r for r in replicates if r.weak == "simulated"])
    if "points" in stages:
        st.record_points(config, layout)
    if "round2" in stages:
        with clock("round 2"):
            st.round2(config, layout, [r for r in networked if r.suffix == "" and r.variants], labels, log)
    if "boundary" in stages:
        with clock("boundary"):
            st.boundary(config, layout, config.seeds[0])
    if "sample" in stages:
        with clock("sample"):
            write_sample(config, layout)
    if "report" in stages:
        with clock("report"):
            write_report(layout.results, layout.figures)
    return clock.timings


def run_config(spec: str = "default", root=None, log=print, **overrides) -> dict:
    """Run a named (or .json) config; paths are recorded relative to ``root`` (default: the repository)."""
    return run(load_config(spec, **overrides), root, log=log)


# per-image stages in the notebook's own process (workers=1): no process pools inside a Jupyter kernel
SMOKE_OVERRIDES = dict(limit=24, seeds=(0,), curve_seeds=None, variant_seeds=None, focus_budgets=(),
                       train_overrides={"iters": 15, "batch_size": 8, "eval_every": 0}, budgets=(0.01, 0.05),
                       progress=False, workers=1, stages=("chain", "F", "evaluate", "pseudo"))


def smoke_config(config: str = "default", stages=None, **overrides) -> PipelineConfig:
    """A tiny version of ``config`` on 24 embedded scenes with 15-step networks (CI: seconds, not minutes);
    ``overrides``: PipelineConfig fields changed on top (e.g. ``budgets=(0.01,)``)."""
    cfg = replace(load_config(config), name=f"{config}-smoke", data="default", classes=None, preset="cpu-fast",
                  **{**SMOKE_OVERRIDES, **overrides})
    return replace(cfg, stages=tuple(stages)) if stages else cfg


def smoke_root() -> Path | None:
    """Where tiny chains are kept between notebooks (``$SCRIBBLEGAP_CACHE/smoke-chains``): the notebooks run
    in CI one after the other, and every stage resumes, so a chain one of them ran is not run again by the
    next. None when the cache is off (then each call runs its own chain in a temporary folder)."""
    cache = cache_dir()
    return None if cache is None else cache / "smoke-chains"


def example_chain(smoke: bool, config: str = "default", stages=None, log=print, **overrides) -> Chain:
    """The chain the notebooks inspect: the repository's own run of ``config`` (run first where missing),
    or, when ``smoke``, a tiny one in a temporary folder (``overrides`` change its config)."""
    if smoke:
        cfg = smoke_config(config, stages, **overrides)
        root = smoke_root()
        if root is None:
            root = Path(tempfile.mkdtemp(prefix="scribblegap_smoke_"))
            atexit.register(shutil.rmtree, root, ignore_errors=True)  # tens of MB of smoke outputs: gone at exit
    else:
        root, cfg = None, load_config(config)
        cfg = replace(cfg, stages=tuple(stages)) if stages else cfg
    run(cfg, root, log=log)
    return Chain(cfg, layout_of(cfg, root))


def chain(config: str | PipelineConfig, root=None) -> Chain:
    """Where a config's files are (nothing is run)."""
    cfg = load_config(config) if isinstance(config, str) else config
    return Chain(cfg, layout_of(cfg, root))
