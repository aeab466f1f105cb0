"""The notebooks' two copies: check that they agree, execute them and store their outputs.

Every notebook is a jupytext pair (see jupytext.toml): ``notebooks/NN_name.py`` (py:percent, the copy to
read, diff and review) and ``notebooks/NN_name.ipynb`` (the same cells plus their outputs, for GitHub,
nbviewer and JupyterLab). JupyterLab with jupytext keeps the pair in sync on save; from a shell,
``jupytext --sync notebooks/NN_name.py`` after editing either copy.

    scribblegap notebooks check             # every pair has the same cells (what tests/test_notebooks.py asserts)
    scribblegap notebooks execute           # full mode: outputs stored in each .ipynb (make notebooks)
    scribblegap notebooks execute --smoke   # CI mode (CI=1), outputs not stored (make notebooks-smoke)
    scribblegap notebooks execute --smoke 01 05   # only the notebooks whose names start with 01 or 05

Executing syncs each pair first (the newer copy wins), runs the notebook in notebooks/ with the current
interpreter's kernel, drops the ipywidgets state (``metadata.widgets``: the widgets are rebuilt when the
notebook is run, and their state can be megabytes) and the cells' execution timestamps, then prints the
notebook's wall time and size. It fails when a notebook raises or, in full mode, is larger than ``--max-mb``
(2 MB); such a notebook's outputs are not stored.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from queue import Empty
from time import monotonic

import jupytext
import nbformat
from jupyter_core.utils import ensure_async
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from scribblegap.core.errors import ConfigError
from scribblegap.core.settings import REPO_ROOT

ROOT = REPO_ROOT
NOTEBOOKS = ROOT / "notebooks"


def pairs(names=()) -> list[Path]:
    """The .py copies of the notebooks, in order; ``names`` keeps those whose file name starts with one of them."""
    found = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
    return [p for p in found if not names or any(p.name.startswith(n) for n in names)]


def _normalised(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def first_difference(py: Path) -> str | None:
    """None when ``py`` and its .ipynb have the same cells (type and source, whitespace-normalised, in order);
    otherwise a sentence naming the notebook and the first cell that differs."""
    ipynb = py.with_suffix(".ipynb")
    fix = f"run `jupytext --sync notebooks/{py.name}` (the newer copy wins) or edit the stale copy"
    if not ipynb.is_file():
        return f"{py.name} has no paired notebook {ipynb.name}; {fix}"
    text, nb = jupytext.read(py).cells, jupytext.read(ipynb).cells
    for i, (a, b) in enumerate(zip(text, nb)):
        if a.cell_type != b.cell_type or _normalised(a.source) != _normalised(b.source):
            first = (_normalised(a.source).splitlines() or [""])[0][:70]
            return (f"{py.stem}: cell {i + 1} differs between {py.name} ({a.cell_type}) and {ipynb.name} "
                    f"({b.cell_type}); it starts {first!r} in the .py. The pair is out of sync: {fix}")
    if len(text) != len(nb):
        return (f"{py.stem}: {py.name} has {len(text)} cells and {ipynb.name} {len(nb)}; the pair is out of "
                f"sync: {fix}")
    return None


def unpaired() -> list[str]:
    """Notebooks without a .py copy."""
    return [f"{nb.name} has no paired {nb.stem}.py; run `jupytext --set-formats ipynb,py:percent notebooks/{nb.name}`"
            for nb in sorted(NOTEBOOKS.glob("*.ipynb")) if not nb.with_suffix(".py").is_file()]


def check() -> int:
    problems = unpaired() + [d for d in map(first_difference, pairs()) if d]
    for problem in problems:
        print(problem)
    print(f"{len(pairs())} notebook pairs, {len(problems)} out of sync")
    return 1 if problems else 0


def sync(py: Path) -> None:
    subprocess.run([sys.executable, "-m", "jupytext", "--sync", "--quiet", str(py)], check=True, cwd=ROOT)


def strip(nb) -> None:
    """Drop what makes an executed notebook large or noisy without being readable output."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
        if cell.cell_type == "code":  # a cell ending in viz.show(...) echoes the saved figure's (machine) path
            cell.outputs = [o for o in cell.outputs if not _path_echo(o)]


