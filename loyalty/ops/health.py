"""Liveness and readiness probes, outside /api/v1 and without authentication.

`GET /healthz`: the process answers (no I/O at all): 200 `{"status": "ok"}`.
`GET /readyz`: the process can serve: the database answers, every migration is applied, and the Redis cache and
the Celery broker answer when they are configured. 200 with each check's outcome, else 503 naming the failed
ones. Redis is asked with its own short timeouts, so a Redis that is down or unreachable costs the probe about
a second, never a hang; the error's details go to the log, not to the unauthenticated answer.
"""

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger("loyalty.ops")

TIMEOUT = 1.0


class NotReady(Exception):
    pass


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


_migrations_applied = False


def check_migrations() -> None:
    """Every migration of the code is applied. Once seen so, it stays so for this process's code."""
    global _migrations_applied
    if _migrations_applied:
        return
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise NotReady(f"{len(plan)} migration(s) not applied, first {plan[0][0].app_label}.{plan[0][0].name}")
    _migrations_applied = True


def redis_locations() -> list[str]:
    """The Redis servers of the configured caches (Django's RedisCache and django-redis)."""
    locations: list[str] = []
    for cache in settings.CACHES.values():
        if "redis" not in str(cache.get("BACKEND", "")).lower():
            continue
        location = cache.get("LOCATION", "")
        items = location.split(",") if isinstance(location, str) else list(location)
        locations += [item.strip() for item in items if item.strip()]
    return locations


def ping_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT)
    try:
        client.ping()
    finally:
        client.close()


def check_cache() -> None:
    for location in redis_locations():
        ping_redis(location)


def check_broker() -> None:
    url = settings.CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://", "unix://")):
        ping_redis(url)
        return
    from kombu import Connection

    with Connection(url, connect_timeout=TIMEOUT) as broker:
        broker.ensure_connection(max_retries=1, timeout=int(TIMEOUT))


def checks() -> dict[str, Callable[[], None]]:
    """The checks that apply to this configuration, in order."""
    found: dict[str, Callable[[], None]] = {"database": check_database, "migrations": check_migrations}
    if redis_locations():
        found["cache"] = check_cache
    if settings.CELERY_BROKER_URL:
        found["broker"] = check_broker
    return found


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_safe
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    results: dict[str, dict[str, object]] = {}
    failed: list[str] = []
    for name, check in checks().items():
        if name == "migrations" and "database" in failed:
            results[name] = {"status": "skipped"}
            continue
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # whatever a check raises, the probe answers 503 naming it
            logger.warning("Readiness check %s failed: %s", name, exc, exc_info=not isinstance(exc, NotReady))
            failed.append(name)
            results[name] = {"status": "failed", "error": type(exc).__name__}
        else:
            results[name] = {"status": "ok"}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    if failed:
        response = JsonResponse({"status": "unavailable", "failed": failed, "checks": results}, status=503)
        # Logged above as a warning: not also as Django's error line of a 5xx (nor an error report) per probe.
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response
    return JsonResponse({"status": "ok", "checks": results})
