"""Headers every partner relies on: X-Request-Id, the RateLimit-* budget, ETags with 304 answers."""

import logging
import re

import pytest
from django.core.cache import cache
from django.test import Client

from conftest import ApiClient, issue_token
from loyalty.api.throttling import ClientRateThrottle
from tests.factories import CategoryFactory, GiftFactory, ProgramFactory

pytestmark = pytest.mark.django_db
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


@pytest.fixture(autouse=True)
def _fresh_budgets():
    cache.clear()
    yield
    cache.clear()


# --- X-Request-Id ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/program", "/api/v1/nope", "/shop/", "/admin/login/", "/api/schema"])
def test_every_response_carries_a_request_id(api, path):
    response = api.get(path)
    assert REQUEST_ID.match(response["X-Request-Id"])


def test_the_oauth_endpoint_answers_a_request_id_too(db):
    response = Client().post("/oauth/token/", {"grant_type": "client_credentials"})
    assert response.status_code == 401
    assert REQUEST_ID.match(response["X-Request-Id"])


def test_a_valid_caller_id_is_kept_in_the_header_and_the_error_body(api):
    response = api.get("/api/v1/members/NOBODY", HTTP_X_REQUEST_ID="till-12:sale_0042.a")
    assert response["X-Request-Id"] == "till-12:sale_0042.a"
    assert response.json()["error"]["request_id"] == "till-12:sale_0042.a"


@pytest.mark.parametrize("sent", ["", "has space", "x" * 129, "semi;colon", "ünïcode"])
def test_an_invalid_caller_id_is_replaced(api, sent):
    response = api.get("/api/v1/members/NOBODY", HTTP_X_REQUEST_ID=sent)
    assert response["X-Request-Id"] != sent
    assert REQUEST_ID.match(response["X-Request-Id"])
    assert response.json()["error"]["request_id"] == response["X-Request-Id"]


def test_each_request_gets_its_own_id(api):
    assert api.get("/api/v1/program")["X-Request-Id"] != api.get("/api/v1/program")["X-Request-Id"]


