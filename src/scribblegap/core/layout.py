"""Where a pipeline config's files go, in one place: every stage, command, script and notebook asks a
:class:`Layout`.

    outputs/<name>/<tag>/scribbles                  weak labels (<tag>: budget-0.03/s1 for seed 1's simulated
                                                    scribbles at 3%; points; scribbles for human ones)
    outputs/<name>/<tag>/local-<method>             the local annotator's label maps and probabilities
    runs/<name>/<preset>/<key>_s<seed>              trained networks (F, B, W, R, B@0.01, ...)
    outputs/<name>/<tag>/<preset>/<run>/global      a trained network's predictions on train (global annotator)
    outputs/<name>/<tag>/<preset>/<run>/fused-crf   the fused (+ CRF) pseudo-labels built on it
    results/<name>/summary.json, config.json, report.md, budget_runs.json, per_image/<run>.npz
    figures/
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# the file names every stage writes and reads
SUMMARY = "summary.json"        # results/<name>/: the recorded runs and what was computed from them
CONFIG = "config.json"          # results/<name>/: the pipeline and training config that produced them
REPORT = "report.md"            # results/<name>/: the tables of the results
RECORD = "run.json"             # a finished output folder's record (a training run, a local annotator, a fusion)
STATS = "stats.json"            # a scribble folder's statistics, written when every image is done
SIDE_FILES = ("budget_runs", "points_runs", "boundary")  # results/<name>/<side>.json beside the summary


@dataclass(frozen=True)
class Layout:
    root: Path
    name: str
    preset: str

    @property
    def outputs(self) -> Path:
        return self.root / "outputs" / self.name

    @property
    def runs(self) -> Path:
        return self.root / "runs" / self.name / self.preset

    @property
    def results(self) -> Path:
        return self.root / "results" / self.name

    @property
    def summary(self) -> Path:
        return self.results / SUMMARY

    @property
    def config(self) -> Path:
        return self.results / CONFIG

    @property
    def report(self) -> Path:
        return self.results / REPORT

    @property
    def figures(self) -> Path:
        return self.root / "figures"

    def side_file(self, what: str) -> Path:
        """A results file beside the summary (``budget_runs``, ``points_runs``, ``boundary``, ...)."""
        return self.results / f"{what}.json"

    def per_image(self, run_id: str) -> Path:
        """The per-image pixel counts of a run's evaluation."""
        return self.results / "per_image" / f"{run_id}.npz"

    def scribbles(self, tag: str) -> Path:
        return self.outputs / tag / "scribbles"

    def local(self, tag: str, method: str) -> Path:
        return self.outputs / tag / f"local-{method}"

    def run(self, key: str, seed: int) -> Path:
        return self.runs / f"{key}_s{seed}"

    def annotations(self, tag: str, run: Path) -> Path:
        """The folder of a network's predictions on train and of the pseudo-labels fused from them."""
        return self.outputs / tag / self.preset / Path(run).name

    def global_(self, tag: str, run: Path) -> Path:
        return self.annotations(tag, run) / "global"

    def fused(self, tag: str, run: Path, regularisation: str | None = None, threshold: float | None = None) -> Path:
        name = "fused" + (f"-{regularisation}" if regularisation else "") + (f"-t{threshold:g}" if threshold else "")
        return self.annotations(tag, run) / name

    def relative(self, path) -> str:
        """A path as recorded in results files: relative to the root when it lies inside it."""
        path = Path(path)
        try:
            return str(path.resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(path)

    def resolve(self, recorded: str) -> Path:
        """The inverse of :meth:`relative`."""
        path = Path(recorded)
        return path if path.is_absolute() else self.root / path


def simulated_tag(budget: float, seed: int) -> str:
    """The outputs of one seed's simulated scribbles at ``budget``: ``budget-0.03/s1``."""
    return f"budget-{budget:g}/s{seed}"
