"""Shared pytest fixtures: programs, API clients with tokens, an API caller, servers, workers and a browser."""

import json
from collections import Counter

import pytest
from django.test import Client

from programs.services import api_client_create
from tests.factories import MemberFactory, ProgramFactory

ALL_SCOPES = (
    "program:read members:read members:write points:read points:write redeem segments:write catalog:read webhooks:write"
)


class ApiClient:
    """A partner: sends JSON with its bearer token and returns (status, body)."""

    def __init__(self, token: str | None):
        self.http = Client()
        self.token = token

    def _headers(self, extra):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}
        headers.update(extra)
        return headers

    def call(self, method: str, path: str, body=None, raw: bytes | str | None = None, **extra):
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if data is None and method in ("POST", "PUT", "PATCH"):
            data = ""  # a write without a body, as `curl -X POST` sends it
        kwargs = {"content_type": extra.pop("content_type", "application/json")} if data is not None else {}
        func = getattr(self.http, method.lower())
        if data is not None:
            response = func(path, data=data, **kwargs, **self._headers(extra))
        else:
            response = func(path, **self._headers(extra))
        return response

    def get(self, path, **extra):
        return self.call("GET", path, **extra)

    def post(self, path, body=None, **extra):
        return self.call("POST", path, body, **extra)

    def patch(self, path, body=None, **extra):
        return self.call("PATCH", path, body, **extra)

    def put(self, path, body=None, **extra):
        return self.call("PUT", path, body, **extra)

    def delete(self, path, **extra):
        return self.call("DELETE", path, **extra)


def issue_token(program, scopes: str = ALL_SCOPES, requested: str | None = None) -> str:
    client, secret = api_client_create(program=program, name="test client", scopes=scopes)
    data = {"grant_type": "client_credentials", "client_id": client.application.client_id, "client_secret": secret}
    if requested is not None:
        data["scope"] = requested
    response = Client().post("/oauth/token/", data=data)
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def pytest_collection_modifyitems(config, items):
    """Every test has a node id of its own: pytest-xdist schedules and reports tests by node id, and of tests that
    share one it would run a single one, silently.

    Schemathesis names each operation's test `test_x[GET /api/v1/...]`, but under pytest 9 every one of them gets the
    test function's node id (it passes the function's name as `originalname`, and pytest 9 builds the id from that):
    each is given the id its name says, as pytest 8 did.
    """
    for item in items:
        if getattr(item, "operation_label", None) and item.nodeid.rpartition("::")[2] != item.name:
            item._id = item.parent.id.child(item.name)
    duplicates = sorted(nodeid for nodeid, n in Counter(item.nodeid for item in items).items() if n > 1)
    if duplicates:
        raise pytest.UsageError(f"tests sharing a node id (pytest-xdist would run one of each): {duplicates}")


@pytest.fixture
def program(db):
    return ProgramFactory(code="DEMO", name="Demo Rewards")


@pytest.fixture
def other_program(db):
    return ProgramFactory(code="OTHER", name="Other Rewards")


@pytest.fixture
def api(program):
    return ApiClient(issue_token(program))


@pytest.fixture
def other_api(other_program):
    return ApiClient(issue_token(other_program))


@pytest.fixture
def api_for():
    def make(program, scopes: str = ALL_SCOPES) -> ApiClient:
        return ApiClient(issue_token(program, scopes))

    return make


@pytest.fixture
def member(program):
    return MemberFactory(program=program, member_id="M-1")


@pytest.fixture
def celery_broker(transactional_db, tmp_path):
    """Points this test process's Celery app at the real Redis test broker (not eager)."""
    from loyalty.celery import app
    from tests.celery_worker import broker_url, flush_broker

    url = broker_url()
    if not url:
        pytest.skip("set CELERY_TEST_BROKER_URL (e.g. redis://127.0.0.1:6379/15) to run with a real broker")
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a worker process needs the shared PostgreSQL test database")
    flush_broker(url)
    previous = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    app.conf.update(broker_url=url, task_always_eager=False)
    _reset_pool(app)
    yield url
    app.conf.update(**previous)
    _reset_pool(app)


def _reset_pool(app) -> None:
    """Drops the producer pool so that the next publish connects to the broker now configured."""
    from kombu import pools

    # Kombu keeps pools per broker in a global registry: clear it, then do what Celery does after a fork.
    pools.reset()
    app._pool = None
    if "amqp" in app.__dict__:
        app.__dict__["amqp"]._producer_pool = None


@pytest.fixture
def celery_worker(celery_broker, tmp_path):
    """A real worker process consuming from the test broker; stopped after the test."""
    from tests.celery_worker import Worker

    worker = Worker(celery_broker, tmp_path / "worker.log")
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Staff passwords: MD5 first (PBKDF2 would cost a quarter of a second per test user); the project's own
    hashers stay known, so client secrets are hashed as in production (programs.client_secrets)."""
    from django.conf import settings

    previous = settings.PASSWORD_HASHERS
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *previous]
    yield
    settings.PASSWORD_HASHERS = previous


@pytest.fixture(autouse=True, scope="session")
def _local_cache():
    """The test process counts its budgets in the local-memory cache, whatever REDIS_URL says: the tests of the
    shared (Redis) cache point it at a Redis database of their own."""
    from django.test import override_settings

    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}):
        yield


@pytest.fixture(autouse=True)
def _fresh_budgets(_local_cache):
    """Every test starts with whole budgets: the counters per address (127.0.0.1 for every test) and per
    client_id would otherwise carry over from one test to the next within the same minute."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _postgres_marker(request):
    """Tests marked `postgres` need row locks and concurrent transactions: PostgreSQL only."""
    if request.node.get_closest_marker("postgres") is None:
        return
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions need PostgreSQL")


@pytest.fixture
def live_server_gunicorn(transactional_db, tmp_path):
    """`gunicorn loyalty.wsgi` in its own process on a free port, serving the test database (PostgreSQL).

    The test's data must be committed to be seen (transactional tests); stopped after the test.
    """
    from django.db import connection

    from tests.live_server import LiveServer

    if connection.vendor != "postgresql":
        pytest.skip("a server process needs the shared PostgreSQL test database")
    server = LiveServer(tmp_path / "gunicorn.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium (Playwright), launched once per test module; tests open their own context in it.

    While it runs, Django accepts ORM calls from this thread (Playwright's loop runs in it): see tests/browser.py.
    """
    from tests.browser import launched_chromium

    with launched_chromium() as chromium:
        yield chromium


@pytest.fixture(autouse=True)
def _fresh_rule_cache():
    """Each test starts without cached rule sets: on SQLite a rolled-back test's program id comes back, and a
    cache keyed by it would serve the previous test's rules (and rule snapshot ids)."""
    from rewards.rules import clear_cache

    clear_cache()
    yield
    clear_cache()
