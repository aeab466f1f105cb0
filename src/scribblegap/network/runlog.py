"""A training run's log (``log.jsonl``): one JSON line per logged step and per validation."""
from __future__ import annotations

import json
from pathlib import Path


def read_log(run, max_step: int | None = None) -> list[dict]:
    """The entries of a run's ``log.jsonl`` (up to ``max_step``: a resumed run drops what came after its
    checkpoint); a torn last line after a kill ends the log."""
    path = Path(run)
    path = path / "log.jsonl" if path.is_dir() or not path.suffix else path
    if not path.is_file():
        return []
    entries = []
    for line in path.read_text().splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            break
        if max_step is None or entry.get("step", 0) <= max_step:
            entries.append(entry)
    return entries


def curve(run) -> list[dict]:
    """The validation entries of a run's log: [{step, train_seconds, val_miou, ...}, ...]."""
    return [e for e in read_log(run) if "val_miou" in e]
