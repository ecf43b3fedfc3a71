"""Request budgets: per API client (with the RateLimit-* headers that tell it), per caller address for requests
without a valid token, and per client_id and per address for failed client authentications at /oauth/*.

Request budgets are fixed windows (failed authentications slide, below): a caller may make `limit` requests per
window (API_RATE_LIMIT, default 6000/min); one counter per caller and window in Django's cache, so a request costs
one atomic increment whatever the budget. The
budgets are as shared as the cache: per process with the local-memory cache (the SQLite demo), across every
process and host with Redis (REDIS_URL), where the increment is a single round trip (`SET NX EX` then `INCR`
in one MULTI/EXEC) and the count therefore exact whichever server the request reached.

A cache that does not answer never refuses a request: the budget is not counted (no RateLimit-* headers) and
the failure is logged. Credentials are still checked; only the limits are lost while the cache is down.
"""

import hashlib
import ipaddress
import logging
import math
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest
from redis.exceptions import RedisError
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from loyalty.api.authentication import ApiCaller

logger = logging.getLogger("loyalty.api")

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# What a cache that does not answer raises (redis-py's errors; sockets).
CACHE_ERRORS = (RedisError, OSError)


@dataclass(frozen=True)
class Budget:
    limit: int
    remaining: int
    reset: int  # seconds until the window ends and the budget is whole again

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
        }


def parse_rate(rate: str) -> tuple[int, int]:
    """`6000/min` -> (6000, 60): requests per window of that many seconds (`s`, `min`, `h`, `d`)."""
    count, period = rate.split("/")
    return int(count), PERIODS[period.strip()[0]]


# --- counters ----------------------------------------------------------------------------------------------------


