"""/oauth/*: failed client authentications limited per client_id and per address, the secrets' keyed hash,
introspection of one's own tokens only, the client-credentials grant only, no deploy warning for unused features."""

import base64
import statistics
import time
from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.core import checks
from django.test import Client, override_settings
from oauth2_provider.models import AccessToken, Application
from oauth2_provider.oauth2_validators import OAuth2Validator

from conftest import ApiClient as PartnerClient
from loyalty.api.oauth import ProgramOAuth2Validator
from programs.client_secrets import ALGORITHM
from programs.services import api_client_create

pytestmark = pytest.mark.django_db

# 12:00:05 UTC. Failures count within any 60 seconds (a sliding window), not per clock minute.
START = datetime(2030, 1, 1, 12, 0, 5, tzinfo=UTC)


def token_request(client_id: str, secret: str, address: str = "198.51.100.7", basic: bool = False, **data):
    body = {"grant_type": "client_credentials", **data}
    headers = {"REMOTE_ADDR": address}
    if basic:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    else:
        body.update(client_id=client_id, client_secret=secret)
    return Client().post("/oauth/token/", data=body, **headers)


def assert_rate_limited(response, retry_after: int | None = None):
    assert response.status_code == 429, response.content
    body = response.json()
    assert set(body) == {"error", "error_description"}
    assert body["error"] == "rate_limited"
    assert body["error_description"]
    assert int(response["Retry-After"]) >= 1
    if retry_after is not None:
        assert int(response["Retry-After"]) == retry_after
    assert response["Cache-Control"] == "no-store"


@pytest.fixture
def till(program):
    client, secret = api_client_create(program=program, name="till", scopes="program:read members:read")
    return client.application.client_id, secret


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


# --- failed authentications ------------------------------------------------------------------------------------


def test_ten_failures_of_a_client_id_from_ten_addresses_then_even_the_right_secret_is_refused(till, clock):
    client_id, secret = till
    for n in range(10):
        response = token_request(client_id, "wrong", address=f"203.0.113.{n}")
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"

    # From an address that never failed, with the right secret: the client_id is past its failures.
    refused = token_request(client_id, secret, address="192.0.2.200")
    assert_rate_limited(refused, retry_after=60)  # the failures all fell at 12:00:05: a minute from then
    assert not AccessToken.objects.exists()
    # Over HTTP Basic too.
    assert_rate_limited(token_request(client_id, secret, address="192.0.2.201", basic=True))


def test_ten_failures_from_an_address_for_any_clients_then_that_address_is_refused(program, till, clock):
    client_id, secret = till
    for n in range(5):
        assert token_request(f"unknown-{n}", "nothing").status_code == 401
    for _ in range(5):
        assert token_request(client_id, "wrong", basic=True).status_code == 401

    other, other_secret = api_client_create(program=program, name="other", scopes="program:read")
    assert_rate_limited(token_request(other.application.client_id, other_secret))
    assert_rate_limited(token_request(client_id, secret))
    # The same client from another address: its own counter is at 5 failures, under the limit.
    assert token_request(client_id, secret, address="192.0.2.1").status_code == 200


def test_nine_failures_leave_the_right_secret_working(till, clock):
    client_id, secret = till
    for n in range(9):
        assert token_request(client_id, "wrong", address=f"203.0.113.{n}").status_code == 401
    assert token_request(client_id, secret).status_code == 200
    # A success does not wipe the failures: the tenth still closes the window.
    assert token_request(client_id, "wrong").status_code == 401
    assert_rate_limited(token_request(client_id, secret, address="192.0.2.9"))


def test_the_window_passing_opens_the_endpoint_again(till, clock):
    client_id, secret = till
    for _ in range(10):
        assert token_request(client_id, "wrong").status_code == 401
    refused = token_request(client_id, secret)
    assert_rate_limited(refused, retry_after=60)

    clock.shift(59)
    assert_rate_limited(token_request(client_id, secret), retry_after=1)
    clock.shift(1)  # 12:01:05: the failures are a minute old
    response = token_request(client_id, secret)
    assert response.status_code == 200, response.content
    assert PartnerClient(response.json()["access_token"]).get("/api/v1/program").status_code == 200


