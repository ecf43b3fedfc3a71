"""Each API client's request budget, and the RateLimit-* headers that tell it.

Fixed windows: a client may make `limit` requests per window (API_RATE_LIMIT, default 6000/min); one atomic
counter per client and window in the cache, so a request costs one increment whatever the budget. The budget
is as shared as the cache: per process with the local-memory cache, across every process and host with Redis.
"""

import math
import time
from dataclasses import dataclass
from typing import Any, ClassVar

from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from loyalty.api.authentication import ApiCaller

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


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
    """`6000/min` -> (6000, 60): requests per window of that many seconds."""
    count, period = rate.split("/")
    return int(count), PERIODS[period.strip()[0]]


class ClientRateThrottle(BaseThrottle):
    """Counts the request against its API client's budget; the view answers the budget in headers."""

    scope = "client"
    THROTTLE_RATES: ClassVar[dict[str, Any]] = api_settings.DEFAULT_THROTTLE_RATES

    def __init__(self) -> None:
        self.limit, self.window = parse_rate(self.THROTTLE_RATES[self.scope])
        self.budget: Budget | None = None

    def allow_request(self, request: Any, view: Any) -> bool:
        caller = request.user
        if not isinstance(caller, ApiCaller):
            return True  # not authenticated: the view answers 401
        allowed, self.budget = spend(caller.client.pk, self.limit, self.window)
        request.rate_budget = self.budget
        return allowed

    def wait(self) -> float | None:
        return self.budget.reset if self.budget else None


def spend(client_id: int, limit: int, window: int) -> tuple[bool, Budget]:
    """Counts one request in the client's current window: (within the budget, the budget left)."""
    now = time.time()
    index = int(now // window)
    key = f"ratelimit:{client_id}:{window}:{index}"
    # add() is a no-op when the counter exists; incr() is atomic in Redis.
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, timeout=window + 1)
        count = 1
    reset = max(1, math.ceil((index + 1) * window - now))
    return count <= limit, Budget(limit=limit, remaining=max(0, limit - count), reset=reset)
