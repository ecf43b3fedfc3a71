"""/healthz and /readyz: no authentication, JSON, quick whatever Redis does."""

import time

import pytest
from django.db import OperationalError, connection
from django.test import Client, override_settings

from loyalty.ops import health

pytestmark = pytest.mark.django_db


def redis_settings(url: str):
    """The cache and the broker on the given Redis (databases 10 and 11), as REDIS_URL and CELERY_BROKER_URL set."""
    return override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": f"{url}/10"}},
        CELERY_BROKER_URL=f"{url}/11",
    )


def test_healthz_answers_without_any_io(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]


def test_probes_need_no_authentication_and_live_outside_the_api(client):
    for path in ("/healthz", "/readyz"):
        response = Client().get(path)
        assert response.status_code == 200, (path, response.content)
        assert "X-Request-Id" in response
    assert client.post("/healthz").status_code == 405
    assert client.get("/api/v1/healthz").status_code == 404


def test_readyz_lists_the_checks_of_the_configuration(client):
    body = client.get("/readyz").json()
    assert body["status"] == "ok"
    # The test settings have no Redis cache and no broker: only what is configured is checked.
    assert set(body["checks"]) == {"database", "migrations"}
    assert all(check["status"] == "ok" for check in body["checks"].values())


def test_readyz_names_a_database_that_does_not_answer(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["database"]
    assert body["checks"]["database"] == {
        "status": "failed",
        "error": "OperationalError",
        "ms": body["checks"]["database"]["ms"],
    }
    assert body["checks"]["migrations"] == {"status": "skipped"}


def test_readyz_names_migrations_not_applied(client, monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", False)
    monkeypatch.setattr(
        "django.db.migrations.executor.MigrationExecutor.migration_plan",
        lambda self, targets: [(self.loader.graph.nodes[("rewards", "0001_initial")], False)],
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["migrations"]


def test_a_failed_probe_is_a_warning_not_an_error(client, monkeypatch, caplog):
    monkeypatch.setattr(connection, "cursor", lambda *a, **k: (_ for _ in ()).throw(OperationalError("down")))
    client.get("/readyz")
    assert [r.levelname for r in caplog.records if r.name == "loyalty.ops"] == ["WARNING"]
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_readiness_follows_a_redis_that_stops_and_comes_back(client, redis_server):
    with redis_settings(redis_server.url):
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.content
        assert {name: c["status"] for name, c in ready.json()["checks"].items()} == {
            "database": "ok",
            "migrations": "ok",
            "cache": "ok",
            "broker": "ok",
        }

        redis_server.kill()
        started = time.monotonic()
        down = client.get("/readyz")
        assert time.monotonic() - started < 3
        assert down.status_code == 503
        body = down.json()
        assert body["status"] == "unavailable"
        assert body["failed"] == ["cache", "broker"]
        assert body["checks"]["cache"]["status"] == body["checks"]["broker"]["status"] == "failed"
        assert body["checks"]["database"]["status"] == "ok"
        # Alive all the same: the process is fine, what it depends on is not.
        assert client.get("/healthz").status_code == 200

        redis_server.start()
        assert client.get("/readyz").status_code == 200


def test_a_redis_that_hangs_costs_the_probe_about_a_second_per_check(client, redis_server):
    with redis_settings(redis_server.url):
        assert client.get("/readyz").status_code == 200
        redis_server.pause()
        try:
            started = time.monotonic()
            response = client.get("/readyz")
            elapsed = time.monotonic() - started
        finally:
            redis_server.resume()
        assert response.status_code == 503
        assert response.json()["failed"] == ["cache", "broker"]
        assert response.json()["checks"]["cache"]["error"] == "TimeoutError"
        assert elapsed < 2 * health.TIMEOUT + 1.5
        assert client.get("/readyz").status_code == 200
