"""Run a local annotator over a data set: label maps and compact probabilities, resumable and shardable.

For each image ``<out>/<id>.npz`` (:func:`scribblegap.data.store.save_probs`) is written first and then
``<out>/<id>.png`` (the argmax label map of data set ids, VOC palette), each atomically; an image
whose two files exist is skipped, so an interrupted run continues where it stopped. ``<out>/run.json``
records the method, its full parameters, counts and per-image seconds and store bytes (a sharded run
writes ``run.shard-K-of-N.json`` instead, so that shards on several machines never overwrite each
other's record). ``<out>/manifest.json`` holds the settings: a folder holding a run of another method,
other parameters, data or weak labels is refused before the first file rather than mixed.
"""
from __future__ import annotations

import json
import time
from functools import partial
from pathlib import Path

import numpy as np

from scribblegap.annotators.local import check_params, label_map, method_defaults, predict_local
from scribblegap.core.errors import ConfigError, DataError
from scribblegap.core.folders import claimed_folder
from scribblegap.core.io import write_json, write_label_png
from scribblegap.core.parallel import map_images, parse_shard, shard as shard_items
from scribblegap.data.base import data_settings
from scribblegap.data.store import save_probs, stored_path
from scribblegap.scribbles.sources import weak_settings


def run_file(out_dir, shard: str | None = None) -> Path:
    if not shard:
        return Path(out_dir) / "run.json"
    k, n = parse_shard(shard)
    return Path(out_dir) / f"run.shard-{k}-of-{n}.json"


def is_done(out_dir, key: str) -> bool:
    out_dir = Path(out_dir)
    return (out_dir / f"{key}.png").is_file() and stored_path(out_dir, key).is_file()


def _process(key: str, ds, weak_labels, method: str, out_dir: Path, params: dict) -> dict:
    image = ds.image(key)
    weak = weak_labels(ds, key)
    start = time.perf_counter()
    probs = predict_local(method, image, weak, ds.labels, **params)
    seconds = time.perf_counter() - start
    nbytes = save_probs(stored_path(out_dir, key), probs, ds.labels)
    write_label_png(out_dir / f"{key}.png", label_map(probs, ds.labels), ds.palette)
    present = np.unique(ds.labels.to_index(weak))
    return {"id": key, "seconds": round(seconds, 4), "bytes": int(nbytes),
            "weak_classes": int((present != 255).sum())}


def _load_record(path: Path, method: str, params: dict) -> dict:
    """The per-image entries of an earlier run's record. The manifest has checked the settings; the
    record's own method and parameters are checked too, for folders made before there were manifests."""
    if not path.is_file():
        return {}
    try:
        record = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(path, f"run record does not parse ({exc}); delete it to start over") from None
    images = record.get("images", {}) if isinstance(record, dict) else None
    if not isinstance(images, dict):
        raise DataError(path, "run record has no 'images' table; delete it to start over")
    if record.get("method") != method or record.get("params") != params:
        raise ConfigError(f"{path.parent} holds a run of {record.get('method')!r} with other parameters "
                          f"({path.name}); use another output folder or delete this one")
    return images


def run_settings(ds, weak_labels, method: str, full_params: dict) -> dict:
    """What decides a local annotator's outputs: the manifest of its folder."""
    return {"method": method, "params": full_params, "labels": weak_settings(weak_labels), **data_settings(ds)}


def _mean(values):
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def run_local(ds, weak_labels, method: str, out_dir, workers: int = 1, shard: str | None = None,
              progress: bool = True, overwrite: bool = False, **params) -> dict:
    """Predict every image of ``ds`` (or of its shard ``"K/N"``) with ``method`` and write the results.

    ``weak_labels``: a :class:`scribblegap.scribbles.WeakLabels`. Returns the run record (also written
    as ``run.json``): method, params, data, counts (``images``, ``computed`` now, ``skipped`` as already
    done, ``no_labels``, ``one_class``), ``seconds_per_image`` (mean model time, without file I/O) and
    ``bytes_per_image`` (mean probability-store size) over every image of the record. The folder's
    ``manifest.json`` (method, parameters, data, weak labels) is checked before the first file:
    another method or other settings are refused (``overwrite`` replaces the folder's contents).
    A run that stops on an error records only the images it finished (no record when none).
    """

    check_params(method, params)
    if workers < 1:
        raise ConfigError(f"workers must be >= 1, got {workers}")
    # JSON round trip so that tuples and numpy scalars compare equal to what a previous run stored
    full_params = json.loads(json.dumps({**method_defaults(method), **params}, default=float))
    keys = shard_items(list(ds.ids), shard)
    out_dir = Path(out_dir)
    record_path = run_file(out_dir, shard)
    with claimed_folder(out_dir, run_settings(ds, weak_labels, method, full_params), "local annotator output",
                        overwrite, shard, writer="local"):
        return _run(ds, weak_labels, method, out_dir, keys, record_path, full_params, params, workers, shard,
                    progress)


def _run(ds, weak_labels, method, out_dir, keys, record_path, full_params, params, workers, shard, progress):
    images = _load_record(record_path, method, full_params)
    todo = [k for k in keys if not is_done(out_dir, k)]
    for k in set(keys) - set(todo) - set(images):
        # finished by a run interrupted before it recorded them: the size is known, the time is not
        images[k] = {"seconds": None, "bytes": stored_path(out_dir, k).stat().st_size, "weak_classes": None}
    fn = partial(_process, ds=ds, weak_labels=weak_labels, method=method, out_dir=out_dir, params=params)
    started = time.perf_counter()

    def record(final: bool) -> dict:
        done = [images[k] for k in keys if k in images]
        rec = {
            "method": method, "params": full_params, "data": str(getattr(ds, "root", ds.name)),
            "split": ds.split, "classes": list(ds.labels.keep), "labels": str(weak_labels.spec),
            "shard": shard, "complete": final and all(is_done(out_dir, k) for k in keys),
            "counts": {"images": len(keys), "computed": computed, "skipped": len(keys) - len(todo),
                       "no_labels": sum(r["weak_classes"] == 0 for r in done),
                       "one_class": sum(r["weak_classes"] == 1 for r in done)},
            "seconds_per_image": _mean(r["seconds"] for r in done),
            "bytes_per_image": _mean(r["bytes"] for r in done),
            "wall_seconds": round(time.perf_counter() - started, 2), "workers": workers,
            "images": images,
        }
        write_json(record_path, rec)
        return rec

    computed = 0
    try:
        for result in map_images(fn, todo, workers=workers, desc=f"local {method}", progress=progress):
            images[result.pop("id")] = result
            computed += 1
            if computed % 50 == 0:
                record(False)
    except BaseException:
        if images:  # keep what the finished images cost; a run that finished none leaves no record
            record(False)
        raise
    return record(True)
