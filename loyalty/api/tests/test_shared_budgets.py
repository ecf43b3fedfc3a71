"""Budgets in Redis (REDIS_URL): one atomic count per request whatever process or host serves it.

In-process tests point Django's cache at a Redis database, and the live test starts two gunicorn servers (two
processes each) that share one; each test flushes it first. It is this test process's database for the cache tests
(tests/parallel.py: 11, or 11 - N in xdist worker gwN) on REDIS_TEST_URL's server (default redis://127.0.0.1:6379);
without one answering, these tests are skipped.
"""

import threading
import time
from datetime import UTC, datetime

import httpx
import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from conftest import ApiClient, issue_token
from loyalty.api import throttling
from tests.factories import ProgramFactory
from tests.live_server import LiveServer, client_token, live_api_client
from tests.parallel import cache_url

pytestmark = pytest.mark.django_db


def redis_url() -> str:
    import redis

    url = cache_url()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).flushdb()
    except redis.RedisError:
        pytest.skip(f"no Redis answering at {url} (set REDIS_TEST_URL)")
    return url


def redis_cache(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "loyalty.core.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "test",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


@pytest.fixture
def redis_db():
    url = redis_url()
    with override_settings(CACHES=redis_cache(url)):
        yield url


# --- in process, on Redis --------------------------------------------------------------------------------------


def test_failed_authentications_on_redis_count_in_any_minute(redis_db):
    """The failure log on Redis: one sorted set per name, so failures either side of a minute's boundary count."""
    import time_machine

    limit = throttling.AuthFailureLimit(limit=3, window=60)
    with time_machine.travel(datetime(2030, 1, 1, 12, 0, 50, tzinfo=UTC), tick=False) as clock:
        limit.record_failure(["till"], "198.51.100.7")
        limit.record_failure(["till"], "198.51.100.8")
        clock.shift(15)  # 12:01:05
        assert limit.retry_after(["till"], "192.0.2.1") is None
        limit.record_failure(["till"], "198.51.100.9")
        assert limit.retry_after(["till"], "192.0.2.1") == 45  # until 12:01:50, when the first is a minute old
        assert limit.retry_after(["other"], "198.51.100.7") is None  # that address failed once only
        clock.shift(45)
        assert limit.retry_after(["till"], "192.0.2.1") is None


def test_concurrent_counts_on_redis_are_exact_and_expire(redis_db):
    import redis

    counts: list[int] = []
    lock = threading.Lock()

    def work():
        mine = [throttling.hit("client:42", 60)[0] for _ in range(50)]
        with lock:
            counts.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(counts) == list(range(1, 401))  # every increment seen once: none lost, none doubled
    keys = redis.Redis.from_url(redis_db).keys("*ratelimit:client:42:*")
    assert len(keys) == 1
    assert int(redis.Redis.from_url(redis_db).get(keys[0])) == 400  # Django's Redis cache keeps ints as they are
    assert 0 < redis.Redis.from_url(redis_db).ttl(keys[0]) <= 61


def test_the_api_budget_and_the_oauth_failures_on_redis(program, redis_db, monkeypatch):
    monkeypatch.setattr(throttling.ClientRateThrottle, "THROTTLE_RATES", {"client": "3/min", "anon": "5/min"})
    api = ApiClient(issue_token(program))
    remaining = [api.get("/api/v1/program")["RateLimit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    assert api.get("/api/v1/program").status_code == 429

    data = {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"}
    statuses = [Client().post("/oauth/token/", data).status_code for _ in range(11)]
    assert statuses == [401] * 10 + [429]


def test_a_cache_that_does_not_answer_limits_nothing_and_refuses_nothing(program, caplog):
    token = issue_token(program)
    with override_settings(CACHES=redis_cache("redis://127.0.0.1:1/0")):
        response = ApiClient(token).get("/api/v1/program")
        assert response.status_code == 200
        assert "RateLimit-Limit" not in response
        assert ApiClient(None).get("/api/v1/program").status_code == 401
        data = {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"}
        assert Client().post("/oauth/token/", data).status_code == 401
    assert any("does not answer" in r.getMessage() for r in caplog.records)
    cache.clear()


# --- two servers, one Redis ------------------------------------------------------------------------------------


@pytest.fixture
def two_servers(transactional_db, tmp_path):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("server processes need the shared PostgreSQL test database")
    url = redis_url()
    env = {
        "REDIS_URL": url,
        "API_RATE_LIMIT": "20/min",
        "OAUTH_CLIENT_AUTH_FAILURE_LIMIT": "10/min",  # the contract's (LiveServer lifts it for fuzzers)
        # The servers run with DEBUG off, which wants a key of its own; the secrets' HMAC key is the test's.
        "DJANGO_SECRET_KEY": "live-server-test-key-" + "k" * 40,
    }
    servers = [LiveServer(tmp_path / f"gunicorn-{n}.log", extra_env=env) for n in (1, 2)]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()
    for server in servers:
        assert server.logged_errors() == []


def within_one_window(seconds_needed: float = 10) -> None:
    """Waits for the next minute when the current one ends too soon: the counts must fall in one window."""
    left = 60 - time.time() % 60
    if left < seconds_needed:
        time.sleep(left + 0.2)


@pytest.mark.postgres
def test_the_budget_holds_across_two_servers(two_servers):
    first, second = two_servers
    program = ProgramFactory(code="LIVE", name="Live")
    client_id, secret = live_api_client(program)
    token = client_token(first.url, client_id, secret)
    headers = {"Authorization": f"Bearer {token}"}

    within_one_window()
    answers = []
    with httpx.Client(timeout=10) as http:
        for n in range(40):
            server = (first, second)[n % 2]
            answers.append(http.get(f"{server.url}/api/v1/program", headers=headers))

    statuses = [a.status_code for a in answers]
    assert statuses.count(200) == 20 and statuses.count(429) == 20, statuses
    assert statuses == [200] * 20 + [429] * 20
    assert [int(a.headers["RateLimit-Remaining"]) for a in answers[:20]] == list(range(19, -1, -1))
    assert all(a.headers["RateLimit-Limit"] == "20" for a in answers)
    limited = answers[20]
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) == int(limited.headers["RateLimit-Reset"])


@pytest.mark.postgres
def test_failed_authentications_count_across_two_servers(two_servers):
    first, second = two_servers
    program = ProgramFactory(code="LIVE", name="Live")
    client_id, secret = live_api_client(program)

    within_one_window()
    with httpx.Client(timeout=10) as http:
        for n in range(10):
            server = (first, second)[n % 2]
            wrong = http.post(
                f"{server.url}/oauth/token/", data={"grant_type": "client_credentials"}, auth=(client_id, "wrong")
            )
            assert wrong.status_code == 401
        for server in (first, second):
            refused = http.post(
                f"{server.url}/oauth/token/", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
            )
            assert refused.status_code == 429
            assert refused.json()["error"] == "rate_limited"
            assert int(refused.headers["Retry-After"]) >= 1