def test_failures_on_both_sides_of_a_minutes_boundary_count_together(till, clock):
    """Any 60 seconds, not the clock's minutes: 5 failures at 12:00:50 and 5 at 12:01:05 are 10 in a minute."""
    client_id, secret = till
    clock.shift(45)  # 12:00:50
    for _ in range(5):
        assert token_request(client_id, "wrong").status_code == 401
    clock.shift(15)  # 12:01:05
    for _ in range(5):
        assert token_request(client_id, "wrong").status_code == 401
    assert_rate_limited(token_request(client_id, secret), retry_after=45)  # until the first five are a minute old
    clock.shift(44)
    assert_rate_limited(token_request(client_id, secret), retry_after=1)
    clock.shift(1)  # 12:01:50: five failures left in the last minute
    assert token_request(client_id, secret).status_code == 200


def test_refused_requests_are_not_counted_as_failures(till, clock):
    client_id, secret = till
    for _ in range(10):
        token_request(client_id, "wrong")
    for _ in range(20):
        assert token_request(client_id, "wrong").status_code == 429
    clock.shift(60)
    assert token_request(client_id, secret).status_code == 200


@override_settings(OAUTH_CLIENT_AUTH_FAILURE_LIMIT="2/s")
def test_the_limit_and_window_are_settings(till, clock):
    client_id, secret = till
    assert [token_request(client_id, "wrong").status_code for _ in range(2)] == [401, 401]
    assert_rate_limited(token_request(client_id, secret), retry_after=1)
    clock.shift(1)
    assert token_request(client_id, secret).status_code == 200


def test_a_revoked_client_counts_as_a_failure_and_the_right_secret_does_not(program, till, clock):
    from programs.models import ApiClient
    from programs.services import api_client_revoke

    client_id, secret = till
    for _ in range(20):
        assert token_request(client_id, secret).status_code == 200
    api_client_revoke(client=ApiClient.objects.get(application__client_id=client_id))
    for _ in range(10):
        assert token_request(client_id, secret).status_code == 401
    assert_rate_limited(token_request(client_id, secret))


def test_introspection_and_revocation_failures_count_too(till, clock):
    client_id, _ = till
    for n in range(5):
        response = Client().post(
            "/oauth/introspect/",
            {"token": "x", "client_id": client_id, "client_secret": "wrong"},
            REMOTE_ADDR=f"203.0.113.{n}",
        )
        assert response.status_code == 401
        response = Client().post(
            "/oauth/revoke_token/",
            {"token": "x", "client_id": client_id, "client_secret": "wrong"},
            REMOTE_ADDR=f"203.0.113.{n}",
        )
        assert response.status_code == 401
    assert_rate_limited(token_request(client_id, "anything", address="192.0.2.77"))