def _window(window: int) -> tuple[int, int]:
    """(index of the current fixed window, whole seconds until it ends, at least 1)."""
    now = time.time()
    index = int(now // window)
    return index, max(1, math.ceil((index + 1) * window - now))


def _incr(key: str, ttl: int) -> int:
    """Adds one to the counter `key` (created at 0, expiring after `ttl` seconds) and returns the new count."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        # One round trip, atomic: the counter exists with its expiry before INCR counts. Django's own
        # add() + incr() would take three (incr() checks EXISTS first). The value stays readable by
        # cache.get(): Django's Redis serializer stores integers as plain numbers.
        full_key = cache.make_and_validate_key(key)
        client = cache._cache.get_client(full_key, write=True)
        pipeline = client.pipeline(transaction=True)
        pipeline.set(full_key, 0, ex=ttl, nx=True)
        pipeline.incr(full_key)
        return int(pipeline.execute()[1])
    cache.add(key, 0, timeout=ttl)
    try:
        return cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, timeout=ttl)
        return 1


def hit(name: str, window: int) -> tuple[int, int]:
    """Counts one event for `name` in the current window: (events so far in it, seconds until it ends)."""
    index, reset = _window(window)
    return _incr(f"ratelimit:{name}:{window}:{index}", window + 1), reset


# --- who is calling ----------------------------------------------------------------------------------------------


def caller_address(request: HttpRequest | Any) -> str:
    """The caller's address for per-address budgets.

    REMOTE_ADDR, or, behind NUM_PROXIES trusted reverse proxies, the address the outermost of them saw (from
    X-Forwarded-For, as DRF reads it). An IPv6 caller counts by its /64: one host usually holds a whole /64.
    """
    ident = BaseThrottle().get_ident(cast(Any, request)) or ""  # reads only request.META and headers
    try:
        address = ipaddress.ip_address(ident.strip())
    except ValueError:  # not an address (a proxy header gone wrong): counted as what it says
        return f"other-{_name_hash(ident)}"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


def _name_hash(value: str) -> str:
    """A fixed-length cache-key part for a string the caller chose (a client_id may be anything)."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


# --- the API's budgets -------------------------------------------------------------------------------------------


def client_budget_name(caller: ApiCaller) -> str:
    return f"client:{caller.client.pk}"


def count_client_request(caller: ApiCaller) -> Budget:
    """Counts one request against the caller's budget and returns what is left of it: for the answers that no view
    gave (a path that matches no route, a body over the size limit), which still carry the budget. Raises
    CACHE_ERRORS when the cache does not answer."""
    limit, window = parse_rate(ClientRateThrottle.THROTTLE_RATES[ClientRateThrottle.scope])
    count, reset = hit(client_budget_name(caller), window)
    return Budget(limit=limit, remaining=max(0, limit - count), reset=reset)


class ClientRateThrottle(BaseThrottle):
    """Counts the request against its API client's budget (the view answers it in RateLimit-* headers), or,
    without a valid token, against its caller address's budget (API_ANON_RATE_LIMIT, not announced)."""

    scope = "client"
    anon_scope = "anon"
    THROTTLE_RATES: ClassVar[dict[str, Any]] = api_settings.DEFAULT_THROTTLE_RATES

    def __init__(self) -> None:
        self.wait_seconds: int | None = None

    def allow_request(self, request: Any, view: Any) -> bool:
        caller = request.user
        if isinstance(caller, ApiCaller):
            limit, window = parse_rate(self.THROTTLE_RATES[self.scope])
            name = client_budget_name(caller)
        elif getattr(caller, "is_authenticated", False):
            return True  # a member of the webshop (/api/v1/me): not a partner's budget
        else:
            rate = self.THROTTLE_RATES.get(self.anon_scope)
            if not rate:
                return True  # no budget per address configured
            limit, window = parse_rate(rate)
            name = f"anon:{caller_address(request)}"
        try:
            count, reset = hit(name, window)
        except CACHE_ERRORS:  # serve without counting rather than fail every request
            logger.warning("Rate limit not counted: the cache does not answer", exc_info=True)
            return True
        self.wait_seconds = reset
        if isinstance(caller, ApiCaller):
            # Announced to the client in RateLimit-* headers (ProgramAPIView.finalize_response).
            request.rate_budget = Budget(limit=limit, remaining=max(0, limit - count), reset=reset)
        return count <= limit

    def wait(self) -> float | None:
        return self.wait_seconds


# --- failed client authentications at /oauth/* ---------------------------------------------------------------------
# A sliding window ("past 10 failures in a minute", API.md): each name keeps the times of its recent failures, so
# failures on both sides of a minute's boundary still count together. With Redis, one sorted set per name (its
# members are the failures, scored by time); in local memory, a list of times under the process's lock.

_failures_lock = threading.Lock()


def _failure_key(cache: Any, name: str) -> str:
    return cache.make_and_validate_key(f"failures:{name}")


def _failure_times(names: list[str], window: int, now: float) -> dict[str, list[float]]:
    """Each name's failure times within the last `window` seconds, oldest first (one round trip with Redis)."""
    cache = caches["default"]
    since = now - window
    if isinstance(cache, RedisCache):
        keys = [_failure_key(cache, name) for name in names]
        pipeline = cache._cache.get_client(keys[0]).pipeline(transaction=False)
        for key in keys:
            pipeline.zrangebyscore(key, f"({since}", "+inf", withscores=True)
        found = pipeline.execute()
        return {name: [score for _member, score in rows] for name, rows in zip(names, found, strict=True)}
    with _failures_lock:
        stored = cache.get_many([f"failures:{name}" for name in names])
    return {name: [t for t in stored.get(f"failures:{name}", []) if t > since] for name in names}


def _add_failure(names: list[str], window: int, now: float) -> None:
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        keys = [_failure_key(cache, name) for name in names]
        pipeline = cache._cache.get_client(keys[0], write=True).pipeline(transaction=True)
        member = f"{now:.6f}:{uuid.uuid4().hex}"  # distinct even for two failures at the same instant
        for key in keys:
            pipeline.zadd(key, {member: now})
            pipeline.zremrangebyscore(key, "-inf", now - window)
            pipeline.expire(key, window + 1)
        pipeline.execute()
        return
    with _failures_lock:
        for name in names:
            key = f"failures:{name}"
            kept = [t for t in cache.get(key, []) if t > now - window]
            cache.set(key, [*kept, now], timeout=window + 1)


@dataclass(frozen=True)
class AuthFailureLimit:
    """Failed client authentications allowed in any `window` seconds, per client_id and per caller address."""

    limit: int
    window: int

    @classmethod
    def from_settings(cls) -> "AuthFailureLimit":
        return cls(*parse_rate(settings.OAUTH_CLIENT_AUTH_FAILURE_LIMIT))

    @staticmethod
    def names(client_ids: Iterable[str], address: str) -> list[str]:
        return [f"oauth-failures:address:{address}"] + [
            f"oauth-failures:client:{_name_hash(client_id)}" for client_id in dict.fromkeys(client_ids) if client_id
        ]

    def retry_after(self, client_ids: Iterable[str], address: str) -> int | None:
        """When the address or one of the client_ids has `limit` failures within the last `window` seconds: the
        seconds until enough of them are older than that for one more attempt; else None. Read before the
        credentials are checked: past the limit, even the right secret is refused."""
        now = time.time()
        try:
            found = _failure_times(self.names(client_ids, address), self.window, now)
        except CACHE_ERRORS:
            logger.warning("Failed authentications not checked: the cache does not answer", exc_info=True)
            return None
        waits = [
            times[len(times) - self.limit] + self.window - now for times in found.values() if len(times) >= self.limit
        ]
        return max(1, math.ceil(max(waits))) if waits else None

    def record_failure(self, client_ids: Iterable[str], address: str) -> None:
        try:
            _add_failure(self.names(client_ids, address), self.window, time.time())
        except CACHE_ERRORS:
            logger.warning("Failed authentication not counted: the cache does not answer", exc_info=True)