def test_log_records_of_a_request_carry_its_id(api, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        api.get("/api/v1/members/NOBODY", HTTP_X_REQUEST_ID="trace-404")
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records and all(r.request_id == "trace-404" for r in records)


# --- RateLimit-* -----------------------------------------------------------------------------------------------


def budget(response) -> tuple[int, int, int]:
    return (
        int(response["RateLimit-Limit"]),
        int(response["RateLimit-Remaining"]),
        int(response["RateLimit-Reset"]),
    )


def test_the_budget_counts_down_on_every_answer(api, monkeypatch):
    monkeypatch.setattr(ClientRateThrottle, "THROTTLE_RATES", {"client": "5/min"})
    statuses, remaining = [], []
    for path in ("/api/v1/program", "/api/v1/members/NOBODY", "/api/v1/gifts?limit=0"):
        response = api.get(path)
        limit, left, reset = budget(response)
        assert limit == 5 and 0 < reset <= 60
        statuses.append(response.status_code)
        remaining.append(left)
    assert statuses == [200, 404, 400]
    assert remaining == [4, 3, 2]


def test_answers_that_no_view_gave_count_and_carry_the_budget_too(api, monkeypatch):
    """A path no route matches (an unknown one, a non-ASCII member id), an Accept the API cannot serve and a body
    over the size limit: each is answered in the envelope, counted, and announces the budget."""
    monkeypatch.setattr(ClientRateThrottle, "THROTTLE_RATES", {"client": "10/min"})
    answers = [
        api.get("/api/v1/nothing"),
        api.get("/api/v1/members/%C3%A9"),
        api.get("/api/v1/program/"),
        api.get("/api/v1"),  # the base path itself is an /api/v1 answer too
        api.get("/api/v1/program", HTTP_ACCEPT="text/html"),
        api.call("POST", "/api/v1/members", raw=b"x" * (1024 * 1024 + 1)),
    ]
    assert [a.status_code for a in answers] == [404, 404, 404, 404, 406, 413]
    assert all("error" in a.json() for a in answers)
    assert [budget(a)[:2] for a in answers] == [(10, 9), (10, 8), (10, 7), (10, 6), (10, 5), (10, 4)]
    assert budget(api.get("/api/v1/program"))[:2] == (10, 3)
    # Without a valid token, such an answer announces nothing (the address budget is not the client's).
    assert "RateLimit-Limit" not in ApiClient("not-a-token").get("/api/v1/nothing")
    assert "RateLimit-Limit" not in ApiClient(None).get("/api/v1/nothing")


def test_a_refused_scope_still_answers_the_budget(program, monkeypatch):
    monkeypatch.setattr(ClientRateThrottle, "THROTTLE_RATES", {"client": "5/min"})
    client = ApiClient(issue_token(program, scopes="catalog:read"))
    response = client.get("/api/v1/program")
    assert response.status_code == 403
    assert budget(response)[:2] == (5, 4)


def test_past_the_budget_429_with_retry_after_and_remaining_zero(api, monkeypatch):
    monkeypatch.setattr(ClientRateThrottle, "THROTTLE_RATES", {"client": "2/min"})
    api.get("/api/v1/program")
    api.get("/api/v1/program")
    response = api.get("/api/v1/program")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    limit, left, reset = budget(response)
    assert (limit, left) == (2, 0)
    assert int(response["Retry-After"]) == reset


def test_budgets_are_per_client(program, other_program, monkeypatch):
    monkeypatch.setattr(ClientRateThrottle, "THROTTLE_RATES", {"client": "2/min"})
    first, second = ApiClient(issue_token(program)), ApiClient(issue_token(other_program))
    first.get("/api/v1/program")
    first.get("/api/v1/program")
    assert first.get("/api/v1/program").status_code == 429
    assert second.get("/api/v1/program").status_code == 200


def test_an_unauthenticated_answer_has_no_budget(db):
    response = ApiClient(None).get("/api/v1/program")
    assert response.status_code == 401
    assert "RateLimit-Limit" not in response


ANON_3 = {"client": "100/min", "anon": "3/min"}


@pytest.mark.parametrize("token", [None, "not-a-token"], ids=["no token", "bad token"])
def test_without_a_valid_token_an_address_has_its_own_budget(program, monkeypatch, token):
    monkeypatch.setattr(ClientRateThrottle, "THROTTLE_RATES", ANON_3)
    caller = ApiClient(token)
    statuses = [caller.get("/api/v1/program", REMOTE_ADDR="198.51.100.1").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]

    refused = caller.get("/api/v1/members/M-1", REMOTE_ADDR="198.51.100.1")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "RateLimit-Limit" not in refused
    # Another address, and a partner with a valid token from the same address, are not concerned.
    assert caller.get("/api/v1/program", REMOTE_ADDR="198.51.100.2").status_code == 401
    assert ApiClient(issue_token(program)).get("/api/v1/program", REMOTE_ADDR="198.51.100.1").status_code == 200


def test_no_token_and_bad_tokens_share_the_address_budget(db, monkeypatch):
    monkeypatch.setattr(ClientRateThrottle, "THROTTLE_RATES", ANON_3)
    assert ApiClient(None).get("/api/v1/program").status_code == 401
    assert ApiClient("bad").get("/api/v1/program").status_code == 401
    assert ApiClient(None).get("/api/v1/program", HTTP_AUTHORIZATION="Bearer a b").status_code == 401
    assert ApiClient("other-bad").get("/api/v1/program").status_code == 429


def test_without_an_address_budget_unauthenticated_calls_are_not_limited(db, monkeypatch):
    monkeypatch.setattr(ClientRateThrottle, "THROTTLE_RATES", {"client": "1/min"})
    assert {ApiClient(None).get("/api/v1/program").status_code for _ in range(5)} == {401}


# --- ETag ------------------------------------------------------------------------------------------------------


@pytest.fixture
def catalog(program):
    home = CategoryFactory(program=program, code="HOME", name={"en": "Home", "fr": "Maison"})
    return GiftFactory(program=program, category=home, sku="MUG", points=500, stock=3, name={"en": "Mug"})


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/program",
        "/api/v1/languages",
        "/api/v1/categories",
        "/api/v1/gifts",
        "/api/v1/gifts/MUG",
        "/api/v1/promotions",
    ],
)
def test_a_matching_if_none_match_is_304_without_a_body(api, catalog, path):
    first = api.get(path)
    assert first.status_code == 200
    etag = first["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    again = api.get(path, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert "RateLimit-Remaining" in again and "X-Request-Id" in again
    # A list of tags, a weak form of it, or `*` match too; another tag does not.
    assert api.get(path, HTTP_IF_NONE_MATCH=f'"other", W/{etag}').status_code == 304
    assert api.get(path, HTTP_IF_NONE_MATCH="*").status_code == 304
    assert api.get(path, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_the_etag_follows_the_representation(api, catalog):
    etag = api.get("/api/v1/gifts/MUG")["ETag"]
    assert api.get("/api/v1/gifts/MUG?lang=fr")["ETag"] != etag
    catalog.stock = 2
    catalog.save(update_fields=["stock"])
    changed = api.get("/api/v1/gifts/MUG", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_the_etag_differs_between_programs_with_the_same_data(db):
    first = ProgramFactory(code="ONE", name="Same")
    second = ProgramFactory(code="TWO", name="Same")
    languages = [ApiClient(issue_token(p)).get("/api/v1/languages") for p in (first, second)]
    assert languages[0].content == languages[1].content
    assert languages[0]["ETag"] != languages[1]["ETag"]


def test_writes_and_other_reads_carry_no_etag(api, member):
    assert "ETag" not in api.get("/api/v1/members/M-1")
    assert "ETag" not in api.post("/api/v1/baskets/evaluate", {"lines": []})
