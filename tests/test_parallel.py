"""Per-image stages run one BLAS thread per process: more only spin next to other jobs (many times slower)."""
import pytest

from scribblegap.parallel import map_images, parse_shard, shard
from scribblegap.errors import ConfigError


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
