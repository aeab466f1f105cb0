"""What produced a number: git commit, versions, machine. Stored beside every result."""
from __future__ import annotations

import os
import platform
import subprocess
import time

import torch

from scribblegap.core.settings import REPO_ROOT


CODE = ("src",)  # the package makes the numbers; notebooks, docs and the build files do not


def git_commit() -> str | None:
    """HEAD of the checkout (suffixed ``-dirty`` when tracked code differs from it), or None outside git."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", *CODE], cwd=REPO_ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def describe() -> dict:
    return {"commit": git_commit(), "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "torch": torch.__version__, "python": platform.python_version(),
            "threads": torch.get_num_threads(),  # CPU numbers depend on it: it sets the order of float sums
            "machine": f"{platform.machine()}, {os.cpu_count()} cpus"
                       + (f", {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ", no GPU")}
