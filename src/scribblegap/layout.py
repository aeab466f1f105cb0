"""Where a pipeline config's files go, in one place: every stage, script and notebook asks a :class:`Layout`.

    outputs/<name>/<tag>/scribbles                  simulated scribbles (<tag>: budget-0.03, points, ...)
    outputs/<name>/<tag>/local-<method>             the local annotator's label maps and probabilities
    runs/<name>/<preset>/<key>_s<seed>              trained networks (F, B, W, R, ...)
    outputs/<name>/<tag>/<preset>/<run>/global      a trained network's predictions on train (global annotator)
    outputs/<name>/<tag>/<preset>/<run>/fused-crf   the fused (+ CRF) pseudo-labels built on it
    results/<name>/summary.json, config.json, report.md
    figures/
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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
        return self.results / "summary.json"

    @property
    def figures(self) -> Path:
        return self.root / "figures"

    def side_file(self, what: str) -> Path:
        """A results file beside the summary (``budget_runs``, ``points_runs``, ``boundary``, ...)."""
        return self.results / f"{what}.json"

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
