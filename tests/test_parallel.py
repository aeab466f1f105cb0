"""Per-image stages run one BLAS thread per process: more only spin next to other jobs (many times slower)."""
import pytest

from scribblegap.core.parallel import map_images, parse_shard, shard
from scribblegap.core.errors import ConfigError


def blas_threads(_item) -> int:
    from threadpoolctl import threadpool_info

    return max((p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"), default=1)


@pytest.mark.parametrize("workers", [1, 2])
def test_one_blas_thread_per_image_worker(workers):
    assert list(map_images(blas_threads, range(4), workers=workers, progress=False)) == [1] * 4


def test_the_limit_is_lifted_afterwards():
    from threadpoolctl import threadpool_info

    before = [p["num_threads"] for p in threadpool_info()]
    list(map_images(blas_threads, range(2), workers=1, progress=False))
    assert [p["num_threads"] for p in threadpool_info()] == before


def test_shards_partition_the_items():
    items = list(range(10))
    assert sorted(sum((shard(items, f"{k}/3") for k in range(3)), [])) == items
    assert parse_shard(None) == (0, 1)
    with pytest.raises(ConfigError):
        parse_shard("3/3")


CHILD = """
import os, sys, time
from scribblegap.core.parallel import map_images

def slow(i):
    os.write(1, f"{os.getpid()}\\n".encode())  # one write: print's two (text, newline) can interleave across workers
    time.sleep(60)

if __name__ == "__main__":
    list(map_images(slow, range(2), workers=2, progress=False))
"""


def _alive(pid: int) -> bool:
    import os

    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"  # a zombie has died
    except FileNotFoundError:
        return False
    except OSError:
        return os.path.exists(f"/proc/{pid}")


def test_workers_die_with_a_killed_parent(tmp_path):
    """kill -9 of a command running per-image workers leaves none of them behind."""
    import os
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "child.py"
    script.write_text(CHILD)
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    workers = [int(parent.stdout.readline()) for _ in range(2)]
    assert all(_alive(pid) for pid in workers)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.time() + 10
    while time.time() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers)


def square(i: int) -> int:
    return i * i


@pytest.mark.parametrize("workers", [1, 2])
def test_items_are_read_lazily_and_come_back_in_order(workers):
    """A generator of items (an image's probabilities) is read only a few items ahead of the results."""
    pulled = []

    def items():
        for i in range(40):
            pulled.append(i)
            yield i

    out = []
    for result in map_images(square, items(), workers=workers, progress=False, in_flight=2):
        out.append(result)
        assert len(pulled) - len(out) < max(1, workers * 2)
    assert out == [i * i for i in range(40)]


def test_evaluation_with_the_crf_in_worker_processes_matches_one_process(tmp_path):
    import torch
    from conftest import make_tiny_voc

    from scribblegap.annotators.crf import DenseCRF
    from scribblegap.data import VOCSegmentation
    from scribblegap.network.predict import evaluate_model

    root, _ = make_tiny_voc(tmp_path / "voc", n=6)
    data = VOCSegmentation(root, "train")
    torch.manual_seed(0)
    model = torch.nn.Conv2d(3, data.labels.num_classes, 1)
    one = evaluate_model(model, data, None, crf=DenseCRF(), progress=False, crf_workers=1)
    two = evaluate_model(model, data, None, crf=DenseCRF(), progress=False, crf_workers=2)
    per_image_one, per_image_two = one.pop("per_image"), two.pop("per_image")
    assert one == two and one["crf"]["num_pixels"] == one["num_pixels"] == 6 * 40 * 60 - 6 * 2 * 60
    assert (per_image_one["counts_crf"] == per_image_two["counts_crf"]).all()
    assert per_image_one["counts_crf"].sum() == one["num_pixels"]
