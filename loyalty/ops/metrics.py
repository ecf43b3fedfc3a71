"""Prometheus metrics: request figures counted by every process, business figures computed at scrape time.

Under gunicorn the workers are separate processes: with `PROMETHEUS_MULTIPROC_DIR` (set by `gunicorn.conf.py`
when the environment does not) each process writes its counters to files there and a scrape adds up the files
of every worker, dead ones included (their counts happened), so a scrape answered by any worker sees them all.
Without it (`runserver`, tests) the counters live in the process.

`GET /metrics` answers only with `Authorization: Bearer <METRICS_TOKEN>` (401 otherwise); without the setting
the route does not exist (404).
"""

import hmac
import os

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from loyalty.ops.business import BusinessCollector


def _multiprocess_dir() -> str:
    """prometheus-client reads the variable itself, when it is imported; the directory must exist before the
    first metric writes its file."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if path:
        os.makedirs(path, exist_ok=True)
    return path


MULTIPROCESS_DIR = _multiprocess_dir()

REQUESTS = Counter(
    "loyalty_http_requests",
    "HTTP requests answered, by route (URL pattern name), method and status.",
    ["route", "method", "status"],
)
REQUEST_DURATION = Histogram(
    "loyalty_http_request_duration_seconds",
    "Time to answer an HTTP request (middleware, view and database), by route and method.",
    ["route", "method"],
)
IN_PROGRESS = Gauge(
    "loyalty_http_requests_in_progress",
    "HTTP requests being answered now (all workers).",
    multiprocess_mode="livesum",
)
DB_QUERIES = Histogram(
    "loyalty_http_request_db_queries",
    "Database queries made while answering one HTTP request, by route.",
    ["route"],
    buckets=(0, 1, 2, 3, 5, 8, 13, 20, 30, 50, 100, 200, 500),
)
DB_DURATION = Histogram(
    "loyalty_http_request_db_duration_seconds",
    "Time spent in database queries while answering one HTTP request, by route.",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def observe_request(
    *, route: str, method: str, status: int, seconds: float, db_queries: int, db_seconds: float
) -> None:
    REQUESTS.labels(route, method, str(status)).inc()
    REQUEST_DURATION.labels(route, method).observe(seconds)
    DB_QUERIES.labels(route).observe(db_queries)
    DB_DURATION.labels(route).observe(db_seconds)


def exposition() -> bytes:
    """The text a scrape answers: every process's request figures, then the business figures of now."""
    business = CollectorRegistry(auto_describe=False)
    business.register(BusinessCollector())
    if MULTIPROCESS_DIR:
        processes = CollectorRegistry(auto_describe=False)
        MultiProcessCollector(processes, path=MULTIPROCESS_DIR)
        return generate_latest(processes) + generate_latest(business)
    return generate_latest(REGISTRY) + generate_latest(business)


def authorized(request: HttpRequest, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


@require_safe
@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404
    if not authorized(request, token):
        response = HttpResponse("Send Authorization: Bearer <METRICS_TOKEN>.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_PLAIN_0_0_4)