def test_failures_behind_trusted_proxies_count_per_forwarded_address(till, clock):
    client_id, secret = till
    with override_settings(REST_FRAMEWORK={**_rest_framework(), "NUM_PROXIES": 1}):
        for n in range(10):
            # Each from another client_id, all from one caller behind the proxy 10.0.0.1.
            Client().post(
                "/oauth/token/",
                {"grant_type": "client_credentials", "client_id": f"nobody-{n}", "client_secret": "x"},
                REMOTE_ADDR="10.0.0.1",
                HTTP_X_FORWARDED_FOR="198.51.100.50",
            )
        blocked = Client().post(
            "/oauth/token/",
            {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="198.51.100.50",
        )
        assert_rate_limited(blocked)
        other_caller = Client().post(
            "/oauth/token/",
            {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="198.51.100.51",
        )
        assert other_caller.status_code == 200


def _rest_framework() -> dict:
    from django.conf import settings

    return dict(settings.REST_FRAMEWORK)


def test_ipv6_callers_count_by_their_64(till, clock):
    client_id, secret = till
    for n in range(10):
        assert token_request(f"nobody-{n}", "x", address=f"2001:db8:1:2::{n + 1:x}").status_code == 401
    assert_rate_limited(token_request(client_id, secret, address="2001:db8:1:2:ffff::1"))
    assert token_request(client_id, secret, address="2001:db8:1:3::1").status_code == 200


# --- the secrets' hash -----------------------------------------------------------------------------------------


def test_secrets_are_stored_with_the_keyed_hash_and_staff_passwords_keep_pbkdf2(till):
    import loyalty.settings as project_settings

    client_id, _ = till
    assert Application.objects.get(client_id=client_id).client_secret.startswith(f"{ALGORITHM}$")
    # The project's list (the tests put a fast hasher first): Django's default first, the secrets' hasher last.
    assert project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.PBKDF2PasswordHasher"
    assert project_settings.PASSWORD_HASHERS[-1] == "programs.client_secrets.ClientSecretHasher"
    assert project_settings.OAUTH2_PROVIDER["CLIENT_SECRET_HASHER"] == ALGORITHM


def _check_times(stored: str, attempt: str, tries: int = 20) -> float:
    validator = ProgramOAuth2Validator()
    times = []
    for _ in range(tries):
        start = time.perf_counter()
        validator._check_secret(attempt, stored)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def test_a_wrong_secret_costs_no_more_than_a_right_one(till):
    client_id, secret = till
    stored = Application.objects.get(client_id=client_id).client_secret
    validator = ProgramOAuth2Validator()
    assert validator._check_secret(secret, stored)
    assert not validator._check_secret(secret[:-1] + "?", stored)

    right = _check_times(stored, secret)
    wrong = _check_times(stored, secret[:-1] + "?")
    unrelated = _check_times(stored, "x")
    # A guard against a slow hash coming back (PBKDF2 costs ~0.3 s), not a benchmark.
    assert right < 0.010 and wrong < 0.010 and unrelated < 0.010, (right, wrong, unrelated)
    assert wrong <= 3 * right + 0.0005, (right, wrong)
    assert unrelated <= 3 * right + 0.0005, (right, unrelated)


def test_an_old_pbkdf2_secret_still_works_and_is_rehashed_on_its_first_success(till):
    client_id, secret = till
    legacy = make_password(secret, hasher="pbkdf2_sha256")
    Application.objects.filter(client_id=client_id).update(client_secret=legacy)

    assert token_request(client_id, "wrong").status_code == 401
    assert Application.objects.get(client_id=client_id).client_secret == legacy  # a failure changes nothing
    assert token_request(client_id, secret).status_code == 200
    rehashed = Application.objects.get(client_id=client_id).client_secret
    assert rehashed.startswith(f"{ALGORITHM}$")
    assert token_request(client_id, secret, basic=True).status_code == 200
    assert Application.objects.get(client_id=client_id).client_secret == rehashed


def test_the_hash_key_can_change_with_the_old_key_as_fallback(till, settings):
    client_id, secret = till
    before = Application.objects.get(client_id=client_id).client_secret
    old_key = settings.OAUTH_CLIENT_SECRET_KEY or settings.SECRET_KEY
    settings.OAUTH_CLIENT_SECRET_KEY = "a-new-key-" + "k" * 40

    assert token_request(client_id, secret, address="192.0.2.1").status_code == 401
    settings.OAUTH_CLIENT_SECRET_KEY_FALLBACKS = [old_key]
    assert token_request(client_id, secret, address="192.0.2.2").status_code == 200
    after = Application.objects.get(client_id=client_id).client_secret
    assert after != before  # re-hashed with the new key
    settings.OAUTH_CLIENT_SECRET_KEY_FALLBACKS = []
    assert token_request(client_id, secret, address="192.0.2.3").status_code == 200


def test_the_validator_keeps_django_oauth_toolkits_hook():
    # The secrets are checked through OAuth2Validator._check_secret (HTTP Basic and form alike): if a
    # django-oauth-toolkit upgrade renamed it, the override would silently stop applying.
    assert "_check_secret" in vars(OAuth2Validator)
    assert "_check_secret" in vars(ProgramOAuth2Validator)


# --- introspection and revocation ------------------------------------------------------------------------------


def introspect(client_id: str, secret: str, token: str | None, basic: bool = False):
    data = {} if token is None else {"token": token}
    extra = {}
    if basic:
        extra["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    else:
        data.update(client_id=client_id, client_secret=secret)
    return Client().post("/oauth/introspect/", data, **extra)


def test_introspection_answers_about_the_callers_own_token(till):
    client_id, secret = till
    token = token_request(client_id, secret).json()["access_token"]

    for basic in (False, True):
        response = introspect(client_id, secret, token, basic=basic)
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["active"] is True
        assert body["client_id"] == client_id
        assert body["scope"] == "program:read members:read"
        assert body["token_type"] == "Bearer"
        assert body["exp"] > time.time()


def test_another_clients_token_is_inactive_in_the_same_program_or_another(program, other_program, till):
    client_id, secret = till
    neighbour, neighbour_secret = api_client_create(program=program, name="crm", scopes="program:read")
    stranger, stranger_secret = api_client_create(program=other_program, name="shop", scopes="program:read")
    tokens = [
        token_request(c.application.client_id, s).json()["access_token"]
        for c, s in ((neighbour, neighbour_secret), (stranger, stranger_secret))
    ]
    for token in tokens:
        assert introspect(client_id, secret, token).json() == {"active": False}
    assert introspect(client_id, secret, "not-a-token").json() == {"active": False}
    # Their owners see them active.
    assert introspect(neighbour.application.client_id, neighbour_secret, tokens[0]).json()["active"] is True


def test_introspection_needs_the_clients_credentials_and_a_token(till):
    client_id, secret = till
    token = token_request(client_id, secret).json()["access_token"]
    assert introspect(client_id, "wrong", token).status_code == 401
    # A bearer token is not a client's credentials here.
    assert (
        Client().post("/oauth/introspect/", {"token": token}, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    )
    missing = introspect(client_id, secret, None)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    assert Client().get("/oauth/introspect/", {"token": token}).status_code == 405


def test_an_expired_or_narrowed_token_introspects_as_the_api_reads_it(till):
    from datetime import timedelta

    from django.utils import timezone

    from programs.models import ApiClient

    client_id, secret = till
    token = token_request(client_id, secret).json()["access_token"]
    ApiClient.objects.filter(application__client_id=client_id).update(scopes="members:read")
    assert introspect(client_id, secret, token).json()["scope"] == "members:read"
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert introspect(client_id, secret, token).json() == {"active": False}


def test_revocation_revokes_only_the_callers_own_tokens(program, till):
    client_id, secret = till
    other, other_secret = api_client_create(program=program, name="crm", scopes="program:read")
    mine = token_request(client_id, secret).json()["access_token"]
    theirs = token_request(other.application.client_id, other_secret).json()["access_token"]

    revoke = {"client_id": client_id, "client_secret": secret}
    assert Client().post("/oauth/revoke_token/", {**revoke, "token": theirs}).status_code == 200
    assert PartnerClient(theirs).get("/api/v1/program").status_code == 200
    assert Client().post("/oauth/revoke_token/", {**revoke, "token": mine}).status_code == 200
    assert PartnerClient(mine).get("/api/v1/program").status_code == 401


# --- the client-credentials grant only -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "grant",
    [
        {"grant_type": "password", "username": "admin", "password": "admin"},
        {"grant_type": "authorization_code", "code": "abc", "redirect_uri": "https://example.com/cb"},
        {"grant_type": "refresh_token", "refresh_token": "abc"},
        {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": "abc"},
        {"grant_type": "urn:ietf:params:oauth:grant-type:device_code"},
        {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": "abc"},
        {"grant_type": "implicit"},
        {"grant_type": ""},
    ],
    ids=lambda g: g["grant_type"] or "empty",
)
def test_grant_types_other_than_client_credentials_are_refused(program, till, grant):
    client_id, secret = till
    # Even for an application whose row would allow the grant.
    Application.objects.filter(client_id=client_id).update(authorization_grant_type=Application.GRANT_PASSWORD)
    response = Client().post("/oauth/token/", {**grant, "client_id": client_id, "client_secret": secret})
    assert response.status_code == 400, response.content
    assert response.json()["error"] in ("unsupported_grant_type", "invalid_request")
    assert not AccessToken.objects.exists()


def test_the_validator_refuses_other_grants_too(till):
    validator = ProgramOAuth2Validator()
    assert not validator.validate_grant_type("id", "password", None, None)
    assert not validator.validate_grant_type("id", "authorization_code", None, None)


def test_deploy_checks_have_nothing_to_say_about_oauth():
    messages = checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.security])
    assert [m.id for m in messages if (m.id or "").startswith("oauth2_provider")] == []


def test_tokens_are_stored_as_their_checksum_only(till):
    client_id, secret = till
    token = token_request(client_id, secret).json()["access_token"]
    stored = AccessToken.objects.get()
    assert stored.token == "" and token not in stored.token_checksum
    assert PartnerClient(token).get("/api/v1/program").status_code == 200
