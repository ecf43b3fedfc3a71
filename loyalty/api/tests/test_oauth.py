"""OAuth client credentials, bearer authentication and scopes of the partner API."""

import base64
import datetime

import pytest
import time_machine
from django.test import Client
from oauth2_provider.models import AccessToken

from conftest import ALL_SCOPES, issue_token
from conftest import ApiClient as PartnerClient
from members.models import Member
from programs.models import ApiClient
from programs.services import api_client_create, api_client_revoke, api_client_update

# Every /api/v1 endpoint with the scope it needs. Later endpoints add their row here.
# `{member_id}` is replaced by an existing member's id.
ENDPOINTS = [
    ("GET", "/api/v1/program", "program:read"),
    ("GET", "/api/v1/languages", "program:read"),
    ("POST", "/api/v1/members", "members:write"),
    ("GET", "/api/v1/members/{member_id}", "members:read"),
    ("PATCH", "/api/v1/members/{member_id}", "members:write"),
    ("GET", "/api/v1/segments", "segments:write"),
    ("PUT", "/api/v1/segments/VIP/members/{member_id}", "segments:write"),
    ("DELETE", "/api/v1/segments/VIP/members/{member_id}", "segments:write"),
    ("POST", "/api/v1/segments/VIP/members", "segments:write"),
    ("GET", "/api/v1/promotions", "points:read"),
    ("PUT", "/api/v1/promotions/BASE/segments/VIP", "segments:write"),
    ("DELETE", "/api/v1/promotions/BASE/segments/VIP", "segments:write"),
    ("GET", "/api/v1/members/{member_id}/promotions", "points:read"),
    ("POST", "/api/v1/baskets/evaluate", "points:read"),
    ("POST", "/api/v1/transactions/earn", "points:write"),
    ("POST", "/api/v1/transactions/R-1/reversal", "points:write"),
    ("GET", "/api/v1/members/{member_id}/transactions", "points:read"),
]


def request_token(**data):
    return Client().post("/oauth/token/", data={"grant_type": "client_credentials", **data})


