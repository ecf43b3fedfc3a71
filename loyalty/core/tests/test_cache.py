"""The Redis cache backend shares one client per pool and still behaves as Django's."""

import threading

import pytest
import redis

from loyalty.core.cache import RedisCache
from tests.parallel import cache_url

URL = cache_url()  # database 11 of REDIS_TEST_URL's server (11 - N in xdist worker gwN: tests/parallel.py)


@pytest.fixture
def cache():
    try:
        redis.Redis.from_url(URL, socket_connect_timeout=0.5).flushdb()
    except redis.ConnectionError:
        pytest.skip(f"no Redis answering at {URL} (set REDIS_TEST_URL)")
    return RedisCache(URL, {"KEY_PREFIX": "t"})


def test_one_client_serves_every_call_and_thread(cache):
    first = cache._cache.get_client()
    seen = []

    def use():
        cache.set("k", 1)
        seen.append(cache._cache.get_client())

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(client is first for client in seen)


def test_it_reads_writes_and_counts_as_django_s_backend(cache):
    cache.set("a", {"x": 1}, 30)
    assert cache.get("a") == {"x": 1}
    assert cache.add("a", 2) is False
    cache.set("n", 1)
    assert cache.incr("n", 5) == 6
    cache.delete("a")
    assert cache.get("a") is None
