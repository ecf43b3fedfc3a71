"""The error envelope holds whatever raised the error: routing, methods, body size, crashes."""

import json
import re

import pytest
from django.core.cache import cache
from django.test import Client

from conftest import ApiClient, issue_token
from loyalty.api.throttling import ClientRateThrottle
from members import selectors
from members.models import Member

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


@pytest.fixture
def token(program) -> str:
    return issue_token(program)


def assert_envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields", "request_id"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    # The same id as the response header, which the server made up (no X-Request-Id was sent).
    assert body["error"]["request_id"] == response["X-Request-Id"]
    assert REQUEST_ID.match(response["X-Request-Id"])
    return body["error"]


@pytest.mark.parametrize(
    "path", ["/api/v1/nope", "/api/v1/members/", "/api/v1/program/", "/api/v2/program", "/api/", "/api/v1", "/api"]
)
def test_unknown_api_path_is_not_found(api, path):
    assert_envelope(api.get(path), 404, "not_found")


def test_unknown_api_path_without_token_is_not_found(db):
    assert_envelope(Client().get("/api/v1/nope"), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/v1/program", "GET"),
        ("POST", "/api/v1/languages", "GET"),
        ("GET", "/api/v1/members", "POST"),
        ("PUT", "/api/v1/members/M-1", "PATCH"),
        ("DELETE", "/api/v1/members/M-1/merge", "POST"),
    ],
)
def test_method_not_allowed(api, member, method, path, allowed):
    before = list(Member.objects.values())

    response = api.call(method, path, {} if method in ("POST", "PUT") else None)

    assert_envelope(response, 405, "invalid_request")
    assert allowed in response["Allow"]
    assert list(Member.objects.values()) == before


def test_not_acceptable_is_in_the_envelope(api):
    response = api.get("/api/v1/program", HTTP_ACCEPT="text/html")
    assert_envelope(response, 406, "invalid_request")


def test_body_over_one_mebibyte_is_413(api, member):
    body = json.dumps({"member_id": "M-9", "first_name": "x" * (1024 * 1024)})

    response = api.call("POST", "/api/v1/members", raw=body)

    error = assert_envelope(response, 413, "invalid_request")
    assert "1 MiB" in error["message"]
    assert not Member.objects.filter(member_id="M-9").exists()


def test_body_over_one_mebibyte_without_token_is_413(db):
    response = Client().post("/api/v1/members", data="x" * (1024 * 1024 + 1), content_type="application/json")
    assert_envelope(response, 413, "invalid_request")


def test_body_of_one_mebibyte_is_accepted_up_to_validation(api):
    body = json.dumps({"member_id": "M-9", "first_name": "x"})
    body = body + " " * (1024 * 1024 - len(body))

    response = api.call("POST", "/api/v1/members", raw=body)

    assert response.status_code == 201, response.content[:200]


def test_unexpected_exception_is_server_error_without_trace(token, member, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError('SELECT secret FROM "members_member" -- boom')

    monkeypatch.setattr(selectors, "member_get", boom)
    client = Client(raise_request_exception=False)

    response = client.get("/api/v1/members/M-1", HTTP_AUTHORIZATION=f"Bearer {token}")

    error = assert_envelope(response, 500, "server_error")
    assert error["fields"] == {}
    text = response.content.decode()
    for leak in ("Traceback", "RuntimeError", "SELECT", "boom", "members_member", 'File "'):
        assert leak not in text


def test_unexpected_exception_in_a_write_is_server_error(token, member, monkeypatch):
    from members import services

    def boom(**kwargs):
        raise ZeroDivisionError("division by zero in member_update")

    monkeypatch.setattr(services, "member_update", boom)
    client = Client(raise_request_exception=False)

    response = client.patch(
        "/api/v1/members/M-1",
        data=json.dumps({"first_name": "X"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert_envelope(response, 500, "server_error")
    assert "ZeroDivisionError" not in response.content.decode()


def test_too_many_requests_is_rate_limited_with_retry_after(token, monkeypatch):
    cache.clear()
    monkeypatch.setattr(ClientRateThrottle, "THROTTLE_RATES", {"client": "2/min"})
    api = ApiClient(token)

    assert [api.get("/api/v1/program").status_code for _ in range(2)] == [200, 200]
    response = api.get("/api/v1/program")

    assert_envelope(response, 429, "rate_limited")
    assert int(response["Retry-After"]) > 0
    cache.clear()


def test_non_api_paths_keep_djangos_pages(db):
    response = Client().get("/no-such-page")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")
