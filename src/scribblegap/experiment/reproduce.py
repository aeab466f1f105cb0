"""Does the code at HEAD repeat recorded runs? Retrain them from their recorded spec and compare the scores.

    scribblegap reproduce --config voc12-mini --runs W_s0 W@0.01_s1
    scribblegap reproduce --config voc12-mini --runs B_s0 --rescore

Each named run of ``results/<name>/summary.json`` (or of a file beside it, such as ``budget_runs.json``) is
trained again from the spec and training config it recorded, into ``runs/<name>/reproduce/<run id>`` (side by
side, like the pipeline, each with the torch threads it recorded), on the same labels folder, then scored on
val without the test-time CRF. A CPU run with the same seed and threads on the same machine should give the
same mIoU to the last digit (the thread count sets the order of float sums; records older than the field
retrain with the pipeline's split of the cores, or with ``--threads N``, entered as ``<run id>@<N>threads``).
The comparison, with
the commit of the code that retrained and of the code that was recorded, goes to
``results/<name>/reproduction.json`` (one entry per run, kept across calls). ``--rescore`` skips the training and
scores the recorded checkpoint again: it checks an evaluation, not a training.
"""
from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

from scribblegap.core.errors import DataError
from scribblegap.core.io import write_json
from scribblegap.core.layout import RECORD, Layout
from scribblegap.core.provenance import git_commit
from scribblegap.experiment.configs import PipelineConfig
from scribblegap.experiment.runs import RunSpec, train_runs
from scribblegap.experiment.stages import dataset
from scribblegap.network.config import TrainConfig
from scribblegap.network.predict import evaluate_model, load_model

SPEC_FIELDS = {f.name for f in fields(RunSpec)} - {"config"}
REPRODUCTION = "reproduction"  # results/<name>/reproduction.json


def recorded_runs(results: Path) -> dict[str, dict]:
    """Every run record of a results folder by run id: the summary's first, then the side files' (where another
    file reuses a run id, as the preset search does, the summary's record wins)."""
    runs = {}
    for path in sorted(results.glob("*.json"), key=lambda p: (p.name != "summary.json", p.name)):
        data = json.loads(path.read_text())
        for entry in (data.values() if isinstance(data, dict) else []):
            for run in (entry.get("runs", []) if isinstance(entry, dict) else []):
                if isinstance(run, dict) and "spec" in run and "config" in run:
                    runs.setdefault(run["run_id"], run)
    return runs


def retrain(config: PipelineConfig, layout: Layout, runs: dict[str, dict], run_ids: list[str], table: dict,
            threads: int | None = None) -> None:
    """Train each run again from its recorded spec, score it on val, and enter the comparison in ``table``.
    ``threads``: for records older than the threads field (default: the pipeline's split of the cores)."""
    specs, by_threads = {}, {}  # a CPU run repeats bit for bit only with the torch threads it was trained with
    for run_id in run_ids:
        spec = {k: v for k, v in runs[run_id]["spec"].items() if k in SPEC_FIELDS}
        forced = threads if runs[run_id].get("threads") is None else None
        name = f"{run_id}@{forced}threads" if forced else run_id
        spec["out"] = str(layout.resolve(spec["out"]).parent / "reproduce" / name)
        if spec["labels"] not in ("full", "points"):
            spec["labels"] = str(layout.resolve(spec["labels"]))
        specs[run_id] = RunSpec(config=TrainConfig.from_dict(runs[run_id]["config"]), **spec)
        by_threads.setdefault(runs[run_id].get("threads") or forced, []).append(specs[run_id])
    for group_threads, group in by_threads.items():
        parallel = min(config.parallel_runs, len(group))
        train_runs(group, parallel=parallel, cores=group_threads * parallel if group_threads else None)
    for run_id, spec in specs.items():
        miou, rec = val_miou(config, Path(spec.out)), runs[run_id]
        entry = Path(spec.out).name  # the run id, with the threads where --threads chose them
        table.setdefault(entry, {}).update({"recorded_miou": rec["miou"], "recorded_commit": rec.get("commit"),
                         "retrained_miou": miou, "retrained_commit": git_commit(),
                         "equal": miou == rec["miou"], "labels": spec.labels,
                         "threads": rec.get("threads"), "retrained_threads": threads_of(Path(spec.out))})
        print(f"{entry}: recorded {100 * rec['miou']:.4f} ({rec.get('commit')}), "
              f"retrained {100 * miou:.4f} ({git_commit()}), equal: {table[entry]['equal']}", flush=True)


def rescore(config: PipelineConfig, layout: Layout, runs: dict[str, dict], run_ids: list[str], table: dict) -> None:
    """Score each run's recorded checkpoint on val again and enter the comparison in ``table``."""
    for run_id in run_ids:
        rec = runs[run_id]
        miou = val_miou(config, layout.resolve(rec["spec"]["out"]))
        table.setdefault(run_id, {}).update(
            {"recorded_miou": rec["miou"], "recorded_commit": rec.get("commit"),
             "rescored_miou": miou, "rescored_commit": git_commit(), "rescored_equal": miou == rec["miou"]})
        print(f"{run_id}: recorded {100 * rec['miou']:.4f}, rescored {100 * miou:.4f} ({git_commit()}), "
              f"equal: {miou == rec['miou']}", flush=True)


def val_miou(config: PipelineConfig, run: Path) -> float:
    """A trained run's val mIoU without the test-time CRF, as the pipeline records it."""
    model, training = load_model(run)
    return evaluate_model(model, dataset(config, "val"), training.base_size, crf=None, progress=False)["miou"]


def threads_of(run: Path) -> int | None:
    """The torch threads a finished run trained with, from its record."""
    record = run / RECORD
    return json.loads(record.read_text()).get("provenance", {}).get("threads") if record.is_file() else None


def reproduce(config: PipelineConfig, layout: Layout, run_ids: list[str], rescore_only: bool = False,
              threads: int | None = None) -> dict:
    """Retrain (or rescore) ``run_ids`` of the config's results and add the comparison to
    ``results/<name>/reproduction.json`` (read just before writing: calls side by side keep each other's)."""
    runs = recorded_runs(layout.results)
    missing = [r for r in run_ids if r not in runs]
    if missing:
        raise DataError(layout.results, f"no recorded run {', '.join(missing)}")
    table = {}
    if rescore_only:
        rescore(config, layout, runs, run_ids, table)
    else:
        retrain(config, layout, runs, run_ids, table, threads=threads)
    path = layout.side_file(REPRODUCTION)
    kept = json.loads(path.read_text()) if path.is_file() else {}
    for entry, values in table.items():
        kept.setdefault(entry, {}).update(values)
    write_json(path, kept)
    return table
