"""One middleware around every request: its metrics and its log line.

It sits right after the request id middleware, so it times everything else (static files, errors turned into
answers) and its line carries the request id. The line is logged by `loyalty.request`:
`POST earn 201 14.2 ms, 13 queries` in text, and in JSON with the fields `method`, `route` (the URL pattern's
name, e.g. `earn`, `shop:home`, `admin:index`; `static` for static files; `unmatched` when no pattern matched),
`status`, `duration_ms`, `db_queries`, `db_duration_ms`, beside the `program`, `client_id` and `member_id` the
request learnt (see `loyalty.core.logging.bind_log_context`). Successful probes and scrapes (`healthz`,
`readyz`, `metrics`) are logged at DEBUG, so that they do not drown the rest.
"""

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from django.conf import settings
from django.core.signals import request_finished
from django.db import connections
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from loyalty.core.logging import clear_log_context
from loyalty.ops import metrics

logger = logging.getLogger("loyalty.request")

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
QUIET_ROUTES = frozenset({"healthz", "readyz", "metrics"})


class QueryTally:
    """Counts and times the database queries of every connection of this thread while watching."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            self.seconds += time.perf_counter() - started

    @contextmanager
    def watching(self) -> Iterator["QueryTally"]:
        with ExitStack() as stack:
            for connection in connections.all():
                stack.enter_context(connection.execute_wrapper(self))
            yield self


def route_of(request: HttpRequest) -> str:
    """The URL pattern's name, never the raw path (so that the number of label values stays bounded)."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or match.route or "unnamed"
    static = "/" + settings.STATIC_URL.lstrip("/")
    return "static" if request.path.startswith(static) else "unmatched"


class RequestObservationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Nothing known of the caller yet (a thread serves one request after another).
        clear_log_context()
        tally = QueryTally()
        metrics.IN_PROGRESS.inc()
        started = time.perf_counter()
        try:
            with tally.watching():
                response = self.get_response(request)
        finally:
            metrics.IN_PROGRESS.dec()
        seconds = time.perf_counter() - started
        route = route_of(request)
        method = request.method if request.method in METHODS else "other"
        status = response.status_code
        metrics.observe_request(
            route=route,
            method=method,
            status=status,
            seconds=seconds,
            db_queries=tally.count,
            db_seconds=tally.seconds,
        )
        level = logging.DEBUG if route in QUIET_ROUTES and status < 400 else logging.INFO
        logger.log(
            level,
            "%s %s %s %.1f ms, %s queries",
            method,
            route,
            status,
            seconds * 1000,
            tally.count,
            extra={
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 1),
                "db_queries": tally.count,
                "db_duration_ms": round(tally.seconds * 1000, 1),
            },
        )
        return response


@receiver(request_finished)
def _forget_log_context(**_: Any) -> None:
    # After Django's own line of an error answer (written once the middleware has returned).
    clear_log_context()
