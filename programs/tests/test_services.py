"""programs.services called directly: API clients with normalized scopes, revocation, secret rotation."""

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.test import Client
from oauth2_provider.models import AccessToken, Application

from conftest import issue_token
from programs.models import ApiClient
from programs.services import InvalidScopes, api_client_create, api_client_revoke, api_client_rotate_secret

pytestmark = pytest.mark.django_db


def token_status(client: ApiClient, secret: str) -> int:
    """What the OAuth token endpoint answers to these credentials."""
    data = {"grant_type": "client_credentials", "client_id": client.application.client_id, "client_secret": secret}
    return Client().post("/oauth/token/", data=data).status_code


def stored_secret(client: ApiClient) -> str:
    return Application.objects.get(pk=client.application_id).client_secret


def test_create_binds_a_confidential_client_credentials_app_to_the_program(program):
    client, secret = api_client_create(program=program, name="till", scopes="redeem")
    stored = ApiClient.objects.select_related("application").get(pk=client.pk)
    assert (stored.program_id, stored.name, stored.active, stored.revoked_at) == (program.pk, "till", True, None)
    app = stored.application
    assert app.client_type == Application.CLIENT_CONFIDENTIAL
    assert app.authorization_grant_type == Application.GRANT_CLIENT_CREDENTIALS
    assert app.name == "DEMO: till"
    assert secret and app.client_secret != secret  # stored hashed only
    assert check_password(secret, app.client_secret)
    assert token_status(client, secret) == 200


def test_create_normalizes_scopes_to_the_known_order(program):
    client, _ = api_client_create(program=program, name="crm", scopes="redeem  members:read redeem program:read")
    assert ApiClient.objects.get(pk=client.pk).scopes == "program:read members:read redeem"


def test_create_accepts_a_scope_list(program):
    client, _ = api_client_create(program=program, name="crm", scopes=["catalog:read", "segments:write"])
    assert client.scopes == "segments:write catalog:read"
    assert client.scope_set == {"segments:write", "catalog:read"}


def test_create_with_every_scope_keeps_the_settings_order(program):
    client, _ = api_client_create(program=program, name="all", scopes=list(reversed(list(settings.API_SCOPES))))
    assert client.scopes.split() == list(settings.API_SCOPES)


@pytest.mark.parametrize("scopes", ["redeem admin", "", "   ", [], ["points:Write"]])
def test_create_refuses_unknown_or_no_scopes(program, scopes):
    with pytest.raises(InvalidScopes):
        api_client_create(program=program, name="bad", scopes=scopes)
    assert not ApiClient.objects.exists()
    assert not Application.objects.exists()


def test_invalid_scopes_message_names_the_unknown_ones(program):
    with pytest.raises(InvalidScopes, match="admin, root"):
        api_client_create(program=program, name="bad", scopes="root redeem admin")


def test_revoke_stops_the_client_and_its_tokens(program, other_program):
    client, secret = api_client_create(program=program, name="till", scopes="redeem")
    assert token_status(client, secret) == token_status(client, secret) == 200
    issue_token(other_program)
    assert AccessToken.objects.filter(application_id=client.application_id).count() == 2
    api_client_revoke(client=client)
    stored = ApiClient.objects.get(pk=client.pk)
    assert stored.active is False and stored.revoked_at is not None
    assert not AccessToken.objects.filter(application_id=client.application_id).exists()
    assert AccessToken.objects.filter(application__api_client__program=other_program).count() == 1
    assert token_status(stored, secret) == 401


def test_rotate_secret_replaces_the_old_one(program):
    client, old = api_client_create(program=program, name="till", scopes="redeem")
    new = api_client_rotate_secret(client=client)
    assert new != old
    hashed = stored_secret(client)
    assert hashed != new and check_password(new, hashed)
    assert not check_password(old, hashed)
    assert token_status(client, new) == 200
    assert token_status(client, old) == 401


def test_rotate_secret_leaves_other_clients_alone(program):
    first, first_secret = api_client_create(program=program, name="one", scopes="redeem")
    second, _ = api_client_create(program=program, name="two", scopes="redeem")
    api_client_rotate_secret(client=second)
    assert check_password(first_secret, stored_secret(first))


def test_rotate_secret_revokes_the_clients_live_tokens(program, other_program):
    client, old = api_client_create(program=program, name="till", scopes="program:read")
    live = (
        Client()
        .post(
            "/oauth/token/",
            {"grant_type": "client_credentials", "client_id": client.application.client_id, "client_secret": old},
        )
        .json()["access_token"]
    )
    other_token = issue_token(other_program, scopes="program:read")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {live}"}
    assert Client().get("/api/v1/program", **headers).status_code == 200

    new = api_client_rotate_secret(client=client)

    assert not AccessToken.objects.filter(application_id=client.application_id).exists()
    assert Client().get("/api/v1/program", **headers).status_code == 401
    assert Client().get("/api/v1/program", HTTP_AUTHORIZATION=f"Bearer {other_token}").status_code == 200
    assert token_status(client, new) == 200


def test_rehash_replaces_only_the_hash_it_was_given(program):
    from django.contrib.auth.hashers import make_password

    from programs.client_secrets import ALGORITHM
    from programs.services import api_client_secret_rehash

    client, secret = api_client_create(program=program, name="till", scopes="redeem")
    legacy = make_password(secret, hasher="md5")
    Application.objects.filter(pk=client.application_id).update(client_secret=legacy)

    assert api_client_secret_rehash(stored=legacy, secret=secret) is True
    rehashed = stored_secret(client)
    assert rehashed.startswith(f"{ALGORITHM}$") and check_password(secret, rehashed)
    # A second attempt with the old hash (a concurrent request) finds nothing to replace.
    assert api_client_secret_rehash(stored=legacy, secret=secret) is False
    assert stored_secret(client) == rehashed
