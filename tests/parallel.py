"""What each pytest-xdist worker keeps to itself when the suite runs in parallel (`pytest -n 2`, as `.ci/test` does).

The workers (gw0, gw1, ...) run tests at the same moment against one PostgreSQL and one Redis server:

- PostgreSQL: pytest-django gives each worker a test database of its own (its name ends in `_gw0`, `_gw1`, ...,
  DJANGO_TEST_DATABASE included); the server and worker processes that tests start use the test process's database
  (`tests.celery_worker.database_url`).
- Ports: servers, SMTP sinks and throwaway Redis servers listen on a free port each (`tests.live_server.free_port`).
- Redis: a test that flushes a database (a Celery broker, a cache it counts in) must not share it with a test of
  another worker. A worker runs its tests one after another, each flushing first, so each worker has one
  database for the brokers (CELERY_TEST_BROKER_URL's) and one for the cache tests (REDIS_TEST_URL's server):
  in a serial run and in worker gw0 the database CELERY_TEST_BROKER_URL names and database 11; in worker gwN,
  those minus N.
"""

import os
from urllib.parse import urlsplit, urlunsplit

# The cache tests' Redis database in a serial run and in worker gw0 (gwN: CACHE_DB - N).
CACHE_DB = 11
REDIS_DATABASES = 16  # redis-server's default `databases`


def worker_number() -> int:
    """0 in a serial run, N in pytest-xdist's worker gwN."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker[2:]) if worker.startswith("gw") else 0


def worker_count() -> int:
    return int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))


def database_of(url: str) -> int:
    path = urlsplit(url).path.strip("/")
    return int(path) if path else 0


def with_database(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


def redis_test_server() -> str:
    """The Redis server of the cache tests (REDIS_TEST_URL, without a database)."""
    return os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379").rstrip("/")


def check_redis_databases(broker_url: str | None, workers: int) -> None:
    """Refuses a layout where tests of two workers would flush the same database (within a worker they take turns)."""
    caches = [CACHE_DB - n for n in range(workers)]
    brokers = [database_of(broker_url) - n for n in range(workers)] if broker_url else []
    same_server = bool(broker_url) and urlsplit(broker_url).netloc == urlsplit(redis_test_server()).netloc
    shared = same_server and any(b == c for n, b in enumerate(brokers) for m, c in enumerate(caches) if n != m)
    if shared or not all(0 <= db < REDIS_DATABASES for db in caches + brokers):
        raise RuntimeError(
            f"with {workers} test worker(s), the Redis databases of two workers overlap or one falls outside 0-15: "
            f"brokers {brokers}, cache tests {caches} (worker gwN uses the database of CELERY_TEST_BROKER_URL minus "
            f"N, and {CACHE_DB} minus N): give CELERY_TEST_BROKER_URL database {CACHE_DB + workers} to 15, or "
            f"{CACHE_DB} (each worker's brokers and cache tests then take turns on one), or run fewer workers"
        )


def broker_url() -> str | None:
    """This worker's Celery broker for the tests: CELERY_TEST_BROKER_URL, its database minus the worker's number."""
    url = os.environ.get("CELERY_TEST_BROKER_URL")
    if not url:
        return None
    check_redis_databases(url, worker_count())
    return with_database(url, database_of(url) - worker_number())


def cache_url() -> str:
    """This worker's Redis database for the cache tests, on REDIS_TEST_URL's server (default 127.0.0.1:6379)."""
    check_redis_databases(os.environ.get("CELERY_TEST_BROKER_URL"), worker_count())
    return f"{redis_test_server()}/{CACHE_DB - worker_number()}"
