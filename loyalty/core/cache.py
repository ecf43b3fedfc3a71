"""Django's Redis cache, with one client object per connection pool instead of one per call.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` around the pool on every cache call, and the
constructor copies the library's table of ~170 response callbacks each time: about 0.15 ms a call, two or three
calls a request (token grant, rate limit). A client is safe to share between threads (each command takes a
connection from the pool), so it is built once per pool.
"""

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _SharedClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        base: Any = self  # the stubs leave out the private helpers of RedisCacheClient
        index = base._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = base._client(connection_pool=base._get_connection_pool(write))
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _SharedClient


_T = TypeVar("_T")


def tolerant(call: Callable[[], _T], default: _T, logger: logging.Logger, message: str) -> _T:
    """`call()`, a cache operation; a cache that does not answer (Redis down) is logged with `message` and gives
    `default`: it costs the caller a query, not the request."""
    try:
        return call()
    except Exception:
        logger.warning(message, exc_info=True)
        return default