def _path_echo(output) -> bool:
    text = output.get("data", {}).get("text/plain", "") if output.get("output_type") == "execute_result" else ""
    return isinstance(text, str) and re.fullmatch(r"(Posix|Windows)?Path\('[^']*'\)", text.strip()) is not None


def _short_polls(client_class):
    """``client_class`` whose kernel client waits for a cell's reply in polls of one second. A single poll
    of the whole cell timeout can miss a reply that arrives while widget messages are handled, and then
    returns only when the timeout ends (jupyter/nbclient#312): the inspector cells waited out the timeout."""
    class ShortPolls(client_class):
        async def async_start_new_kernel_client(self):
            kc = await super().async_start_new_kernel_client()
            wait_once = kc.shell_channel.get_msg

            async def get_msg(timeout=None):
                deadline = None if timeout is None else monotonic() + timeout
                while True:
                    left = 1.0 if deadline is None else min(1.0, max(0.0, deadline - monotonic()))
                    try:
                        return await ensure_async(wait_once(timeout=left))
                    except Empty:
                        if deadline is not None and monotonic() >= deadline:
                            raise

            kc.shell_channel.get_msg = get_msg
            return kc

    return ShortPolls


def execute(py: Path, smoke: bool, timeout: int, max_bytes: int) -> tuple[bool, str]:
    sync(py)
    ipynb = py.with_suffix(".ipynb")
    nb = nbformat.read(ipynb, as_version=4)
    code_cells = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    started = {}

    def cell_done(cell, cell_index, **_):  # one line per code cell: where a long run is, and what took the time
        n = code_cells.index(cell_index) + 1 if cell_index in code_cells else "?"
        print(f"    cell {n}/{len(code_cells)}: {time.perf_counter() - started.get(cell_index, start):6.1f} s",
              flush=True)

    client = _short_polls(NotebookClient)(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}},
                            on_cell_start=lambda cell, cell_index, **_: started.__setitem__(cell_index, time.perf_counter()),
                            on_cell_executed=cell_done)
    start = time.perf_counter()
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
        lines = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).strip().splitlines()  # without the colour codes
        return False, f"{ipynb.name}: FAILED after {time.perf_counter() - start:.0f} s: {lines[-1] if lines else error}"
    wall = time.perf_counter() - start
    strip(nb)
    size = len(nbformat.writes(nb).encode())
    line = f"{ipynb.name}: {wall:7.1f} s, {size / 1e6:6.2f} MB"
    too_large = f"over the {max_bytes / 1e6:.1f} MB limit" if size > max_bytes else ""
    if smoke:  # CI-mode outputs are not what is committed: their size is only a hint
        return True, f"{line} (CI mode, not stored{'; warning: ' + too_large if too_large else ''})"
    if too_large:
        return False, f"{line}: NOT STORED, {too_large} (smaller figures: lower dpi, fewer panels)"
    nbformat.write(nb, ipynb)
    os.utime(py)  # the .py is unchanged; as new as the .ipynb, so jupytext sees the pair in sync
    return True, f"{line} (stored)"


def execute_all(names=(), smoke: bool = False, timeout: int = 4 * 3600, max_mb: float = 2.0) -> bool:
    """Execute the notebooks whose names start with ``names`` (all by default), one line each."""
    if smoke:
        os.environ["CI"] = "1"  # the kernels inherit it: each notebook's first cell sets SMOKE = "CI" in os.environ
    else:
        os.environ.pop("CI", None)
    selected = pairs(names)
    if not selected:
        raise ConfigError(f"no notebook in {NOTEBOOKS} starts with {' or '.join(names)}")
    mode = "CI mode (CI=1), outputs not stored" if smoke else "full mode, outputs stored"
    print(f"executing {len(selected)} notebooks, {mode}", flush=True)
    ok, start = True, time.perf_counter()
    for py in selected:
        print(f"  {py.stem} ...", flush=True)
        good, line = execute(py, smoke, timeout, int(max_mb * 1e6))
        ok &= good
        print(f"  {line}", flush=True)
    print(f"{'all notebooks ran' if ok else 'FAILED'}; total {time.perf_counter() - start:.0f} s", flush=True)
    return ok