def basic_auth(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@pytest.fixture
def credentials(program):
    client, secret = api_client_create(program=program, name="till", scopes="program:read members:read members:write")
    return client, secret


def assert_envelope(response, status: int, code: str):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    return body["error"]


# --- token issuance -------------------------------------------------------------------------


def test_token_with_form_fields(credentials):
    client, secret = credentials
    response = request_token(client_id=client.application.client_id, client_secret=secret)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["access_token"]
    assert set(body["scope"].split()) == {"program:read", "members:read", "members:write"}


def test_token_with_http_basic(credentials):
    client, secret = credentials
    response = Client().post(
        "/oauth/token/",
        data={"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic_auth(client.application.client_id, secret),
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert set(body["scope"].split()) == {"program:read", "members:read", "members:write"}
    api = PartnerClient(body["access_token"])
    assert api.get("/api/v1/program").status_code == 200


def test_token_for_a_subset_of_scopes(credentials, member):
    client, secret = credentials
    response = request_token(client_id=client.application.client_id, client_secret=secret, scope="members:read")

    assert response.status_code == 200, response.content
    assert response.json()["scope"] == "members:read"
    api = PartnerClient(response.json()["access_token"])
    assert api.get(f"/api/v1/members/{member.member_id}").status_code == 200
    assert_envelope(api.get("/api/v1/program"), 403, "forbidden")


@pytest.mark.parametrize("path", ["/oauth/token/", "/oauth/revoke_token/", "/oauth/introspect/"])
@pytest.mark.parametrize("how", ["form", "basic"])
def test_a_client_id_with_nul_is_invalid_client_not_a_500(credentials, path, how):
    # PostgreSQL refuses NUL in a query; no client_id holds one, so it is an unknown client.
    data = {"grant_type": "client_credentials", "token": "t"}
    if how == "form":
        response = Client().post(path, {**data, "client_id": "a\x00b", "client_secret": "x"})
    else:
        response = Client().post(path, data, HTTP_AUTHORIZATION=basic_auth("a\x00b", "x"))

    assert response.status_code == 401, response.content
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("scope", ["points:write", "members:read points:write", "admin", "members:read nonsense"])
def test_token_for_a_scope_not_granted_is_invalid_scope(credentials, scope):
    client, secret = credentials
    response = request_token(client_id=client.application.client_id, client_secret=secret, scope=scope)

    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_scope"
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize("scope", ["", " ", "  "])
def test_token_with_an_empty_scope_gets_all_the_clients_scopes(credentials, scope):
    # RFC 6749 §3.1: a parameter sent without a value is treated as omitted.
    client, secret = credentials
    response = request_token(client_id=client.application.client_id, client_secret=secret, scope=scope)

    assert response.status_code == 200, response.content
    assert set(response.json()["scope"].split()) == {"program:read", "members:read", "members:write"}


def test_token_scope_with_extra_spaces_and_repeats(credentials):
    client, secret = credentials
    response = request_token(
        client_id=client.application.client_id,
        client_secret=secret,
        scope="members:read  program:read members:read",
    )

    assert response.status_code == 200, response.content
    assert response.json()["scope"] == "members:read program:read"


def test_token_with_a_wrong_secret_is_invalid_client(credentials):
    client, _secret = credentials
    response = request_token(client_id=client.application.client_id, client_secret="wrong")

    assert response.status_code == 401, response.content
    assert response.json()["error"] == "invalid_client"
    basic = Client().post(
        "/oauth/token/",
        data={"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic_auth(client.application.client_id, "wrong"),
    )
    assert basic.status_code == 401
    assert basic.json()["error"] == "invalid_client"
    assert not AccessToken.objects.exists()


def test_token_for_an_unknown_client_is_invalid_client(db):
    response = request_token(client_id="nobody", client_secret="nothing")

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_secret_is_stored_hashed(credentials):
    client, secret = credentials
    client.application.refresh_from_db()
    assert client.application.client_secret != secret


def test_revoked_client_gets_no_token_and_its_tokens_stop_working(credentials):
    client, secret = credentials
    token = request_token(client_id=client.application.client_id, client_secret=secret).json()["access_token"]
    api = PartnerClient(token)
    assert api.get("/api/v1/program").status_code == 200

    api_client_revoke(client=client)

    assert_envelope(api.get("/api/v1/program"), 401, "unauthenticated")
    response = request_token(client_id=client.application.client_id, client_secret=secret)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    client.refresh_from_db()
    assert client.active is False
    assert client.revoked_at is not None


def test_inactive_client_token_is_refused_even_if_not_deleted(credentials):
    client, secret = credentials
    token = request_token(client_id=client.application.client_id, client_secret=secret).json()["access_token"]
    ApiClient.objects.filter(pk=client.pk).update(active=False)

    assert_envelope(PartnerClient(token).get("/api/v1/program"), 401, "unauthenticated")


def test_narrowing_a_clients_scopes_applies_to_existing_tokens(credentials, member):
    client, secret = credentials
    token = request_token(client_id=client.application.client_id, client_secret=secret).json()["access_token"]
    api = PartnerClient(token)
    assert api.get(f"/api/v1/members/{member.member_id}").status_code == 200  # the grant is cached now
    api_client_update(client=client, name=client.name, scopes="program:read")  # as the admin does

    assert api.get("/api/v1/program").status_code == 200
    assert_envelope(api.get(f"/api/v1/members/{member.member_id}"), 403, "forbidden")


# --- 401 unauthenticated --------------------------------------------------------------------


def test_no_token_is_unauthenticated(db):
    error = assert_envelope(Client().get("/api/v1/program"), 401, "unauthenticated")
    assert "Bearer" in error["message"]


def test_bad_token_is_unauthenticated(program):
    assert_envelope(PartnerClient("not-a-token").get("/api/v1/program"), 401, "unauthenticated")


def test_expired_token_is_unauthenticated(program):
    api = PartnerClient(issue_token(program))
    assert api.get("/api/v1/program").status_code == 200  # its grant is cached from now on
    expires = AccessToken.objects.get().expires

    with time_machine.travel(expires + datetime.timedelta(seconds=1)):
        error = assert_envelope(api.get("/api/v1/program"), 401, "unauthenticated")
    assert "expired" in error["message"]


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer a b", "Bearer\u00e9", "Token abc", "Basic Zm9vOmJhcg==", "bearer", "Bearer \xff"],
)
def test_malformed_authorization_header_is_unauthenticated(program, header):
    response = Client().get("/api/v1/program", HTTP_AUTHORIZATION=header)
    assert_envelope(response, 401, "unauthenticated")


def test_401_carries_www_authenticate(db):
    response = Client().get("/api/v1/program")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_token_header_is_case_insensitive(program):
    token = issue_token(program)
    response = Client().get("/api/v1/program", HTTP_AUTHORIZATION=f"bearer {token}")
    assert response.status_code == 200


# --- 403 forbidden: every endpoint checks its scope ------------------------------------------


def _call(api: PartnerClient, method: str, path: str, member_id: str):
    path = path.format(member_id=member_id)
    body = {} if method in ("POST", "PATCH", "PUT") else None
    return api.call(method, path, body)


@pytest.mark.parametrize(("method", "path", "scope"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
def test_endpoint_without_its_scope_is_forbidden(api_for, program, member, method, path, scope):
    others = " ".join(s for s in ALL_SCOPES.split() if s != scope)
    members_before = list(Member.objects.values().order_by("pk"))

    response = _call(api_for(program, others), method, path, member.member_id)

    error = assert_envelope(response, 403, "forbidden")
    assert scope in error["message"]
    assert list(Member.objects.values().order_by("pk")) == members_before


GET_ENDPOINTS = [row for row in ENDPOINTS if row[0] == "GET"]


@pytest.mark.parametrize(("method", "path", "scope"), GET_ENDPOINTS, ids=[p for _, p, _ in GET_ENDPOINTS])
def test_head_needs_the_scope_of_get(api_for, program, member, method, path, scope):
    # HEAD answers 200 or 404 like GET: without the scope it would reveal which ids exist.
    others = " ".join(s for s in ALL_SCOPES.split() if s != scope)

    response = _call(api_for(program, others), "HEAD", path, member.member_id)

    assert response.status_code == 403
    assert _call(api_for(program, scope), "HEAD", path, member.member_id).status_code == 200


@pytest.mark.parametrize(("method", "path", "scope"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
def test_endpoint_with_only_its_scope_is_allowed(api_for, program, member, method, path, scope):
    response = _call(api_for(program, scope), method, path, member.member_id)
    assert response.status_code not in (401, 403), response.content
    assert response.status_code < 500, response.content


@pytest.mark.parametrize(("method", "path", "scope"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
def test_endpoint_without_token_is_unauthenticated(member, method, path, scope):
    response = _call(PartnerClient(None), method, path, member.member_id)
    assert_envelope(response, 401, "unauthenticated")
