"""Run a function over many images on all cores, with a progress bar, resumable, shardable."""
from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import signal
import sys
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable

import torch
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from scribblegap.core.errors import ConfigError


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def parse_shard(spec: str | None) -> tuple[int, int]:
    """``"K/N"`` -> (K, N): process every N-th item starting at the K-th (0-based). None -> (0, 1)."""
    if not spec:
        return 0, 1
    try:
        k, n = (int(x) for x in spec.split("/"))
    except ValueError:
        raise ConfigError(f"--shard must look like K/N (e.g. 0/4), got {spec!r}") from None
    if not (n >= 1 and 0 <= k < n):
        raise ConfigError(f"--shard {spec}: need 0 <= K < N")
    return k, n


def shard(items: list, spec: str | None) -> list:
    k, n = parse_shard(spec)
    return items[k::n]


def die_with_parent() -> None:
    """Ask Linux to end this process when its parent dies (a killed run leaves no sleeping workers)."""
    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _init_worker(threads: int):
    die_with_parent()
    # one BLAS/torch thread per process: N processes on N cores, not N x N threads. The environment
    # variable alone is too late for a forked child: its BLAS pool was started by the parent's numpy.
    os.environ["OMP_NUM_THREADS"] = str(threads)

    threadpool_limits(threads, user_api="blas")
    torch.set_num_threads(threads)


def _pool_context():
    """``fork`` is fastest, but a forked Jupyter kernel shares its message sockets with the children and
    can lose the end of the cell (nbconvert then waits forever): use ``forkserver`` inside a kernel."""
    methods = mp.get_all_start_methods()
    if "ipykernel" in sys.modules and "forkserver" in methods:
        return mp.get_context("forkserver")
    return mp.get_context("fork") if "fork" in methods else None


def map_images(fn: Callable, items: Iterable, workers: int = 1, desc: str = "images",
               total: int | None = None, progress: bool = True, in_flight: int = 4):
    """Yield ``fn(item)`` for each item, in order, using ``workers`` processes (1 = in this process).

    ``items`` is read lazily: at most ``in_flight`` items per worker are submitted and not yet yielded, so
    a generator that computes each item (an image's probabilities) is never held whole in memory, and
    this process keeps computing items while the workers run ``fn``. ``fn`` must be picklable (a
    module-level function or a functools.partial of one).
    """


    if total is None and hasattr(items, "__len__"):
        total = len(items)
    bar = tqdm(total=total, desc=desc, disable=not progress, dynamic_ncols=True)
    try:
        if workers <= 1:
            # per-image work is small: extra BLAS threads only spin, and next to other jobs on the same
            # cores they slow it down many times (measured: the random walker 0.19 -> 3.1 s per image)
            with threadpool_limits(1, user_api="blas"):
                for item in items:
                    yield fn(item)
                    bar.update()
        else:
            ctx = _pool_context()
            with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                                     initargs=(1,)) as pool:
                pending = deque()
                for item in items:
                    pending.append(pool.submit(fn, item))
                    while len(pending) >= workers * in_flight:
                        yield pending.popleft().result()
                        bar.update()
                while pending:
                    yield pending.popleft().result()
                    bar.update()
    finally:
        bar.close()
