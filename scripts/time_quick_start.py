"""Benchmark: the README's two commands, timed as a new user meets them. Clones the repository's HEAD into a
temporary folder with the shared data beside it (``../shared``, as CI has it), runs ``make run`` and then
``bash .ci/run`` (a second setup that finds ``.venv`` made, then ``make test``), and records each wall
time in ``results/quick_start.json``, which the README's quick start shows.

    python scripts/time_quick_start.py            # both commands (about half an hour on 2 cores)
    python scripts/time_quick_start.py --only test-fast   # kept beside the others in the same file
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scribblegap.core.io import write_json
from scribblegap.core.provenance import git_commit
from scribblegap.core.settings import REPO_ROOT, voc12_mini_dir

COMMANDS = {"run": (["make", "run"], "set up from nothing, then the main job"),
            "test": (["bash", ".ci/run"], "what CI runs: make test, .venv already there"),
            "test-fast": (["make", "test-fast"], "the unit tests alone, after the setup")}
DEFAULT = ("run", "test")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", choices=sorted(COMMANDS), nargs="+", default=list(DEFAULT))
    args = p.parse_args(argv)
    shared = voc12_mini_dir().parent.parent   # the folder that holds data/voc12-mini
    out = REPO_ROOT / "results" / "quick_start.json"
    record = {"machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cpus", "commands": []}
    earlier = json.loads(out.read_text())["commands"] if out.is_file() else []
    commit, date = git_commit(), datetime.date.today().isoformat()
    with tempfile.TemporaryDirectory(prefix="scribblegap-quick-start-") as tmp:
        clone = Path(tmp) / "scribblegap"
        subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(clone)], check=True)
        (Path(tmp) / "shared").symlink_to(shared)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCRIBBLEGAP_")}
        env["SCRIBBLEGAP_CACHE"] = str(Path(tmp) / "cache")   # nothing cached from earlier runs
        if "test-fast" in args.only and "run" not in args.only:
            subprocess.run(["make", "setup"], cwd=clone, env=env, check=True)  # timed: the tests, not the install
        for name in args.only:
            command, what = COMMANDS[name]
            print(f"$ {' '.join(command)}", flush=True)
            start = time.perf_counter()
            rc = subprocess.call(command, cwd=clone, env=env)
            seconds = time.perf_counter() - start
            print(f"{' '.join(command)}: exit {rc}, {seconds:.0f} s", flush=True)
            if rc != 0:
                return rc
            record["commands"].append({"command": " ".join(command).replace("bash .ci/run", "make test"),
                                       "what": what, "seconds": round(seconds, 1), "commit": commit, "date": date})
    timed = {c["command"] for c in record["commands"]}
    record["commands"] = [c for c in earlier if c["command"] not in timed] + record["commands"]
    write_json(out, record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
